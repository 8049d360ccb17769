// lib/batch-rows.wgsl against the CPU reference: products and losses that read
// their batch in place from a resident data set (rows in the epoch's shuffled
// order, from a cursor on the device), instead of from a gathered copy.
// Each GPU result is checked against the CPU twin of the same call, and the
// CPU twin against the two-op form it replaces (gatherRows, then the op).
import { afterAll, describe, expect } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import type { Backend, BatchRows, LearningRateSchedule, LossName, MatmulOptions } from '../../src/backend/backend.js';
import { LOSSES, VIEW_ALIGNMENT } from '../../src/backend/backend.js';
import type { Tensor } from '../../src/tensor.js';
import { Random } from '../../src/random.js';
import { ErrorReport } from '../helpers/compare.js';
import { gpuIt } from '../helpers/gpu.js';

const cpu = new CpuBackend();
const report = new ErrorReport('batch rows read in place (webgpu vs cpu)');
afterAll(() => report.print());

interface Case {
  total: number;
  cols: number;
  rows: number;
  /** Where the batch starts: past total − rows, its last rows read zeros. */
  cursor: number;
}

const tolerance = (K: number) => ({ atol: 2e-6 * Math.sqrt(K), rtol: 1e-5, note: 'atol 2e-6·√K, rtol 1e-5' });

/** The batch of a data set as its own tensor: the two-op form (gatherRows) the in-place reads replace. */
async function gathered(b: Backend, data: Float32Array, shape: [number, number], perm: Float32Array, cursor: number, rows: number): Promise<Float32Array> {
  return b.gatherRows(b.tensor(data, shape), b.tensor(perm, [perm.length]), b.tensor([cursor], [1]), rows).data();
}

function batchOf(b: Backend, perm: Float32Array, cursor: number, rows: number): BatchRows {
  return { indices: b.tensor(perm, [perm.length]), cursor: b.tensor([cursor], [1]), rows };
}

