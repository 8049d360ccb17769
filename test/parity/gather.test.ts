// gather.wgsl against the CPU reference: batches assembled from a resident
// data set through a permutation and a cursor, replayed from a recorded plan
// the way an epoch is, plus the copy op that plans use for backups.
import { afterAll, describe, expect } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import type { Backend, Plan } from '../../src/backend/backend.js';
import type { Tensor } from '../../src/tensor.js';
import { Random } from '../../src/random.js';
import { ErrorReport } from '../helpers/compare.js';
import { gpuIt } from '../helpers/gpu.js';

const cpu = new CpuBackend();
const report = new ErrorReport('gather parity (webgpu vs cpu)');
afterAll(() => report.print());

/** Every batch of one epoch, each gathered by replaying the plan for its batch size. */
async function epochBatches(b: Backend, data: Float32Array, total: number, cols: number, batch: number, perm: Float32Array) {
  const src = b.tensor(data, [total, cols]);
  const indices = b.tensor(perm, [total]);
  const cursor = b.zeros([1]);
  const seen = b.zeros([total, cols]);
  const plans = new Map<number, { plan: Plan; out: Tensor }>();
  for (let start = 0; start < total; start += batch) {
    const rows = Math.min(batch, total - start);
    let entry = plans.get(rows);
    if (!entry) {
      let out: Tensor | undefined;
      const plan = b.record(() => {
        out = b.gatherRows(src, indices, cursor, rows);
        b.advanceCursor(cursor, rows);
      });
      entry = { plan, out: out! };
      plans.set(rows, entry);
    }
    b.replay(entry.plan);
    // Ordered after the replay: collect the batch where it belongs in the epoch.
    b.copy(entry.out, seen, { dstOffset: start * cols });
  }
  const result = { seen: await seen.data(), cursor: await cursor.data() };
  for (const { plan } of plans.values()) plan.dispose();
  return result;
}

describe('gather_rows', () => {
  for (const [total, cols, batch] of [[1, 1, 1], [7, 13, 3], [127, 31, 32], [1000, 10, 128], [600, 784, 600]] as const) {
    gpuIt(`gather_rows + advance_cursor ${total}×${cols}, batches of ${batch}`, async (gpu) => {
      const rng = new Random(total + cols);
      const data = rng.fill(total * cols);
      const perm = Float32Array.from({ length: total }, (_, i) => i);
      for (let i = total - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      const want = await epochBatches(cpu, data, total, cols, batch, perm);
      const got = await epochBatches(gpu, data, total, cols, batch, perm);
      report.check('gather_rows', `${total}×${cols}`, got.seen, want.seen, { atol: 0, rtol: 0 });
      expect(got.cursor[0]).toBe(total);
      // And the CPU oracle itself: row r of the epoch is data row perm[r].
      for (const r of [0, total - 1]) {
        const from = perm[r]! * cols;
        expect(Array.from(want.seen.subarray(r * cols, (r + 1) * cols))).toEqual(Array.from(data.subarray(from, from + cols)));
      }
    });
  }

  // A training step's form: samples and targets in one gather_rows (PAIR), the
  // cursor moved on by advance_step together with the step count.
  async function pairedEpoch(b: Backend, x: Float32Array, y: Float32Array, total: number, cols: [number, number], batch: number, perm: Float32Array) {
    const [xs, ys, indices, cursor, step] = [b.tensor(x, [total, cols[0]]), b.tensor(y, [total, cols[1]]), b.tensor(perm, [total]), b.zeros([1]), b.zeros([1])];
    const seen = [b.zeros([total, cols[0]]), b.zeros([total, cols[1]])];
    const plans = new Map<number, { plan: Plan; outs: Tensor[] }>();
    for (let start = 0; start < total; start += batch) {
      const rows = Math.min(batch, total - start);
      let entry = plans.get(rows);
      if (!entry) {
        let outs: Tensor[] = [];
        const plan = b.record(() => {
          outs = b.gatherBatch(xs, ys, indices, cursor, rows);
          b.advanceStep(step, undefined, { cursor, rows });
        });
        expect(plan.commands).toBe(2);
        entry = { plan, outs };
        plans.set(rows, entry);
      }
      b.replay(entry.plan);
      entry.outs.forEach((o, i) => b.copy(o, seen[i]!, { dstOffset: start * cols[i]! }));
    }
    return { x: await seen[0]!.data(), y: await seen[1]!.data(), cursor: (await cursor.data())[0], step: (await step.data())[0] };
  }

  for (const [total, cols, batch] of [[1, [1, 1], 1], [7, [13, 1], 3], [130, [784, 10], 32], [600, [3, 7], 600]] as const) {
    gpuIt(`gather_rows PAIR + advance_step with the cursor ${total}×(${cols.join(' + ')}), batches of ${batch}`, async (gpu) => {
      const rng = new Random(3 * total + cols[0]);
      const x = rng.fill(total * cols[0]);
      const y = rng.fill(total * cols[1]);
      const perm = Float32Array.from({ length: total }, (_, i) => (i * 7 + 3) % total);
      if (total % 7 === 0) perm.forEach((_, i) => (perm[i] = total - 1 - i));
      const c: [number, number] = [cols[0], cols[1]];
      const want = await pairedEpoch(cpu, x, y, total, c, batch, perm);
      const got = await pairedEpoch(gpu, x, y, total, c, batch, perm);
      report.check('gather_rows PAIR: samples', `${total}×${cols[0]}`, got.x, want.x, { atol: 0, rtol: 0 });
      report.check('gather_rows PAIR: targets', `${total}×${cols[1]}`, got.y, want.y, { atol: 0, rtol: 0 });
      // The CPU oracle: the targets of epoch row r are y's row perm[r], as gatherRows alone gives them.
      expect(want.y).toEqual((await epochBatches(cpu, y, total, cols[1], batch, perm)).seen);
      expect([got.cursor, got.step]).toEqual([total, Math.ceil(total / batch)]);
    });
  }

  gpuIt('a plan replayed many times reuses its buffers and bind groups', async (gpu) => {
    const src = gpu.tensor(new Random(1).fill(64 * 8), [64, 8]);
    const indices = gpu.tensor(Float32Array.from({ length: 64 }, (_, i) => 63 - i), [64]);
    const cursor = gpu.zeros([1]);
    const total = gpu.zeros([8]);
    const plan = gpu.record(() => {
      const rows = gpu.gatherRows(src, indices, cursor, 8);
      gpu.columnSums(rows, { accumulateInto: total });
      gpu.advanceCursor(cursor, 8);
    });
    expect(plan.commands).toBe(3);
    gpu.replay(plan);
    await total.data(); // warm: the first readback of this size creates its staging buffer
    gpu.write(total, new Float32Array(8));
    gpu.write(cursor, new Float32Array(1));
    const before = gpu.stats();
    for (let i = 0; i < 8; i++) gpu.replay(plan);
    const sums = await total.data();
    const after = gpu.stats();
    expect(after.buffersCreated).toBe(before.buffersCreated);
    expect(after.dispatches - before.dispatches).toBe(24);
    expect(after.submissions - before.submissions).toBe(1);
    const want = await cpu.columnSums(cpu.tensor(await src.data(), [64, 8])).data();
    report.check('gather_rows (replayed plan)', '8 batches of 8', sums, want, { atol: 1e-5, rtol: 1e-5 });
    plan.dispose();
  });
});
