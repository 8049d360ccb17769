// optimizer.wgsl against the CPU reference: several steps of each update rule
// on the same parameters and gradients, with the Adam step count kept on the GPU.
import { afterAll, describe, expect } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import type { Backend } from '../../src/backend/backend.js';
import { Random } from '../../src/random.js';
import { ErrorReport } from '../helpers/compare.js';
import { gpuIt } from '../helpers/gpu.js';

const cpu = new CpuBackend();
const report = new ErrorReport('optimizer parity (webgpu vs cpu), after 10 steps');
afterAll(() => report.print());

const SIZES = [1, 7, 127, 1000, 100_352];
const STEPS = 10;
const TOL = { atol: 1e-6, rtol: 1e-5 };
const ADAM = { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

type Rule = 'sgd' | 'momentum' | 'adam';

/** Runs STEPS updates with a fresh pseudo-random gradient each step; returns every state tensor. */
async function train(b: Backend, rule: Rule, n: number): Promise<Float32Array[]> {
  const rng = new Random(n);
  const param = b.tensor(rng.fill(n), [n]);
  const slot1 = b.zeros([n]);
  const slot2 = b.zeros([n]);
  const step = b.zeros([1]);
  for (let s = 0; s < STEPS; s++) {
    const grad = b.tensor(rng.fill(n, -0.5, 0.5), [n]);
    if (rule === 'sgd') b.sgd(param, grad, 0.05);
    if (rule === 'momentum') b.momentum(param, grad, slot1, 0.05, 0.9);
    if (rule === 'adam') {
      b.advanceStep(step);
      b.adam(param, grad, slot1, slot2, step, ADAM);
    }
  }
  return Promise.all([param, slot1, slot2, step].map((t) => t.data()));
}

describe('optimizer', () => {
  for (const rule of ['sgd', 'momentum', 'adam'] as const) {
    for (const n of SIZES) {
      gpuIt(`${rule} n=${n}`, async (gpu) => {
        const want = await train(cpu, rule, n);
        const got = await train(gpu, rule, n);
        report.check(`${rule}: parameters`, `n=${n}`, got[0]!, want[0]!, TOL);
        if (rule !== 'sgd') report.check(`${rule}: first moment / velocity`, `n=${n}`, got[1]!, want[1]!, TOL);
        if (rule === 'adam') {
          report.check('adam: second moment', `n=${n}`, got[2]!, want[2]!, TOL);
          expect(got[3]![0]).toBe(STEPS);
        }
      });
    }
  }
});