describe('matmul reading A as rows of a data set', () => {
  // [total, cols, rows, cursor]: vec4-aligned columns (the register forms), odd ones (tiled, naive), a batch past the end.
  const CASES: Case[] = [
    { total: 37, cols: 12, rows: 8, cursor: 5 },
    { total: 200, cols: 20, rows: 64, cursor: 136 },
    { total: 100, cols: 16, rows: 12, cursor: 94 },
    { total: 9, cols: 7, rows: 3, cursor: 2 },
  ];
  for (const kernel of ['register', 'tiled', 'naive'] as const) {
    for (const c of CASES) {
      if (kernel === 'register' && c.cols % 4 !== 0) continue;
      const { total, cols, rows, cursor } = c;
      const N = 8;
      // The forward product x·W (A·B) and the weight gradient xᵀ·dZ with the bias gradient (Aᵀ·B).
      const forms: { name: string; options: MatmulOptions; bShape: [number, number] }[] = [
        { name: 'A·B', options: {}, bShape: [cols, N] },
        { name: 'Aᵀ·B + column sums', options: { transposeA: true }, bShape: [rows, N] },
      ];
      for (const form of forms) {
        gpuIt(`${kernel} ${form.name}: ${rows} rows from ${cursor} of ${total}×${cols}`, async (gpu) => {
          const rng = new Random(total * 31 + cols + rows + (form.options.transposeA ? 7 : 0));
          const data = rng.fill(total * cols);
          const bValues = rng.fill(form.bShape[0] * form.bShape[1]);
          const perm = rng.permutation(total);
          const run = async (be: Backend, product: (a: Tensor, b: Tensor, o: MatmulOptions) => Tensor) => {
            const sums = form.options.transposeA ? be.zeros([N]) : undefined;
            const options: MatmulOptions = { ...form.options, rowsOfA: batchOf(be, perm, cursor, rows), ...(sums ? { columnSumsInto: sums } : {}) };
            const out = await product(be.tensor(data, [total, cols]), be.tensor(bValues, form.bShape), options).data();
            return { out, sums: sums && (await sums.data()) };
          };
          const want = await run(cpu, (a, b, o) => cpu.matmul(a, b, o));
          const got = await run(gpu, (a, b, o) => gpu.matmulWith(kernel, a, b, o));
          const K = form.options.transposeA ? rows : cols;
          report.check(`matmul_${kernel} ${form.name}, A from a data set`, `${rows} of ${total}×${cols}`, got.out, want.out, tolerance(K));
          if (got.sums) report.check(`matmul_${kernel} ${form.name}: column sums`, `${rows} of ${total}×${cols}`, got.sums, want.sums!, tolerance(K));

          // The CPU twin against gatherRows then a plain product.
          const batch = await gathered(cpu, data, [total, cols], perm, cursor, rows);
          if (cursor + rows > total) expect(Array.from(batch.subarray((total - cursor) * cols))).toEqual(new Array((cursor + rows - total) * cols).fill(0));
          const plain = await cpu.matmul(cpu.tensor(batch, [rows, cols]), cpu.tensor(bValues, form.bShape), form.options).data();
          expect(want.out).toEqual(plain);
        });
      }
    }
  }

  gpuIt('permutation entries that name no row of the data set read zeros, on every kernel', async (gpu) => {
    const [total, cols, N] = [12, 8, 4];
    const rng = new Random(5);
    const data = rng.fill(total * cols);
    const w = rng.fill(cols * N);
    // Rows past the data, negative, and far past: each must read a row of zeros, never memory beyond the data set.
    const perm = Float32Array.from([3, total, -1, 7, 1e6, 0, total + 1, 11]);
    const rows = perm.length;
    const want = await cpu.matmul(cpu.tensor(data, [total, cols]), cpu.tensor(w, [cols, N]), { rowsOfA: batchOf(cpu, perm, 0, rows) }).data();
    for (const bad of [1, 2, 4, 6]) expect(Array.from(want.subarray(bad * N, (bad + 1) * N))).toEqual([0, 0, 0, 0]);
    for (const kernel of ['register', 'tiled', 'naive'] as const) {
      const got = await gpu.matmulWith(kernel, gpu.tensor(data, [total, cols]), gpu.tensor(w, [cols, N]), { rowsOfA: batchOf(gpu, perm, 0, rows) }).data();
      report.check(`matmul_${kernel}, permutation naming no row`, `${rows} of ${total}×${cols}`, got, want, tolerance(cols));
    }
    const gathered = await gpu.gatherRows(gpu.tensor(data, [total, cols]), gpu.tensor(perm, [rows]), gpu.tensor([0], [1]), rows).data();
    const gatheredCpu = await cpu.gatherRows(cpu.tensor(data, [total, cols]), cpu.tensor(perm, [rows]), cpu.tensor([0], [1]), rows).data();
    expect(gathered).toEqual(gatheredCpu);
    expect(Array.from(gatheredCpu.subarray(cols, 2 * cols))).toEqual(new Array(cols).fill(0));
  });

  gpuIt('a recorded step reads each batch of an epoch as the cursor moves on', async (gpu) => {
    const [total, cols, batch, N] = [50, 12, 16, 4];
    const rng = new Random(11);
    const data = rng.fill(total * cols);
    const w = rng.fill(cols * N);
    const perm = rng.permutation(total);
    const epoch = async (b: Backend) => {
      const [x, wt, indices, cursor, seen] = [b.tensor(data, [total, cols]), b.tensor(w, [cols, N]), b.tensor(perm, [total]), b.zeros([1]), b.zeros([total, N])];
      const plans = new Map<number, { plan: ReturnType<Backend['record']>; out: Tensor }>();
      for (let start = 0; start < total; start += batch) {
        const rows = Math.min(batch, total - start);
        let entry = plans.get(rows);
        if (!entry) {
          let out: Tensor | undefined;
          const plan = b.record(() => {
            out = b.matmul(x, wt, { rowsOfA: { indices, cursor, rows } });
            b.advanceCursor(cursor, rows);
          });
          // The product reads its batch itself: no gather among the plan's commands.
          expect(plan.commands).toBe(2);
          entry = { plan, out: out! };
          plans.set(rows, entry);
        }
        b.replay(entry.plan);
        b.copy(entry.out, seen, { dstOffset: start * N });
      }
      return seen.data();
    };
    const want = await epoch(cpu);
    report.check('matmul A·B over an epoch of batches', `${total}×${cols}, batches of ${batch}`, await epoch(gpu), want, tolerance(cols));
    // Row r of the epoch is data row perm[r] times W.
    const r = 17;
    const row = data.subarray(perm[r]! * cols, (perm[r]! + 1) * cols);
    for (let n = 0; n < N; n++) expect(want[r * N + n]).toBeCloseTo(row.reduce((s, v, k) => s + v * w[k * N + n]!, 0), 5);
  });
});

describe('losses reading targets as rows of a data set', () => {
  const [total, rows, cursor, cols] = [40, 16, 30, 5];
  for (const name of LOSSES) {
    for (const fromLogits of [false, true]) {
      if (fromLogits && name === 'meanSquaredError') continue;
      gpuIt(`${name}${fromLogits ? ' from logits' : ''}: ${rows} targets from ${cursor} of ${total}`, async (gpu) => {
        const rng = new Random(cols * 97 + (fromLogits ? 1 : 0) + LOSSES.indexOf(name));
        const sparse = name === 'sparseCategoricalCrossentropy';
        const tCols = sparse ? 1 : cols;
        const targets = Float32Array.from({ length: total * tCols }, () => (sparse ? rng.int(cols) : name === 'meanSquaredError' ? rng.uniform(-1, 1) : rng.int(2)));
        const pred = fromLogits || name === 'meanSquaredError' ? rng.fill(rows * cols, -3, 3) : rng.fill(rows * cols, 0.05, 0.95);
        const perm = rng.permutation(total);
        const run = async (b: Backend) => {
          const totals = b.zeros([2]);
          const out = b.loss(name as LossName, b.tensor(pred, [rows, cols]), b.tensor(targets, [total, tCols]), { fromLogits, accumulateInto: totals, targetRows: batchOf(b, perm, cursor, rows) });
          return { grad: await out.grad.data(), stats: await out.stats.data(), totals: await totals.data() };
        };
        const want = await run(cpu);
        const got = await run(gpu);
        const tol = { atol: 1e-5, rtol: 1e-4 };
        report.check(`loss ${name} gradient, targets from a data set`, `${rows} of ${total}`, got.grad, want.grad, tol);
        report.check(`loss ${name} row stats`, `${rows} of ${total}`, got.stats, want.stats, tol);
        report.check(`loss ${name} totals`, `${rows} of ${total}`, got.totals, want.totals, { atol: 1e-4, rtol: 1e-4 });
        // The CPU twin against gatherRows then the plain loss.
        const batch = await gathered(cpu, targets, [total, tCols], perm, cursor, rows);
        const plain = cpu.loss(name as LossName, cpu.tensor(pred, [rows, cols]), cpu.tensor(batch, [rows, tCols]), { fromLogits });
        expect(want.grad).toEqual(await plain.grad.data());
      });
    }
  }
});

