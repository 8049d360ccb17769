// loss.wgsl against the CPU reference: per-sample loss, accuracy and the
// gradient for every loss, from probabilities and from logits, plus the GPU
// reduction of the per-sample losses to the batch mean.
import { afterAll, describe, expect } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import { LOSSES, type LossName } from '../../src/backend/backend.js';
import type { Backend } from '../../src/backend/backend.js';
import { Random } from '../../src/random.js';
import { ErrorReport } from '../helpers/compare.js';
import { gpuIt } from '../helpers/gpu.js';

const cpu = new CpuBackend();
const report = new ErrorReport('loss parity (webgpu vs cpu)');
afterAll(() => report.print());

const SHAPES: [number, number][] = [[1, 1], [7, 13], [31, 1], [127, 10], [13, 127], [600, 3], [2000, 10]];
const TOL = { atol: 1e-6, rtol: 1e-4 };

/** Predictions and targets that are valid for each loss. */
function makeCase(name: LossName, fromLogits: boolean, rows: number, cols: number, rng: Random) {
  const pred = fromLogits || name === 'meanSquaredError' ? rng.fill(rows * cols, -6, 6) : rng.fill(rows * cols, 0, 1);
  let target: Float32Array;
  let targetShape = [rows, cols];
  if (name === 'sparseCategoricalCrossentropy') {
    target = Float32Array.from({ length: rows }, () => rng.int(cols));
    targetShape = [rows];
  } else if (name === 'categoricalCrossentropy') {
    target = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) target[r * cols + rng.int(cols)] = 1;
  } else if (name === 'binaryCrossentropy') {
    target = Float32Array.from({ length: rows * cols }, () => (rng.next() < 0.5 ? 0 : 1));
  } else {
    target = rng.fill(rows * cols, -2, 2);
  }
  return { pred, target, targetShape };
}

/** Loss, accuracy, gradient and the batch means (Σ of the stats columns / rows) on one backend. */
async function run(b: Backend, name: LossName, fromLogits: boolean, pred: Float32Array, target: Float32Array, rows: number, cols: number, targetShape: number[]) {
  const out = b.loss(name, b.tensor(pred, [rows, cols]), b.tensor(target, targetShape), { fromLogits });
  const stats = await out.stats.data();
  const means = await b.columnSums(out.stats, { scale: 1 / rows }).data();
  // The same sums, reduced by the loss kernel itself into a running total (twice: it accumulates).
  const totals = b.zeros([2]);
  for (let i = 0; i < 2; i++) b.loss(name, b.tensor(pred, [rows, cols]), b.tensor(target, targetShape), { fromLogits, accumulateInto: totals });
  const fused = Array.from(await totals.data(), (v) => v / (2 * rows));
  return {
    grad: await out.grad.data(),
    rowLoss: stats.filter((_, i) => i % 2 === 0),
    rowCorrect: stats.filter((_, i) => i % 2 === 1),
    means,
    fused: Float32Array.from(fused),
  };
}

describe('loss', () => {
  for (const name of LOSSES) {
    for (const fromLogits of name === 'meanSquaredError' ? [false] : [false, true]) {
      for (const [rows, cols] of SHAPES) {
        if (name === 'binaryCrossentropy' ? false : name !== 'meanSquaredError' && cols === 1) continue;
        const label = `${name}${fromLogits ? ' (from logits)' : ''}`;
        gpuIt(`${label} ${rows}×${cols}`, async (gpu) => {
          const rng = new Random(rows * 101 + cols);
          const { pred, target, targetShape } = makeCase(name, fromLogits, rows, cols, rng);
          const want = await run(cpu, name, fromLogits, pred, target, rows, cols, targetShape);
          const got = await run(gpu, name, fromLogits, pred, target, rows, cols, targetShape);
          report.check(`loss ${label}: row loss`, `${rows}×${cols}`, got.rowLoss, want.rowLoss, TOL);
          report.check(`loss ${label}: gradient`, `${rows}×${cols}`, got.grad, want.grad, TOL);
          report.check(`loss ${label}: accuracy`, `${rows}×${cols}`, got.rowCorrect, want.rowCorrect, { atol: 0, rtol: 0 });
          // The batch mean loss and accuracy, reduced on the GPU by column_sums.
          report.check(`loss ${label}: batch mean (column_sums)`, `${rows}×${cols}`, got.means, want.means, TOL);
          report.check(`loss ${label}: batch mean (fused reduction)`, `${rows}×${cols}`, got.fused, want.means, TOL);
          report.check(`loss ${label}: fused vs column_sums (cpu)`, `${rows}×${cols}`, want.fused, want.means, TOL);
          expect(Number.isFinite(got.means[0])).toBe(true);
        });
      }
    }
  }

  gpuIt('binary cross-entropy from logits stays finite and exact for |z| = 100', async (gpu) => {
    const z = new Float32Array([100, -100, 100, -100]);
    const y = new Float32Array([1, 0, 0, 1]);
    const out = gpu.loss('binaryCrossentropy', gpu.tensor(z, [4, 1]), gpu.tensor(y, [4, 1]), { fromLogits: true });
    const stats = await out.stats.data();
    // log(1 + e^-100) ≈ 0 for the right answers; ≈ 100 for the wrong ones.
    expect(Array.from(stats)).toEqual([0, 1, 0, 1, 100, 0, 100, 0]);
    expect(Array.from(await out.grad.data()).map((g) => Math.round(g * 4))).toEqual([0, 0, 1, -1]);
  });
});
