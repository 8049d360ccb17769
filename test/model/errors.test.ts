// Bad input to the model layer: an Error that names the problem, thrown before
// any training starts, with the model left as it was.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import { sequential, dense, sgd, adam, type Backend, type CompileOptions, type Sequential } from '../../src/index.js';
import { kerasExampleData } from '../helpers/datasets.js';
import { gpuIt } from '../helpers/gpu.js';

function model(backend: Backend, loss: CompileOptions['loss'] = 'binaryCrossentropy', units = 1): Sequential {
  const m = sequential([
    dense({ units: 4, activation: 'relu', inputShape: [3] }),
    dense({ units, activation: units === 1 ? 'sigmoid' : 'softmax' }),
  ], { backend, seed: 1 });
  m.compile({ optimizer: 'adam', loss, metrics: ['accuracy'] });
  return m;
}

const x3 = [[0, 1, 2], [1, 1, 1], [2, 0, 1], [0, 0, 0]];
const y01 = [[0], [1], [1], [0]];

/** fit must throw `message` and leave weights and the backend untouched. */
async function expectRejected(m: Sequential, run: () => Promise<unknown>, message: RegExp) {
  const before = await m.getWeights();
  const gpuStats = 'stats' in m.backend ? (m.backend as { stats(): { dispatches: number } }).stats().dispatches : 0;
  await expect(run()).rejects.toThrow(message);
  expect(await m.getWeights()).toEqual(before);
  if ('stats' in m.backend) {
    // Only the getWeights readback ran: no training dispatch.
    expect((m.backend as { stats(): { dispatches: number } }).stats().dispatches).toBe(gpuStats);
  }
}

function fitErrors(backend: () => Backend) {
  const cases: [string, (m: Sequential) => Promise<unknown>, RegExp, CompileOptions['loss']?, number?][] = [
    ['x and y sample counts differ', (m) => m.fit(x3, [[0], [1]]), /fit: x has 4 samples but y has 2/],
    ['wrong feature count', (m) => m.fit([[1, 2], [3, 4]], [[0], [1]]), /fit: x has 2 features per sample, but the first layer 'dense_1' expects 3 \(inputShape \[3\]\)/],
    ['y outside [0, 1] for binary cross-entropy', (m) => m.fit(x3, [[0], [2], [1], [0]]), /binaryCrossentropy needs targets in \[0, 1\], but sample 1 has 2/],
    ['sparse label out of range', (m) => m.fit(x3, [0, 1, 3, 2]), /label 3 of sample 2 is not an integer class in \[0, 3\)/, 'sparseCategoricalCrossentropy', 3],
    ['a categorical target of 5 (a class number where one-hot rows belong)', (m) => m.fit(x3, [[0, 0, 1], [5, 0, 0], [0, 1, 0], [1, 0, 0]]), /fit: categoricalCrossentropy needs targets in \[0, 1\] \(one-hot rows; for integer class labels use sparseCategoricalCrossentropy\), but sample 1 has 5/, 'categoricalCrossentropy', 3],
    ['a categorical target of -1', (m) => m.fit(x3, [[0, 0, 1], [0, 1, 0], [-1, 1, 1], [1, 0, 0]]), /fit: categoricalCrossentropy needs targets in \[0, 1\].*but sample 2 has -1/, 'categoricalCrossentropy', 3],
    ['sparse label not an integer', (m) => m.fit(x3, [0, 1.5, 2, 2]), /label 1.5 of sample 1 is not an integer class/, 'sparseCategoricalCrossentropy', 3],
    ['NaN in x', (m) => m.fit([[0, 1, 2], [1, NaN, 1], [2, 0, 1], [0, 0, 0]], y01), /fit: x: sample 1, column 1 is NaN/],
    ['Infinity in y', (m) => m.fit(x3, [[0], [1], [Infinity], [0]]), /fit: y: sample 2, column 0 is Infinity/],
    ['y columns do not match the output layer', (m) => m.fit(x3, [[0, 1], [1, 0], [1, 0], [0, 1]]), /fit: y has 2 columns but the last layer 'dense_2' has 1 units/],
    ['batchSize 0', (m) => m.fit(x3, y01, { batchSize: 0 }), /fit: batchSize must be a positive integer, got 0/],
    ['batchSize not an integer', (m) => m.fit(x3, y01, { batchSize: 2.5 }), /fit: batchSize must be a positive integer, got 2.5/],
    ['epochs 0', (m) => m.fit(x3, y01, { epochs: 0 }), /fit: epochs must be a positive integer, got 0/],
    ['validationSplit 1', (m) => m.fit(x3, y01, { validationSplit: 1 }), /fit: validationSplit must be a number in \(0, 1\), got 1/],
    ['validationSplit 0', (m) => m.fit(x3, y01, { validationSplit: 0 }), /validationSplit must be a number in \(0, 1\), got 0/],
    ['ragged rows', (m) => m.fit([[0, 1, 2], [1, 1]], [[0], [1]]), /fit: x: row 1 has 2 values, row 0 has 3/],
    ['evaluate with the wrong features', (m) => m.evaluate([[1, 2]], [[0]]), /evaluate: x has 2 features per sample, but the first layer 'dense_1' expects 3/],
    ['predict with the wrong features', (m) => m.predict([[1, 2, 3, 4]]), /predict: x has 4 features per sample, but the first layer 'dense_1' expects 3/],
  ];
  for (const [what, run, message, loss, units] of cases) {
    it(what, async () => {
      const m = model(backend(), loss, units);
      await expectRejected(m, () => run(m), message);
      m.dispose();
    });
  }
}

