// The shared model builder's kernel regularizer: absent, the layers carry
// none (as before); present, every dense and conv kernel (the output layer's
// too) gets it, the loss grows by exactly its penalty, and training keeps the
// kernels smaller.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import { buildModel, l2, sgd, type ModelSpec, type Sequential } from '../../src/index.js';
import { kerasExampleData } from '../helpers/datasets.js';

const cpu = new CpuBackend();
const { x, y } = kerasExampleData(5, 80);

const spec: ModelSpec = {
  inputShape: [10],
  hidden: [{ type: 'dense', units: 12 }, { type: 'dropout', rate: 0.1 }, { type: 'dense', units: 6 }],
  task: { kind: 'binary', classes: 2 },
  loss: 'binaryCrossentropy',
};

/** Σw² over the kernels (every other weight: kernel, bias, kernel, bias, …). */
async function kernelSquares(m: Sequential): Promise<number> {
  return (await m.getWeights()).filter((_, i) => i % 2 === 0).reduce((s, w) => s + w.reduce((t, v) => t + v * v, 0), 0);
}

function compiled(s: ModelSpec): Sequential {
  const m = buildModel(s, { backend: cpu, seed: 4 });
  m.compile({ optimizer: sgd({ learningRate: 0.2 }), loss: s.loss });
  return m;
}

describe('buildModel kernelRegularizer', () => {
  it('absent: no layer has one; present: every dense and conv kernel has it', () => {
    const plain = buildModel(spec, { backend: cpu });
    expect(plain.layerInfo().map((l) => l.config.kernel_regularizer ?? null)).toEqual([null, null, null, null]);
    const withL2 = buildModel({ ...spec, kernelRegularizer: l2(0.05) }, { backend: cpu });
    const penalties = withL2.layerInfo().map((l) => l.config.kernel_regularizer ?? null);
    // dense, dropout, dense, output dense
    expect(penalties).toEqual([{ class_name: 'L1L2', config: { l1: 0, l2: 0.05 } }, null, { class_name: 'L1L2', config: { l1: 0, l2: 0.05 } }, { class_name: 'L1L2', config: { l1: 0, l2: 0.05 } }]);
    expect(withL2.layerInfo().every((l) => (l.config.bias_regularizer ?? null) === null)).toBe(true);
    const conv = buildModel(
      { inputShape: [6, 6, 1], hidden: [{ type: 'conv2d', filters: 2, kernelSize: 3 }, { type: 'maxPooling2d', poolSize: 2 }, { type: 'dense', units: 4 }], task: { kind: 'binary', classes: 2 }, loss: 'binaryCrossentropy', kernelRegularizer: l2(0.01) },
      { backend: cpu },
    );
    expect(conv.layerInfo().filter((l) => l.config.kernel_regularizer).map((l) => l.className)).toEqual(['Conv2D', 'Dense', 'Dense']);
  });

  it('adds rate·Σw² of every kernel to the loss, and training with it ends with smaller kernels', async () => {
    const rate = 0.05;
    const plain = compiled(spec);
    const withL2 = compiled({ ...spec, kernelRegularizer: l2(rate) });
    // Same seed, same starting weights: the losses differ by the penalty alone.
    const squares = await kernelSquares(plain);
    expect(await kernelSquares(withL2)).toBeCloseTo(squares, 6);
    const [e0, e1] = [await plain.evaluate(x, y), await withL2.evaluate(x, y)];
    console.log(`[webgpu-train] spec kernelRegularizer: loss ${e0.loss.toFixed(5)} without, ${e1.loss.toFixed(5)} with l2(${rate}); penalty ${(rate * squares).toFixed(5)}`);
    expect(e1.loss - e0.loss).toBeCloseTo(rate * squares, 4);
    for (const m of [plain, withL2]) await m.fit(x, y, { epochs: 40, batchSize: 16 });
    const [n0, n1] = [await kernelSquares(plain), await kernelSquares(withL2)];
    console.log(`[webgpu-train] spec kernelRegularizer: Σw² of the kernels after 40 epochs ${n0.toFixed(3)} without, ${n1.toFixed(3)} with l2(${rate}) (started at ${squares.toFixed(3)})`);
    expect(n1).toBeLessThan(n0 * 0.8);
  });
});
