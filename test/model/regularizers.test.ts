// Weight regularizers: the regularize kernel against its CPU twin and the
// math (central differences of the penalty); in a model the reported loss
// includes l1·Σ|w| + l2·Σw², L2 keeps weights smaller, both backends train the
// same, and model files carry the regularizer both ways with TensorFlow.js.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import { conv2d, dense, flatten, l1, l1l2, l2, sequential, sgd, type Backend, type Regularizer } from '../../src/index.js';
import { describeModel, modelFromDescription } from '../../src/io/model-io.js';
import { fromModelJson, toModelJson, weightsBytes } from '../../src/io/tfjs-format.js';
import { Random } from '../../src/random.js';
import { kerasExampleData } from '../helpers/datasets.js';
import { ErrorReport } from '../helpers/compare.js';
import { gpuIt } from '../helpers/gpu.js';

const cpu = new CpuBackend();
const report = new ErrorReport('regularize parity (webgpu vs cpu) and gradient check');
afterAll(() => report.print());
beforeAll(async () => void (await tf.setBackend('cpu')));
const { x, y } = kerasExampleData(9, 60);

async function penaltyRun(b: Backend, n: number, r: Regularizer) {
  const p = b.tensor(new Random(n).fill(n), [n]);
  const g = b.tensor(new Random(n + 1).fill(n), [n]);
  const totals = b.tensor([0.5, 0], [2]);
  b.regularize(p, g, totals, { ...r, rows: 7 });
  return { g: await g.data(), totals: await totals.data() };
}

const model = (backend: Backend, r?: Regularizer) =>
  sequential([dense({ units: 8, activation: 'relu', inputShape: [10], ...(r ? { kernelRegularizer: r, biasRegularizer: r } : {}) }), dense({ units: 1, activation: 'sigmoid' })], { backend, seed: 2 });

