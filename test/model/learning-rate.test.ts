// The learning rate lives on the device: model.optimizer.learningRate can be
// set during fit (the next step uses it), schedules follow the step count on
// the device, and a function of the epoch is applied at each epoch's start —
// all without recording the training step again, the same on both backends.
// RMSprop and AdamW train the same on both backends too.
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import {
  adam,
  adamw,
  dense,
  exponentialDecay,
  piecewiseConstant,
  rmsprop,
  sequential,
  sgd,
  type Backend,
  type Optimizer,
} from '../../src/index.js';
import { kerasExampleData } from '../helpers/datasets.js';
import { ErrorReport } from '../helpers/compare.js';
import { gpuIt } from '../helpers/gpu.js';

const cpu = new CpuBackend();
const report = new ErrorReport('learning rates and optimizers, cpu vs webgpu: largest weight difference');
afterAll(() => report.print());
const { x, y } = kerasExampleData(11, 80);
const BATCH = 20; // 4 steps per epoch

function model(backend: Backend, optimizer: Optimizer) {
  const m = sequential([dense({ units: 8, activation: 'tanh', inputShape: [10] }), dense({ units: 1, activation: 'sigmoid' })], { backend, seed: 4 });
  m.compile({ optimizer, loss: 'binaryCrossentropy' });
  return m;
}

async function weightsAfter(backend: Backend, optimizer: Optimizer, epochs: number, onEpochEnd?: (m: ReturnType<typeof model>, e: number) => void) {
  const m = model(backend, optimizer);
  const h = await m.fit(x, y, { epochs, batchSize: BATCH, shuffle: false, callbacks: onEpochEnd ? { onEpochEnd: (e) => onEpochEnd(m, e) } : {} });
  return { w: await m.getWeights(), loss: h.loss, m };
}

const maxDiff = (a: Float32Array[], b: Float32Array[]) => Math.max(...a.map((w, i) => Math.max(...w.map((v, j) => Math.abs(v - b[i]![j]!)))));

function rateCases(backend: () => Backend) {
  it('setting optimizer.learningRate from a callback takes effect at the next step', async () => {
    const one = await weightsAfter(backend(), sgd({ learningRate: 0.5 }), 1);
    // After epoch 1 the rate becomes tiny: epoch 2 barely moves the weights.
    const two = await weightsAfter(backend(), sgd({ learningRate: 0.5 }), 2, (m, e) => {
      if (e === 0) m.optimizer.learningRate = 1e-9;
    });
    expect(maxDiff(two.w, one.w)).toBeLessThan(1e-6);
    expect(two.m.optimizer.learningRate).toBe(1e-9);
    // Without the change, epoch 2 moves them.
    const free = await weightsAfter(backend(), sgd({ learningRate: 0.5 }), 2);
    expect(maxDiff(free.w, one.w)).toBeGreaterThan(1e-3);
    expect(() => (two.m.optimizer.learningRate = -1)).toThrow(/^optimizer.learningRate must be a number > 0, got -1$/);
  });

  it('a piecewise-constant schedule, an epoch function and a mid-fit change agree', async () => {
    const steps = 80 / BATCH;
    const piecewise = await weightsAfter(backend(), sgd({ learningRate: piecewiseConstant({ boundaries: [steps - 1], values: [0.5, 1e-9] }) }), 2);
    const byEpoch = await weightsAfter(backend(), sgd({ learningRate: (epoch) => (epoch === 0 ? 0.5 : 1e-9) }), 2);
    const changed = await weightsAfter(backend(), sgd({ learningRate: 0.5 }), 2, (m, e) => {
      if (e === 0) m.optimizer.learningRate = 1e-9;
    });
    expect(maxDiff(piecewise.w, changed.w)).toBeLessThan(1e-6);
    expect(maxDiff(byEpoch.w, changed.w)).toBeLessThan(1e-6);
  });

  it('exponential decay lowers the step size as the steps go', async () => {
    // decayRate 1 is a constant schedule: the same as the plain rate.
    const constant = await weightsAfter(backend(), sgd({ learningRate: exponentialDecay({ initialLearningRate: 0.3, decaySteps: 2, decayRate: 1 }) }), 2);
    const plain = await weightsAfter(backend(), sgd({ learningRate: 0.3 }), 2);
    expect(maxDiff(constant.w, plain.w)).toBeLessThan(1e-6);
    const decayed = await weightsAfter(backend(), sgd({ learningRate: exponentialDecay({ initialLearningRate: 0.3, decaySteps: 2, decayRate: 0.1 }) }), 2);
    expect(maxDiff(decayed.w, plain.w)).toBeGreaterThan(1e-3);
  });
}

describe('learning rates (cpu)', () => rateCases(() => cpu));

describe('learning rates and optimizers (webgpu)', () => {
  const OPTIMIZERS: [string, () => Optimizer][] = [
    ['rmsprop', () => rmsprop({ learningRate: 0.01 })],
    ['adamw', () => adamw({ learningRate: 0.01, weightDecay: 0.01 })],
    ['adam, exponential decay', () => adam({ learningRate: exponentialDecay({ initialLearningRate: 0.02, decaySteps: 3, decayRate: 0.7, staircase: true }) })],
    ['sgd, piecewise constant', () => sgd({ learningRate: piecewiseConstant({ boundaries: [3, 6], values: [0.5, 0.2, 0.05] }) })],
    ['sgd, a function of the epoch', () => sgd({ learningRate: (e: number) => 0.5 / (1 + e) })],
  ];
  for (const [name, make] of OPTIMIZERS) {
    gpuIt(`${name}: the same training on both backends`, async (gpu) => {
      const a = await weightsAfter(cpu, make(), 3);
      const b = await weightsAfter(gpu, make(), 3);
      a.w.forEach((w, i) => report.check(name, `weight ${i}`, b.w[i]!, w, { atol: 5e-5, rtol: 1e-3 }));
      b.loss.forEach((l, e) => expect(Math.abs(l - a.loss[e]!)).toBeLessThan(1e-4));
      b.m.dispose();
    });
  }
  gpuIt('a learning rate set during fit on the GPU reaches the next step', async (gpu) => {
    const one = await weightsAfter(gpu, sgd({ learningRate: 0.5 }), 1);
    const two = await weightsAfter(gpu, sgd({ learningRate: 0.5 }), 2, (m, e) => {
      if (e === 0) m.optimizer.learningRate = 1e-9;
    });
    expect(maxDiff(two.w, one.w)).toBeLessThan(1e-6);
  });
});
