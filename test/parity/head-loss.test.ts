// head-loss.wgsl against the CPU reference: the output layer's product and the
// loss in one dispatch (prediction = x·W + b, then loss, gradient, sums, and
// the step's bookkeeping), for every loss, with W and b side by side in one
// buffer (as a model's parameter store keeps them) and, as the fallback, apart.
import { afterAll, describe, expect } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import type { Backend, LossName, LossOptions } from '../../src/backend/backend.js';
import { LOSSES, VIEW_ALIGNMENT } from '../../src/backend/backend.js';
import type { Tensor } from '../../src/tensor.js';
import { Random } from '../../src/random.js';
import { ErrorReport } from '../helpers/compare.js';
import { gpuIt } from '../helpers/gpu.js';

const cpu = new CpuBackend();
const report = new ErrorReport('head + loss in one dispatch (webgpu vs cpu)');
afterAll(() => report.print());

/** W [k, n] and b [n] as views of one buffer (together) or as tensors of their own. */
function weights(b: Backend, w: Float32Array, bias: Float32Array, k: number, n: number, together: boolean): [Tensor, Tensor] {
  if (!together) return [b.tensor(w, [k, n]), b.tensor(bias, [n])];
  const at = Math.ceil((k * n) / VIEW_ALIGNMENT) * VIEW_ALIGNMENT;
  const all = new Float32Array(at + VIEW_ALIGNMENT);
  all.set(w);
  all.set(bias, at);
  const page = b.tensor(all, [all.length]);
  return [b.view(page, [k, n]), b.view(page, [n], at)];
}

describe('headLoss', () => {
  const [rows, k, n] = [24, 20, 5];
  for (const name of LOSSES) {
    for (const together of [true, false]) {
      const fromLogits = name !== 'meanSquaredError';
      gpuIt(`${name}${fromLogits ? ' from logits' : ''}, W and b ${together ? 'in one buffer (one dispatch)' : 'apart (matmul, then loss)'}`, async (gpu) => {
        const rng = new Random(LOSSES.indexOf(name) * 7 + (together ? 1 : 0));
        const sparse = name === 'sparseCategoricalCrossentropy';
        const [x, w, bias] = [rng.fill(rows * k), rng.fill(k * n, -0.5, 0.5), rng.fill(n, -0.1, 0.1)];
        const y = Float32Array.from({ length: rows * (sparse ? 1 : n) }, () => (sparse ? rng.int(n) : name === 'meanSquaredError' ? rng.uniform(-1, 1) : rng.int(2)));
        const run = async (b: Backend) => {
          const [wt, bt] = weights(b, w, bias, k, n, together);
          const [totals, cursor] = [b.zeros([2]), b.zeros([1])];
          const options: LossOptions = { fromLogits, accumulateInto: totals, advance: { cursor, rows } };
          const plan = b.record(() => void b.headLoss(name as LossName, b.tensor(x, [rows, k]), wt, bt, b.tensor(y, [rows, sparse ? 1 : n]), options));
          const commands = plan.commands;
          plan.dispose();
          const out = b.headLoss(name as LossName, b.tensor(x, [rows, k]), wt, bt, b.tensor(y, [rows, sparse ? 1 : n]), options);
          return { commands, prediction: await out.prediction.data(), grad: await out.grad.data(), totals: await totals.data(), cursor: (await cursor.data())[0] };
        };
        const want = await run(cpu);
        const got = await run(gpu);
        expect(want.commands).toBe(1);
        expect(got.commands).toBe(together ? 1 : 2);
        const tol = { atol: 1e-5, rtol: 1e-4 };
        report.check(`headLoss ${name}: prediction`, `${rows}×${k}·${k}×${n}`, got.prediction, want.prediction, tol);
        report.check(`headLoss ${name}: gradient`, `${rows}×${n}`, got.grad, want.grad, tol);
        report.check(`headLoss ${name}: sums`, `${rows} rows`, got.totals, want.totals, { atol: 1e-4, rtol: 1e-4 });
        expect([got.cursor, want.cursor]).toEqual([rows, rows]);
        // The CPU twin is matmul then loss.
        const z = cpu.matmul(cpu.tensor(x, [rows, k]), cpu.tensor(w, [k, n]), { bias: cpu.tensor(bias, [n]) });
        expect(want.prediction).toEqual(await z.data());
        expect(want.grad).toEqual(await cpu.loss(name as LossName, z, cpu.tensor(y, [rows, sparse ? 1 : n]), { fromLogits }).grad.data());
      });
    }
  }

  gpuIt('needs the sums it takes in the same pass', async (gpu) => {
    const [x, w] = [gpu.zeros([2, 3]), gpu.zeros([3, 2])];
    expect(() => gpu.headLoss('meanSquaredError', x, w, undefined, gpu.zeros([2, 2]), {})).toThrow(/^headLoss: accumulateInto is required/);
  });
});
