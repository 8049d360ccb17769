// dropout.wgsl against the CPU reference: the mask is a pure function of
// (seed, step, element), so both backends drop exactly the same elements —
// compared exactly — and it changes with the step and the seed.
import { afterAll, describe, expect } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import type { Backend } from '../../src/backend/backend.js';
import { Random } from '../../src/random.js';
import { ErrorReport } from '../helpers/compare.js';
import { gpuIt } from '../helpers/gpu.js';

const cpu = new CpuBackend();
const report = new ErrorReport('dropout parity (webgpu vs cpu)');
afterAll(() => report.print());

async function run(b: Backend, n: number, rate: number, seed: number, step: number) {
  const x = new Random(n + seed).fill(n, 0.5, 1.5);
  const dy = new Random(n + seed + 1).fill(n);
  const below = Float32Array.from(new Random(3).fill(n, -1, 1), (v) => Math.max(v, 0));
  const stepT = b.tensor([step], [1]);
  const opts = { rate, seed, step: stepT };
  return {
    y: await b.dropout(b.tensor(x, [n]), opts).data(),
    dx: await b.dropoutBackward(b.tensor(dy, [n]), opts).data(),
    dxFused: await b.dropoutBackward(b.tensor(dy, [n]), { ...opts, derivativeOf: { activation: 'relu', output: b.tensor(below, [n]) } }).data(),
  };
}

describe('dropout', () => {
  for (const [n, rate, seed, step] of [[1, 0.5, 1, 0], [1000, 0.25, 7, 3], [4099, 0.5, 42, 1], [20000, 0.9, 3, 12345], [100, 0, 1, 1]] as const) {
    gpuIt(`n=${n} rate ${rate} seed ${seed} step ${step}`, async (gpu) => {
      const want = await run(cpu, n, rate, seed, step);
      const got = await run(gpu, n, rate, seed, step);
      report.check('dropout_forward', `n=${n}`, got.y, want.y, { atol: 0, rtol: 0 });
      report.check('dropout_backward', `n=${n}`, got.dx, want.dx, { atol: 0, rtol: 0 });
      report.check("dropout_backward fused with f'", `n=${n}`, got.dxFused, want.dxFused, { atol: 1e-7, rtol: 1e-6 });
      if (n >= 1000) {
        // Kept elements: about 1 − rate of them (binomial, 5σ), each scaled by 1 / (1 − rate).
        const kept = want.y.filter((v) => v !== 0).length;
        const sigma = Math.sqrt(n * rate * (1 - rate));
        expect(Math.abs(kept - n * (1 - rate))).toBeLessThan(5 * sigma + 1);
      }
    });
  }

  gpuIt('the mask changes with the step and the seed, and is the same for forward and backward', async (gpu) => {
    const a = await run(gpu, 2000, 0.5, 1, 1);
    const b = await run(gpu, 2000, 0.5, 1, 2);
    const c = await run(gpu, 2000, 0.5, 2, 1);
    const zeros = (v: Float32Array) => Array.from(v, (x) => (x === 0 ? 1 : 0)).join('');
    expect(zeros(a.y)).not.toBe(zeros(b.y));
    expect(zeros(a.y)).not.toBe(zeros(c.y));
    expect(zeros(a.y)).toBe(zeros(a.dx).replace(/./g, (ch, i) => (a.dx[i] === 0 && a.y[i] === 0 ? '1' : ch)));
  });

  gpuIt('bad options fail before anything is dispatched', async (gpu) => {
    const before = gpu.stats().dispatches;
    const step = gpu.zeros([1]);
    expect(() => gpu.dropout(gpu.zeros([4]), { rate: 1, seed: 1, step })).toThrow(/dropout: rate must be a number in \[0, 1\), got 1/);
    expect(() => gpu.dropout(gpu.zeros([4]), { rate: 0.5, seed: -1, step })).toThrow(/seed must be an integer/);
    expect(() => gpu.dropout(gpu.zeros([4]), { rate: 0.5, seed: 1, step: gpu.zeros([2]) })).toThrow(/step must hold one value/);
    expect(gpu.stats().dispatches).toBe(before);
  });
});
