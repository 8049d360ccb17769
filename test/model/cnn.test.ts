// Convolutional networks through the layer contract: the same training on
// both backends (conv, pooling, flatten, dropout, dense), one submission and
// one readback per epoch, dispatches per step pinned by layer type, flatten a
// view, dropout only inside fit, the whole model's gradients against finite
// differences, and bad stacks refused with the layer and the shapes named.
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import {
  adam,
  averagePooling2d,
  buildModel,
  conv2d,
  dense,
  dropout,
  flatten,
  maxPooling2d,
  sequential,
  sgd,
  tensor,
  type Backend,
  type Layer,
  type WebGpuBackend,
} from '../../src/index.js';
import { Random } from '../../src/random.js';
import { ErrorReport } from '../helpers/compare.js';
import { gpuIt } from '../helpers/gpu.js';

const cpu = new CpuBackend();
const report = new ErrorReport('CNN training, cpu vs webgpu: largest weight difference');
afterAll(() => report.print());

/** n images [8, 8, 2] whose class (of 3) is which quadrant is brightest, with noise. */
function images(n: number, seed = 1): { x: Float32Array; y: Float32Array } {
  const rng = new Random(seed);
  const x = new Float32Array(n * 128);
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const k = i % 3;
    y[i * 3 + k] = 1;
    for (let p = 0; p < 64; p++) {
      const [r, c] = [Math.floor(p / 8), p % 8];
      const bright = (k === 0 && r < 4 && c < 4) || (k === 1 && r < 4 && c >= 4) || (k === 2 && r >= 4);
      for (let ch = 0; ch < 2; ch++) x[i * 128 + p * 2 + ch] = (bright ? 0.8 : 0.1) + rng.uniform(-0.1, 0.1);
    }
  }
  return { x, y };
}

const EVERY_LAYER = (): Layer[] => [
  conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 2] }),
  maxPooling2d({ poolSize: 2 }),
  conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }),
  averagePooling2d({ poolSize: 2, padding: 'same' }),
  flatten(),
  dropout({ rate: 0.25 }),
  dense({ units: 6, activation: 'sigmoid' }),
  dense({ units: 3, activation: 'softmax' }),
];

async function train(backend: Backend, optimizer: 'adam' | 'sgd', epochs = 3) {
  const { x, y } = images(40);
  const model = sequential(EVERY_LAYER(), { backend, seed: 7 });
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const history = await model.fit(tensor(x, [40, 8, 8, 2]), tensor(y, [40, 3]), { epochs, batchSize: 8 });
  const weights = await model.getWeights();
  model.dispose();
  return { history, weights };
}

