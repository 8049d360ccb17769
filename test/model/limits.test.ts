// Sizes are checked from the configuration before any memory is asked for:
// a layer whose parameters, or a batch whose activations, exceed what the
// backend holds per tensor is refused with the layer, the shape, the size and
// the limit, on both backends, and nothing is left allocated. A model whose
// parameters only exceed one tensor together is split over pages and trains
// exactly as in one.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import { conv2d, dense, flatten, sequential, TensorLimitError, type Backend } from '../../src/index.js';
import { Random } from '../../src/random.js';
import { kerasExampleData } from '../helpers/datasets.js';
import { gpuIt } from '../helpers/gpu.js';

/** The CPU reference with a 16 KiB limit per tensor: the same code paths as a large model, at toy sizes. */
class SmallCpu extends CpuBackend {
  override readonly maxTensorBytes = 16 * 1024;
}

function refusals(backend: () => Backend, limit: string) {
  it('a layer too large for one tensor is refused at construction, naming it', () => {
    expect(() => sequential([dense({ units: 1e9, inputShape: [784] })], { backend: backend() })).toThrow(
      new RegExp(`^sequential: layer 'dense_1' needs a kernel of shape \\[784, 1000000000\\]: 784,000,000,000 values \\(2\\.9 TiB\\), over the \\w+ backend's limit of ${limit} per tensor$`),
    );
    expect(() => sequential([dense({ units: 8, inputShape: [2] }), dense({ units: 100_000 }), dense({ units: 100_000 })], { backend: backend() })).toThrow(
      /^sequential: layer 'dense_3' needs a kernel of shape \[100000, 100000\]: 10,000,000,000 values \(37\.3 GiB\)/,
    );
    expect(() => sequential([dense({ units: 8, inputShape: [2] }), dense({ units: 100_000 }), dense({ units: 100_000 })], { backend: backend() })).toThrow(TensorLimitError);
  });
}

describe('limits (cpu)', () => {
  refusals(() => new CpuBackend(), '2\\.0 GiB');

  it('a model larger than one tensor is split over pages and trains exactly as in one', async () => {
    // 10·64 + 64 + 64·64 + 64 + 64 + 1 = 4,929 parameters: three pages of at most 4,096 values.
    const layers = () => [dense({ units: 64, activation: 'relu', inputShape: [10] }), dense({ units: 64, activation: 'tanh' }), dense({ units: 1, activation: 'sigmoid' })];
    const { x, y } = kerasExampleData(5, 80);
    const train = async (backend: Backend) => {
      const m = sequential(layers(), { backend, seed: 3 });
      m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      const h = await m.fit(x, y, { epochs: 3, batchSize: 16, validationSplit: 0.25 });
      return { h, w: await m.getWeights() };
    };
    const one = await train(new CpuBackend());
    const paged = await train(new SmallCpu());
    expect(paged.w).toEqual(one.w);
    expect(paged.h.loss).toEqual(one.h.loss);
  });

  it('a batch whose activations exceed a tensor, or data that does, is refused before anything is uploaded', async () => {
    const m = sequential([conv2d({ filters: 8, kernelSize: 3, inputShape: [16, 16, 1] }), flatten(), dense({ units: 1, activation: 'sigmoid' })], { backend: new SmallCpu(), seed: 1 });
    m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    const x = new Random(1).fill(4 * 256);
    const y = [[0], [1], [0], [1]];
    // 4 samples × [14, 14, 8] = 25 KiB of conv output per batch.
    await expect(m.fit([...Array(4).keys()].map((i) => Array.from(x.subarray(i * 256, (i + 1) * 256))), y, { batchSize: 4 })).rejects.toThrow(
      /^fit: with batchSize 4, layer 'conv2d_1' outputs \[4, 14, 14, 8\] \(24\.5 KiB\), over the cpu backend's limit of 16\.0 KiB per tensor; use a smaller batchSize$/,
    );
    const h = await m.fit([...Array(4).keys()].map((i) => Array.from(x.subarray(i * 256, (i + 1) * 256))), y, { batchSize: 2 });
    expect(h.loss).toHaveLength(1);
    const big = Array.from({ length: 20 }, () => Array.from(x.subarray(0, 256)));
    await expect(m.fit(big, big.map(() => [1]), { batchSize: 1 })).rejects.toThrow(/^fit: the training data \(20 samples × 256 values, 20\.0 KiB\) is over the cpu backend's limit/);
  });
});

describe('limits (webgpu)', () => {
  gpuIt('layers too large are refused before anything is allocated, and a failed model leaves nothing behind', async (gpu) => {
    gpu.trim();
    const before = gpu.stats();
    const limit = gpu.maxTensorBytes;
    expect(() => sequential([dense({ units: 1e9, inputShape: [784] })], { backend: gpu })).toThrow(/^sequential: layer 'dense_1' needs a kernel of shape \[784, 1000000000\]/);
    // The second layer alone is over the limit; the first would fit.
    const units = Math.ceil(limit / 4 / 512) + 1;
    expect(() => sequential([dense({ units: 512, inputShape: [10] }), dense({ units })], { backend: gpu })).toThrow(
      new RegExp(`^sequential: layer 'dense_2' needs a kernel of shape \\[512, ${units}\\]`),
    );
    gpu.trim();
    const after = gpu.stats();
    expect(after.liveBuffers).toBe(before.liveBuffers);
    expect(after.buffersCreated).toBe(before.buffersCreated);
  });
});
