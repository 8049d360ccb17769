// metrics.wgsl against its CPU twin and a hand-worked case: the running sums
// behind mse, mae, precision and recall, from probabilities, from sigmoid and
// softmax logits, and against integer labels.
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import type { Backend, MetricsOptions } from '../../src/backend/backend.js';
import { Random } from '../../src/random.js';
import { ErrorReport } from '../helpers/compare.js';
import { gpuIt } from '../helpers/gpu.js';

const cpu = new CpuBackend();
const report = new ErrorReport('metrics parity (webgpu vs cpu)');
afterAll(() => report.print());

/** The sums after running the kernel twice into the same totals (it accumulates). */
async function sums(b: Backend, pred: Float32Array, truth: Float32Array, rows: number, cols: number, options: MetricsOptions): Promise<Float32Array> {
  const totals = b.zeros([5]);
  const targetShape = options.sparse ? [rows] : [rows, cols];
  for (let i = 0; i < 2; i++) b.metrics(b.tensor(pred, [rows, cols]), b.tensor(truth, targetShape), totals, options);
  return totals.data();
}

const CASES: { what: string; options: MetricsOptions }[] = [
  { what: 'probabilities', options: {} },
  { what: 'sigmoid logits', options: { fromLogits: 'sigmoid' } },
  { what: 'softmax logits', options: { fromLogits: 'softmax' } },
  { what: 'softmax logits, integer labels', options: { fromLogits: 'softmax', sparse: true } },
];

describe('metrics', () => {
  it('a hand-worked batch: se, ae, true / predicted / actual positives (cpu)', async () => {
    // Row 0: p (0.8, 0.2), y (1, 0): se (0.04 + 0.04)/2, ae (0.2 + 0.2)/2, one true positive.
    // Row 1: p (0.3, 0.6), y (1, 0): se (0.49 + 0.36)/2, ae (0.7 + 0.6)/2, one false positive, one missed.
    const got = await sums(cpu, Float32Array.from([0.8, 0.2, 0.3, 0.6]), Float32Array.from([1, 0, 1, 0]), 2, 2, {});
    const want = [2 * (0.04 + 0.425), 2 * (0.2 + 0.65), 2 * 1, 2 * 2, 2 * 2];
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
  });

  for (const { what, options } of CASES) {
    for (const [rows, cols] of [[1, 1], [7, 3], [130, 10], [1000, 1], [300, 17]] as const) {
      if (options.fromLogits === 'softmax' && cols === 1) continue;
      if (options.fromLogits !== 'softmax' && options.sparse) continue;
      gpuIt(`${what} [${rows}, ${cols}]`, async (gpu) => {
        const rng = new Random(rows * 31 + cols);
        const logits = options.fromLogits !== undefined;
        const pred = logits ? rng.fill(rows * cols, -4, 4) : rng.fill(rows * cols, 0, 1);
        const truth = options.sparse
          ? Float32Array.from({ length: rows }, () => rng.int(cols))
          : Float32Array.from({ length: rows * cols }, () => (rng.next() < 0.4 ? 1 : 0));
        const want = await sums(cpu, pred, truth, rows, cols, options);
        const got = await sums(gpu, pred, truth, rows, cols, options);
        // The counts are whole numbers and must agree exactly; the error sums to f32 rounding.
        report.check('metrics: mse / mae sums', `${what} [${rows}, ${cols}]`, got.subarray(0, 2), want.subarray(0, 2), { atol: 1e-5, rtol: 1e-5 });
        report.check('metrics: tp / predicted / actual counts', `${what} [${rows}, ${cols}]`, got.subarray(2), want.subarray(2), { atol: 0, rtol: 0 });
        if (rows > 1) expect(want[4], 'the case has positives to count').toBeGreaterThan(0);
      });
    }
  }
});