describe('regularizers', () => {
  for (const [name, r] of [['l1', l1(0.03)], ['l2', l2(0.05)], ['l1l2', l1l2({ l1: 0.01, l2: 0.02 })]] as const) {
    for (const n of [1, 130, 5000]) {
      gpuIt(`regularize ${name} n=${n}: gradient and penalty match the cpu`, async (gpu) => {
        const [a, b] = [await penaltyRun(gpu, n, r), await penaltyRun(cpu, n, r)];
        report.check(`regularize ${name}: gradient`, `n=${n}`, a.g, b.g, { atol: 1e-6, rtol: 1e-5 });
        report.check(`regularize ${name}: penalty × rows`, `n=${n}`, a.totals, b.totals, { atol: 1e-5, rtol: 1e-5 });
      });
    }
  }

  it('the gradient added is the penalty\'s derivative (central differences)', async () => {
    const n = 40;
    const p = new Random(3).fill(n).map((v) => (Math.abs(v) < 0.05 ? v + 0.1 : v));
    const r = l1l2({ l1: 0.02, l2: 0.03 });
    const penalty = (v: Float32Array) => {
      const t = cpu.tensor([0, 0], [2]);
      cpu.regularize(cpu.tensor(v, [n]), undefined, t, { ...r, rows: 1 });
      return t.data().then((d) => d[0]!);
    };
    const g = cpu.zeros([n]);
    cpu.regularize(cpu.tensor(p, [n]), g, cpu.tensor([0, 0], [2]), { ...r, rows: 1 });
    const numeric = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const up = Float32Array.from(p);
      up[i]! += 1e-3;
      const down = Float32Array.from(p);
      down[i]! -= 1e-3;
      numeric[i] = ((await penalty(up)) - (await penalty(down))) / 2e-3;
    }
    report.check('regularize gradient vs finite differences', 'l1l2', await g.data(), numeric, { atol: 1e-3, rtol: 1e-2 });
  });

  it('the reported loss includes the penalty, in fit, validation and evaluate; L2 keeps the weights smaller', async () => {
    const plain = model(cpu);
    const reg = model(cpu, l2(0.1));
    for (const m of [plain, reg]) m.compile({ optimizer: sgd({ learningRate: 0.3 }), loss: 'binaryCrossentropy' });
    // Same weights: the losses differ by exactly the penalty of the first layer's kernel and bias.
    const weights = await plain.getWeights();
    const penalty = 0.1 * weights.slice(0, 2).reduce((s, w) => s + w.reduce((t, v) => t + v * v, 0), 0);
    const [e0, e1] = [await plain.evaluate(x, y), await reg.evaluate(x, y)];
    expect(e1.loss - e0.loss).toBeCloseTo(penalty, 5);
    const [h0, h1] = [await plain.fit(x, y, { epochs: 20, batchSize: 10, validationSplit: 0.2 }), await reg.fit(x, y, { epochs: 20, batchSize: 10, validationSplit: 0.2 })];
    const norm = async (m: typeof plain) => (await m.getWeights()).filter((_, i) => i < 2).reduce((s, w) => s + w.reduce((t, v) => t + v * v, 0), 0);
    expect(await norm(reg)).toBeLessThan((await norm(plain)) * 0.8);
    const after = 0.1 * (await reg.getWeights()).filter((_, i) => i < 2).reduce((s, w) => s + w.reduce((t, v) => t + v * v, 0), 0);
    expect(h1.val_loss!.at(-1)! - (await reg.evaluate(x.slice(48), y.slice(48))).loss).toBeCloseTo(0, 5);
    expect(after).toBeGreaterThan(0);
    expect(h0.loss).toHaveLength(20);
  });

  gpuIt('a regularized CNN trains the same on both backends', async (gpu) => {
    const layers = () => [
      conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [6, 6, 1], kernelRegularizer: l1l2({ l1: 0.001, l2: 0.01 }) }),
      flatten(),
      dense({ units: 1, activation: 'sigmoid', kernelRegularizer: l2(0.02), biasRegularizer: l1(0.01) }),
    ];
    const xs = new Random(5).fill(20 * 36);
    const ys = Array.from({ length: 20 }, (_, i) => [i % 2]);
    const run = async (b: Backend) => {
      const m = sequential(layers(), { backend: b, seed: 5 });
      m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
      const h = await m.fit(Array.from({ length: 20 }, (_, i) => Array.from(xs.subarray(i * 36, (i + 1) * 36))), ys, { epochs: 3, batchSize: 5 });
      return { h, w: await m.getWeights() };
    };
    const [a, b] = [await run(cpu), await run(gpu)];
    a.w.forEach((w, i) => report.check('regularized CNN training', `weight ${i}`, b.w[i]!, w, { atol: 5e-5, rtol: 1e-3 }));
    b.h.loss.forEach((l, e) => expect(Math.abs(l - a.h.loss[e]!)).toBeLessThan(1e-4));
  });

  it('model files carry regularizers: TensorFlow.js loads ours with them, and we load its', async () => {
    const ours = model(cpu, l1l2({ l1: 0.001, l2: 0.02 }));
    const d = await describeModel(ours);
    const json = toModelJson(d, 'test');
    const bytes = weightsBytes(d);
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights as tf.io.WeightsManifestEntry[], weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer }),
    );
    const reg = (loaded.layers[0] as unknown as { kernelRegularizer: { getConfig(): { l1: number; l2: number } } }).kernelRegularizer.getConfig();
    expect(reg.l1).toBeCloseTo(0.001, 8);
    expect(reg.l2).toBeCloseTo(0.02, 8);
    // Theirs: an L2 regularizer written by TensorFlow.js comes back as one of ours.
    const theirs = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4], kernelRegularizer: tf.regularizers.l2({ l2: 0.05 }) }), tf.layers.dense({ units: 1 })] });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await theirs.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const text = JSON.stringify({ modelTopology: artifacts!.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: artifacts!.weightSpecs }] });
    const desc = fromModelJson(text, () => new Uint8Array(artifacts!.weightData as ArrayBuffer), 'theirs/model.json');
    const m = modelFromDescription(desc, cpu);
    const info = m.layerInfo()[0]!.config.kernel_regularizer as { class_name: string; config: { l1: number; l2: number } };
    expect(info.class_name).toBe('L1L2');
    expect(info.config.l2).toBeCloseTo(0.05, 8);
    expect(() => fromModelJson(text.replace('"L1L2"', '"OrthogonalRegularizer"'), () => new Uint8Array(artifacts!.weightData as ArrayBuffer), 'm.json')).toThrow(
      /m\.json: layer 1 .*kernel_regularizer: the regularizer "OrthogonalRegularizer" is not supported \(L1, L2, L1L2 are\)/,
    );
  });
});
