// The same model, seed and data trained on 'cpu' and 'webgpu' end with the
// same weights, within a stated tolerance, for every optimizer × loss and for
// batch, stochastic and mini-batch gradient descent.
import { afterAll, describe, expect } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import { sequential, dense, sgd, momentum, adam, type Backend, type LossName, type Optimizer, type LayerActivation } from '../../src/index.js';
import { Random } from '../../src/random.js';
import { ErrorReport } from '../helpers/compare.js';
import { gpuIt } from '../helpers/gpu.js';

const cpu = new CpuBackend();
const report = new ErrorReport('cpu vs webgpu training: largest weight difference after the epochs');
afterAll(() => report.print());

// float32 rounding differs between the backends (GPU fma, summation order) and
// grows a little with every step; these bounds hold with room to spare.
const TOL = { atol: 5e-5, rtol: 1e-3 };
const SAMPLES = 60;

interface Case {
  loss: LossName;
  output: LayerActivation;
  units: number;
}

const LOSS_CASES: Case[] = [
  { loss: 'meanSquaredError', output: 'linear', units: 2 },
  { loss: 'binaryCrossentropy', output: 'sigmoid', units: 1 },
  { loss: 'categoricalCrossentropy', output: 'softmax', units: 3 },
  { loss: 'sparseCategoricalCrossentropy', output: 'softmax', units: 3 },
  // Outputs not fused into their loss: the loss sees probabilities and
  // backprop goes through the output activation (sigmoid; softmax's Jacobian).
  { loss: 'categoricalCrossentropy', output: 'sigmoid', units: 3 },
  { loss: 'meanSquaredError', output: 'softmax', units: 3 },
];

const OPTIMIZERS: [string, () => Optimizer][] = [
  ['sgd', () => sgd({ learningRate: 0.1 })],
  ['momentum', () => momentum({ learningRate: 0.05 })],
  ['adam', () => adam({ learningRate: 0.01 })],
];

function dataFor(c: Case) {
  const rng = new Random(11);
  const x = Array.from({ length: SAMPLES }, () => [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)]);
  const cls = x.map((r) => (r[0]! + r[1]! > 0 ? (r[2]! > 0 ? 2 : 1) : 0) % c.units);
  let y: number[][];
  if (c.loss === 'sparseCategoricalCrossentropy') y = cls.map((k) => [k]);
  else if (c.loss === 'categoricalCrossentropy' || c.output === 'softmax') y = cls.map((k) => Array.from({ length: c.units }, (_, j) => (j === k ? 1 : 0)));
  else if (c.loss === 'binaryCrossentropy') y = x.map((r) => [r[0]! * r[1]! > 0 ? 1 : 0]);
  else y = x.map((r) => [r[0]! * 0.5 + r[3]!, r[1]! - r[2]!]);
  return { x, y };
}

async function train(backend: Backend, c: Case, optimizer: Optimizer, batchSize: number, epochs: number) {
  const model = sequential([
    dense({ units: 8, activation: 'tanh', inputShape: [4] }),
    dense({ units: 6, activation: 'relu' }),
    dense({ units: c.units, activation: c.output }),
  ], { backend, seed: 5 });
  model.compile({ optimizer, loss: c.loss, metrics: ['accuracy'] });
  const { x, y } = dataFor(c);
  const history = await model.fit(x, y, { epochs, batchSize });
  const weights = await model.getWeights();
  model.dispose();
  return { history, weights };
}

async function compareRuns(gpu: Backend, c: Case, name: string, optimizer: () => Optimizer, batchSize: number, epochs: number) {
  const want = await train(cpu, c, optimizer(), batchSize, epochs);
  const got = await train(gpu, c, optimizer(), batchSize, epochs);
  const label = `${name} · ${c.loss} (${c.output}) · batch ${batchSize}`;
  got.weights.forEach((w, i) => report.check(label, `weights[${i}]`, w, want.weights[i]!, TOL));
  got.history.loss.forEach((l, e) => expect(Math.abs(l - want.history.loss[e]!), `epoch ${e} loss`).toBeLessThan(1e-3));
  expect(got.history.loss.at(-1)!).toBeLessThan(got.history.loss[0]!);
}

describe('training parity, cpu vs webgpu', () => {
  for (const c of LOSS_CASES) {
    for (const [name, optimizer] of OPTIMIZERS) {
      gpuIt(`${name} · ${c.loss} (${c.output} output), mini-batch 16 (last batch partial)`, (gpu) =>
        compareRuns(gpu, c, name, optimizer, 16, 4),
      );
    }
  }
  const bce = LOSS_CASES[1]!;
  gpuIt('batch gradient descent (batch = all samples)', (gpu) => compareRuns(gpu, bce, 'sgd', () => sgd({ learningRate: 0.5 }), SAMPLES, 6));
  gpuIt('stochastic gradient descent (batch 1)', (gpu) => compareRuns(gpu, bce, 'sgd', () => sgd({ learningRate: 0.05 }), 1, 2));
  gpuIt('mini-batch gradient descent (batch 7)', (gpu) => compareRuns(gpu, bce, 'adam', () => adam({ learningRate: 0.01 }), 7, 3));
});