describe('model bad input (cpu)', () => {
  fitErrors(() => new CpuBackend());

  it('fit before compile', async () => {
    const m = sequential([dense({ units: 1, inputShape: [3] })], { seed: 1 });
    await expect(m.fit(x3, y01)).rejects.toThrow(/fit: call compile\(\{ optimizer, loss \}\) before fit/);
    await expect(m.evaluate(x3, y01)).rejects.toThrow(/evaluate: call compile/);
  });

  it('unknown names list the valid ones', () => {
    const m = sequential([dense({ units: 1, inputShape: [3] })], { seed: 1 });
    expect(() => m.compile({ optimizer: 'nadam' as never, loss: 'meanSquaredError' })).toThrow(/unknown optimizer 'nadam'; valid: sgd, momentum, adam, adamw, rmsprop/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'hinge' as never })).toThrow(/unknown loss 'hinge'; valid: meanSquaredError, binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['auc' as never] })).toThrow(/unknown metric 'auc'; valid: accuracy/);
    expect(() => dense({ units: 3, activation: 'gelu' as never })).toThrow(/dense\(units: 3\): unknown activation 'gelu'; valid: linear, relu, sigmoid, tanh, softmax/);
    expect(() => dense({ units: 3, kernelInitializer: 'orthogonal' as never })).toThrow(/unknown initializer 'orthogonal'; valid: glorotUniform, heNormal, zeros, ones/);
  });

  it('bad hyperparameters and layers', () => {
    expect(() => sgd({ learningRate: 0 })).toThrow(/sgd: learningRate must be a number > 0, got 0/);
    expect(() => adam({ learningRate: -0.1 })).toThrow(/adam: learningRate must be a number > 0, got -0.1/);
    const m = sequential([dense({ units: 1, inputShape: [3] })], { seed: 1 });
    expect(() => m.compile({ optimizer: { kind: 'sgd', learningRate: -1, momentum: 0 }, loss: 'meanSquaredError' })).toThrow(/learningRate must be a number > 0, got -1/);
    expect(() => dense({ units: 0 })).toThrow(/units must be a positive integer, got 0/);
    expect(() => sequential([dense({ units: 4 })])).toThrow(/the first layer needs inputShape/);
    expect(() => sequential([dense({ units: 4, inputShape: [3] }), dense({ units: 2, inputShape: [5] })])).toThrow(/layer 'dense_2' has inputShape \[5\], but the layer before it outputs 4 values/);
    expect(() => m.setWeights([new Float32Array(3)])).toThrow(/setWeights: expected 2 arrays \(dense_1\/kernel, dense_1\/bias\), got 1/);
    expect(() => m.setWeights([new Float32Array(4), new Float32Array(1)])).toThrow(/setWeights: dense_1\/kernel needs 3 values \(shape \[3, 1\]\), got 4/);
    expect(() => m.setWeights([null as never, new Float32Array(1)])).toThrow(/^setWeights: weight 0 \(dense_1\/kernel\) is null, not a Float32Array or an array of numbers$/);
    expect(() => m.setWeights([new Float32Array(3), 'x' as never])).toThrow(/^setWeights: weight 1 \(dense_1\/bias\) is string, not a Float32Array or an array of numbers$/);
  });

  it('a loss that turns NaN stops fit, naming the epoch, and keeps the previous weights', async () => {
    const { x, y } = kerasExampleData();
    const m = sequential([dense({ units: 8, activation: 'relu', inputShape: [10] }), dense({ units: 1 })], { seed: 2 });
    // A learning rate this large makes SGD on MSE diverge, within a few epochs, to Infinity or NaN.
    m.compile({ optimizer: sgd({ learningRate: 2 }), loss: 'meanSquaredError' });
    const lastGood: Float32Array[][] = [await m.getWeights()];
    const run = m.fit(x, y, {
      epochs: 50,
      batchSize: 10,
      callbacks: { onEpochEnd: async () => void lastGood.push(await m.getWeights()) },
    });
    await expect(run).rejects.toThrow(/fit: the training loss became (NaN|Infinity) in epoch \d+; the weights from (before this fit|the end of epoch \d+) were kept/);
    const kept = await m.getWeights();
    expect(kept.every((w) => w.every(Number.isFinite))).toBe(true);
    expect(kept).toEqual(lastGood.at(-1));
  });
});

describe('model bad input (webgpu)', () => {
  gpuIt('the same checks hold on the GPU, before any dispatch', async (gpu) => {
    const m = model(gpu);
    await expectRejected(m, () => m.fit(x3, [[0], [2], [1], [0]]), /binaryCrossentropy needs targets in \[0, 1\]/);
    await expectRejected(m, () => m.fit([[1, 2], [3, 4]], [[0], [1]]), /expects 3 \(inputShape \[3\]\)/);
    await expectRejected(m, () => m.fit(x3, y01, { batchSize: -1 }), /batchSize must be a positive integer/);
    m.dispose();
  });
});
