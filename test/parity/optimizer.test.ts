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

type Rule = 'sgd' | 'momentum' | 'adam' | 'adamw' | 'rmsprop';
const RULES: Rule[] = ['sgd', 'momentum', 'adam', 'adamw', 'rmsprop'];

/**
 * Runs STEPS updates with a fresh pseudo-random gradient each step; returns
 * every state tensor. With `rateTensor` the learning rate is read from a
 * tensor, written anew halfway (as model.optimizer.learningRate does).
 */
async function train(b: Backend, rule: Rule, n: number, rateTensor = false): Promise<Float32Array[]> {
  const rng = new Random(n);
  const param = b.tensor(rng.fill(n), [n]);
  const slot1 = b.zeros([n]);
  const slot2 = b.zeros([n]);
  const step = b.zeros([1]);
  // Each rule's customary rate; the tensor's is cut to 40% halfway.
  const base = rule === 'sgd' || rule === 'momentum' ? 0.05 : 0.001;
  const rate = b.tensor([base, base], [2]);
  for (let s = 0; s < STEPS; s++) {
    if (rateTensor && s === STEPS / 2) b.write(rate, new Float32Array([0.4 * base, 0.4 * base]));
    const lr = (fixed: number) => (rateTensor ? rate : fixed);
    const grad = b.tensor(rng.fill(n, -0.5, 0.5), [n]);
    if (rule === 'sgd') b.sgd(param, grad, lr(0.05));
    if (rule === 'momentum') b.momentum(param, grad, slot1, lr(0.05), 0.9);
    if (rule === 'rmsprop') b.rmsprop(param, grad, slot1, { learningRate: lr(base), rho: 0.9, epsilon: 1e-7 });
    if (rule === 'adam' || rule === 'adamw') {
      b.advanceStep(step);
      b.adam(param, grad, slot1, slot2, step, { ...ADAM, learningRate: lr(base), ...(rule === 'adamw' ? { weightDecay: 0.004 } : {}) });
    }
  }
  return Promise.all([param, slot1, slot2, step].map((t) => t.data()));
}

describe('optimizer', () => {
  for (const rule of RULES) {
    gpuIt(`${rule} with its learning rate in a tensor, changed halfway`, async (gpu) => {
      const want = await train(cpu, rule, 1000, true);
      const got = await train(gpu, rule, 1000, true);
      report.check(`${rule}: parameters (rate tensor)`, 'n=1000', got[0]!, want[0]!, TOL);
      // The change took effect: a fixed rate ends elsewhere.
      const fixed = await train(cpu, rule, 1000, false);
      expect(Array.from(want[0]!)).not.toEqual(Array.from(fixed[0]!));
    });
  }

  const SCHEDULES = [
    { kind: 'exponentialDecay', initialLearningRate: 0.1, decaySteps: 3, decayRate: 0.5, staircase: false },
    { kind: 'exponentialDecay', initialLearningRate: 0.1, decaySteps: 3, decayRate: 0.5, staircase: true },
    { kind: 'piecewiseConstant', boundaries: [2, 5, 7], values: [0.1, 0.05, 0.01, 0.001] },
  ] as const;
  for (const schedule of SCHEDULES) {
    gpuIt(`advanceStep applies a schedule on the device: ${schedule.kind}${'staircase' in schedule && schedule.staircase ? ' (staircase)' : ''}`, async (gpu) => {
      const rates = async (b: Backend) => {
        const step = b.zeros([1]);
        const rate = b.tensor([0, 'initialLearningRate' in schedule ? schedule.initialLearningRate : 0], [2]);
        const out: number[] = [];
        for (let s = 0; s < 10; s++) {
          b.advanceStep(step, { rate, schedule });
          out.push((await rate.data())[0]!);
        }
        return Float32Array.from(out);
      };
      const want = await rates(cpu);
      report.check(`advance_step ${schedule.kind}`, 'steps 0–9', await rates(gpu), want, { atol: 1e-9, rtol: 1e-6 });
      if (schedule.kind === 'piecewiseConstant') expect(Array.from(want)).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.01, 0.01, 0.001, 0.001].map(Math.fround));
      else if (schedule.staircase) expect(Array.from(want.slice(0, 7))).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025].map(Math.fround));
    });
  }

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