describe("the step's bookkeeping in the loss's dispatch", () => {
  // A model's step state: [cursor | step | rate, base rate], each a view at an aligned offset of one buffer.
  const SCHEDULES: (LearningRateSchedule | undefined)[] = [
    undefined,
    { kind: 'exponentialDecay', initialLearningRate: 0.5, decaySteps: 2, decayRate: 0.5, staircase: false },
    { kind: 'piecewiseConstant', boundaries: [1, 3], values: [0.1, 0.01, 0.001] },
  ];
  for (const schedule of SCHEDULES) {
    gpuIt(`cursor, step${schedule ? ` and ${schedule.kind} rate` : ''} move on with the loss, in its one dispatch, over 4 replays`, async (gpu) => {
      const [total, rows, cols] = [40, 8, 3];
      const rng = new Random(21);
      const targets = Float32Array.from({ length: total }, () => rng.int(cols));
      const pred = rng.fill(rows * cols, -2, 2);
      const perm = rng.permutation(total);
      const run = async (b: Backend) => {
        const values = new Float32Array(3 * VIEW_ALIGNMENT);
        values.set([0.5, 0.5], 2 * VIEW_ALIGNMENT);
        const state = b.tensor(values, [values.length]);
        const [cursor, step, rate] = [b.view(state, [1], 0), b.view(state, [1], VIEW_ALIGNMENT), b.view(state, [2], 2 * VIEW_ALIGNMENT)];
        const [p, t, totals, indices] = [b.tensor(pred, [rows, cols]), b.tensor(targets, [total, 1]), b.zeros([2]), b.tensor(perm, [total])];
        const plan = b.record(() => {
          b.loss('sparseCategoricalCrossentropy', p, t, {
            fromLogits: true,
            accumulateInto: totals,
            targetRows: { indices, cursor, rows },
            advance: { cursor, rows, step, ...(schedule ? { schedule: { rate, schedule } } : {}) },
          });
        });
        for (let i = 0; i < 4; i++) b.replay(plan);
        const out = { commands: plan.commands, cursor: (await cursor.data())[0], step: (await step.data())[0], rate: Array.from(await rate.data()), totals: await totals.data() };
        plan.dispose();
        return out;
      };
      const want = await run(cpu);
      const got = await run(gpu);
      expect(got.commands).toBe(1);
      expect([got.cursor, got.step]).toEqual([32, 4]);
      expect([want.cursor, want.step]).toEqual([32, 4]);
      report.check(`loss + bookkeeping: rate after 4 steps${schedule ? ` (${schedule.kind})` : ''}`, '4 replays', Float32Array.from(got.rate), Float32Array.from(want.rate), { atol: 0, rtol: 1e-6 });
      // Each replay scored the next batch: the sums over 4 batches of the permutation.
      report.check('loss + bookkeeping: sums over 4 batches', '4 replays', got.totals, want.totals, { atol: 1e-4, rtol: 1e-5 });
      if (schedule?.kind === 'piecewiseConstant') expect(want.rate[0]).toBeCloseTo(0.01, 6); // the rate for step 4: 3 taken, past boundary 1, not past 3
    });
  }

  gpuIt('cursor and step in different buffers: the bookkeeping takes a dispatch of its own, with the same result', async (gpu) => {
    const [p, t, totals, cursor, step] = [gpu.tensor([0.2, 0.8], [1, 2]), gpu.tensor([0, 1], [1, 2]), gpu.zeros([2]), gpu.zeros([1]), gpu.zeros([1])];
    const plan = gpu.record(() => void gpu.loss('categoricalCrossentropy', p, t, { accumulateInto: totals, advance: { cursor, rows: 1, step } }));
    expect(plan.commands).toBe(2);
    gpu.replay(plan);
    gpu.replay(plan);
    expect([(await cursor.data())[0], (await step.data())[0]]).toEqual([2, 2]);
    plan.dispose();
    expect(() => gpu.loss('categoricalCrossentropy', p, t, { advance: { cursor, rows: 1 } })).toThrow(/^loss: advance needs accumulateInto/);
  });
});