describe('convolutional networks', () => {
  for (const optimizer of ['sgd', 'adam'] as const) {
    gpuIt(`train the same on cpu and webgpu: conv, max and average pooling, flatten, dropout, dense (${optimizer})`, async (gpu) => {
      const a = await train(cpu, optimizer);
      const b = await train(gpu, optimizer);
      a.weights.forEach((w, i) => report.check(`${optimizer}: every layer type, 3 epochs, batch 8`, `weight ${i}`, b.weights[i]!, w, { atol: 5e-5, rtol: 1e-3 }));
      b.history.loss.forEach((l, e) => expect(Math.abs(l - a.history.loss[e]!)).toBeLessThan(1e-4));
      console.log(`${optimizer} loss per epoch, cpu: ${a.history.loss.map((l) => l.toFixed(5)).join(' ')}; webgpu: ${b.history.loss.map((l) => l.toFixed(5)).join(' ')}`);
    });
  }

  it('learns: the toy images reach 100% training accuracy on the cpu reference', async () => {
    const { x, y } = images(60, 3);
    const model = sequential(EVERY_LAYER(), { seed: 3 });
    model.compile({ optimizer: adam({ learningRate: 0.02 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const h = await model.fit(tensor(x, [60, 8, 8, 2]), tensor(y, [60, 3]), { epochs: 40, batchSize: 10 });
    expect(h.loss.at(-1)!).toBeLessThan(h.loss[0]! / 5);
    expect((await model.evaluate(tensor(x, [60, 8, 8, 2]), tensor(y, [60, 3]))).accuracy).toBe(1);
  });

  gpuIt('one submission and one readback per epoch with conv layers, whatever the number of batches', async (gpu: WebGpuBackend) => {
    const { x, y } = images(40, 2);
    for (const batchSize of [1, 4, 40]) {
      const model = sequential(EVERY_LAYER(), { backend: gpu, seed: 2 });
      model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
      const counts: { submissions: number; readbacks: number }[] = [];
      let last = gpu.stats();
      await model.fit(tensor(x, [40, 8, 8, 2]), tensor(y, [40, 3]), {
        epochs: 3,
        batchSize,
        validationSplit: 0.25,
        callbacks: {
          onEpochEnd: () => {
            const now = gpu.stats();
            counts.push({ submissions: now.submissions - last.submissions, readbacks: now.readbacks - last.readbacks });
            last = now;
          },
        },
      });
      for (const c of counts.slice(1)) expect(c).toEqual({ submissions: 1, readbacks: 1 });
      model.dispose();
    }
  });

  it('dispatches per training step, pinned by layer type; flatten costs nothing', () => {
    const steps = (layers: Layer[]) => {
      const m = sequential(layers, { seed: 1, backend: cpu });
      m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
      return m.dispatchesPerStep(8);
    };
    // The 784-128-10 MLP: the first layer's product (reading its batch in place
    // from the data set: no gather); the output layer's product with the loss
    // (its targets read in place too), which also moves the cursor and the step
    // count on; dW with db and dX of the top layer, dW with db of the first;
    // one Adam update.
    const mlp = steps([dense({ units: 128, activation: 'relu', inputShape: [784] }), dense({ units: 10, activation: 'softmax' })]);
    expect(mlp).toBe(6);
    // A first layer that does not read its batch in place gets it gathered (samples and targets, one dispatch).
    expect(steps([flatten({ inputShape: [28, 28] }), dense({ units: 128, activation: 'relu' }), dense({ units: 10, activation: 'softmax' })])).toBe(mlp + 1);
    // Extra metrics read a gathered copy of the targets: that gather, and the metrics kernel.
    const withMetrics = sequential([dense({ units: 128, activation: 'relu', inputShape: [784] }), dense({ units: 10, activation: 'softmax' })], { seed: 1, backend: cpu });
    withMetrics.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['mse'] });
    expect(withMetrics.dispatchesPerStep(8)).toBe(mlp + 2);
    const base = (): Layer[] => [conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 2] }), maxPooling2d({ poolSize: 2 }), flatten(), dense({ units: 3, activation: 'softmax' })];
    const withExtra = (i: number, extra: Layer) => {
      const l = base();
      l.splice(i, 0, extra);
      return steps(l);
    };
    const b = steps(base());
    // On the cpu backend each op is one step; split reductions add a dispatch on the GPU.
    expect(withExtra(3, flatten())).toBe(b); // a view: no dispatch at all
    // Its mask forward and backward; and its masks read the step count on both sides of the loss, so the count moves on in a dispatch of its own.
    expect(withExtra(3, dropout({ rate: 0.5 }))).toBe(b + 3);
    expect(withExtra(2, maxPooling2d({ poolSize: 1 }))).toBe(b + 2); // forward, and backward with f′ fused
    expect(withExtra(3, dense({ units: 5, activation: 'relu' }))).toBe(b + 3); // forward; dW and db in one pass; dX
    expect(withExtra(2, conv2d({ filters: 3, kernelSize: 1, activation: 'relu' }))).toBe(b + 3); // forward; dW and db in one pass; dX
    console.log(`dispatches per training step (cpu count, one per op): MLP 784-128-10 ${mlp}; conv-pool-flatten-dense ${b}`);
  });

  gpuIt('dispatches per training step on the GPU for the MNIST MLP and the CNN preset', async (gpu) => {
    const mlp = buildModel({ inputShape: [784], hidden: [{ type: 'dense', units: 128 }], task: { kind: 'multiclass', classes: 10 }, loss: 'categoricalCrossentropy' }, { backend: gpu, seed: 1 });
    const cnn = buildModel(
      { inputShape: [28, 28, 1], hidden: [{ type: 'conv2d', filters: 16, kernelSize: 3 }, { type: 'maxPooling2d', poolSize: 2 }, { type: 'conv2d', filters: 32, kernelSize: 3 }, { type: 'maxPooling2d', poolSize: 2 }, { type: 'flatten' }, { type: 'dense', units: 128 }], task: { kind: 'multiclass', classes: 10 }, loss: 'categoricalCrossentropy' },
      { backend: gpu, seed: 1 },
    );
    for (const m of [mlp, cnn]) m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const [a, c] = [mlp.dispatchesPerStep(32), cnn.dispatchesPerStep(32)];
    console.log(`dispatches per training step on ${gpu.adapterName}, batch 32: MLP 784-128-10 ${a}; CNN conv16-pool-conv32-pool-flatten-128-10 ${c}`);
    expect(a).toBe(6);
    // 19 on llvmpipe, give or take one for a filter gradient whose reduction is split (or not) on another adapter.
    expect(c).toBeGreaterThanOrEqual(18);
    expect(c).toBeLessThanOrEqual(20);
    mlp.dispose();
    cnn.dispose();
  });

  it('flatten is a view of the layer before it; predictLayers gives every layer its own shape', async () => {
    const m = sequential([conv2d({ filters: 3, kernelSize: 2, inputShape: [4, 4, 1] }), flatten(), dense({ units: 2 })], { seed: 4 });
    const x = new Random(4).fill(2 * 16);
    const [conv, flat, out] = await m.predictLayers(tensor(x, [2, 4, 4, 1]));
    expect(conv!.shape).toEqual([2, 3, 3, 3]);
    expect(flat!.shape).toEqual([2, 27]);
    expect(out!.shape).toEqual([2, 2]);
    expect(await flat!.data()).toEqual(await conv!.data());
  });

  it('dropout acts only inside fit: predict and evaluate are deterministic and match the model without it', async () => {
    const layers = (rate: number) => [dense({ units: 8, activation: 'relu', inputShape: [4] }), dropout({ rate }), dense({ units: 2, activation: 'softmax' })];
    const a = sequential(layers(0.9), { seed: 5 });
    const b = sequential(layers(0), { seed: 5 });
    const x = new Random(6).fill(12);
    const pa = await (await a.predict(tensor(x, [3, 4]))).data();
    expect(await (await a.predict(tensor(x, [3, 4]))).data()).toEqual(pa);
    expect(await (await b.predict(tensor(x, [3, 4]))).data()).toEqual(pa);
  });

  it("the whole model's gradients match finite differences of its loss (conv 'same' stride 2, both poolings, flatten, dense)", async () => {
    // One SGD step with learning rate 1 on the whole batch moves each weight by minus its gradient.
    const layers = () => [
      conv2d({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh', inputShape: [6, 6, 1] }),
      maxPooling2d({ poolSize: 2, strides: 1 }),
      conv2d({ filters: 3, kernelSize: 2, activation: 'sigmoid' }),
      averagePooling2d({ poolSize: 1 }),
      flatten(),
      dense({ units: 3, activation: 'softmax' }),
    ];
    const rng = new Random(9);
    const x = tensor(rng.fill(4 * 36), [4, 6, 6, 1]);
    const y = tensor([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0], [4, 3]);
    const m = sequential(layers(), { seed: 9 });
    m.compile({ optimizer: sgd({ learningRate: 1 }), loss: 'categoricalCrossentropy' });
    const before = await m.getWeights();
    await m.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false });
    const after = await m.getWeights();
    const probe = sequential(layers(), { seed: 9 });
    probe.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const h = 1e-3;
    const grads = new ErrorReport('whole-model gradient check (cpu, central differences, h = 1e-3)');
    for (let w = 0; w < before.length; w++) {
      const numeric = new Float32Array(before[w]!.length);
      for (let i = 0; i < numeric.length; i++) {
        const at = (delta: number) => {
          const weights = before.map((v) => Float32Array.from(v));
          weights[w]![i]! += delta;
          probe.setWeights(weights);
          return probe.evaluate(x, y);
        };
        numeric[i] = ((await at(h)).loss - (await at(-h)).loss) / (2 * h);
      }
      const backprop = Float32Array.from(before[w]!, (v, i) => v - after[w]![i]!);
      grads.check('model backward', `weight ${w}`, backprop, numeric, { atol: 2e-3, rtol: 2e-2 });
    }
    grads.print();
  });

  it('bad stacks are refused at construction, naming the layer and the shapes', () => {
    expect(() => sequential([conv2d({ filters: 4, kernelSize: 3, inputShape: [8, 8, 1] }), dense({ units: 2 })])).toThrow(
      /dense 'dense_1' takes one vector of features per sample, but gets \[6, 6, 4\]: put flatten\(\) before it/,
    );
    expect(() => sequential([dense({ units: 4, inputShape: [64] }), conv2d({ filters: 2, kernelSize: 3 })])).toThrow(
      /conv2d 'conv2d_1' takes images \[height, width, channels\] per sample, but gets \[4\]/,
    );
    expect(() => sequential([conv2d({ filters: 4, kernelSize: 5, inputShape: [3, 3, 1] })])).toThrow(/conv2d 'conv2d_1': a 5×5 kernel does not fit in its 3×3 input with padding 'valid'/);
    expect(() => sequential([maxPooling2d({ poolSize: 2, inputShape: [28, 28] })])).toThrow(/inputShape must be \[height, width, channels\]/);
    expect(() => conv2d({ filters: 0, kernelSize: 3 })).toThrow(/conv2d\(filters: 0\): filters must be a positive integer/);
    expect(() => conv2d({ filters: 2, kernelSize: [3, 0] })).toThrow(/kernelSize must be a positive integer or two of them/);
    expect(() => conv2d({ filters: 2, kernelSize: 3, padding: 'full' as never })).toThrow(/padding must be 'valid' or 'same', got "full"/);
    expect(() => dropout({ rate: 1 })).toThrow(/dropout\(rate: 1\): rate must be a number in \[0, 1\)/);
    const imageOut = sequential([conv2d({ filters: 2, kernelSize: 3, inputShape: [5, 5, 1] })]);
    expect(() => imageOut.compile({ optimizer: 'sgd', loss: 'meanSquaredError' })).toThrow(
      /compile: the last layer 'conv2d_1' outputs \[3, 3, 2\] per sample; a loss needs one vector per sample: add flatten\(\) and a dense layer/,
    );
  });

  it('takes images as [n, h, w, c] tensors, nested arrays or flat rows; refuses other sample shapes', async () => {
    const m = sequential([conv2d({ filters: 2, kernelSize: 2, inputShape: [3, 3, 1] }), flatten(), dense({ units: 1, activation: 'sigmoid' })], { seed: 1 });
    m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    const nested = [[[[0.1], [0.2], [0.3]], [[0.4], [0.5], [0.6]], [[0.7], [0.8], [0.9]]]];
    const flat = [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]];
    const a = await (await m.predict(nested)).data();
    expect(await (await m.predict(flat)).data()).toEqual(a);
    expect(await (await m.predict(tensor(flat[0]!, [1, 3, 3, 1]))).data()).toEqual(a);
    await expect(m.predict(tensor(flat[0]!, [1, 9, 1, 1]))).rejects.toThrow(/predict: x has samples of shape \[9, 1, 1\], but the first layer 'conv2d_1' expects \[3, 3, 1\] \(9 values\)/);
    await expect(m.predict([[1, 2, 3]])).rejects.toThrow(/predict: x has 3 values per sample, but the first layer 'conv2d_1' expects \[3, 3, 1\] \(9 values\)/);
    await expect(m.fit([[[[1], [2]], [[3]]]] as never, [1])).rejects.toThrow(/fit: x: element \[0\]\[1\] has 1 values, element \[0\]\[0\] has 2/);
  });

  it('weights in Keras order and layouts: conv kernels [height, width, in, filters]', () => {
    const m = sequential([conv2d({ filters: 4, kernelSize: [3, 2], inputShape: [6, 6, 3] }), maxPooling2d(), flatten(), dense({ units: 2 })], { seed: 1 });
    expect(m.weightSpecs()).toEqual([
      { name: 'conv2d_1/kernel', shape: [3, 2, 3, 4] },
      { name: 'conv2d_1/bias', shape: [4] },
      { name: 'dense_1/kernel', shape: [16, 2] },
      { name: 'dense_1/bias', shape: [2] },
    ]);
    expect(m.summary()).toMatch(/conv2d_1 \(Conv2D\)\s+\[null, 4, 5, 4\]\s+linear\s+76/);
    expect(m.summary()).toMatch(/max_pooling2d_1 \(MaxPooling2D\)\s+\[null, 2, 2, 4\]\s+0/);
  });

  it('one builder for every entry point: squared error on 3 classes gets 3 softmax outputs and one-hot targets', () => {
    const m = buildModel({ inputShape: [2], hidden: [{ type: 'dense', units: 4 }], task: { kind: 'multiclass', classes: 3 }, loss: 'meanSquaredError' });
    expect(m.layerInfo().map((l) => l.description)).toEqual(['4 relu', '3 softmax']);
    const conv = buildModel({ inputShape: [8, 8, 1], hidden: [{ type: 'conv2d', filters: 2, kernelSize: 3 }, { type: 'dense', units: 4 }], task: { kind: 'binary', classes: 2 }, loss: 'binaryCrossentropy' });
    expect(conv.layerInfo().map((l) => l.className)).toEqual(['Conv2D', 'Flatten', 'Dense', 'Dense']);
  });
});
