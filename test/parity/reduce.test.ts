// reduce.wgsl (column_sums) against the CPU reference: the bias gradient
// (Σ over the batch), the mean loss, and accumulation into a running total.
import { afterAll, describe, expect } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import { Random } from '../../src/random.js';
import { ErrorReport } from '../helpers/compare.js';
import { gpuIt } from '../helpers/gpu.js';

const cpu = new CpuBackend();
const report = new ErrorReport('reduce parity (webgpu vs cpu)');
afterAll(() => report.print());

const SHAPES: [number, number][] = [[1, 1], [7, 13], [127, 31], [13, 127], [1000, 1], [8000, 1], [512, 1024], [3, 70000]];
const tolerance = (rows: number) => ({ atol: 1e-6 * Math.sqrt(rows), rtol: 1e-5, note: 'atol 1e-6·√rows, rtol 1e-5' });

describe('column_sums', () => {
  for (const [rows, cols] of SHAPES) {
    gpuIt(`column_sums ${rows}×${cols}`, async (gpu) => {
      const rng = new Random(rows + cols * 13);
      const x = rng.fill(rows * cols);
      const scale = 1 / rows;
      const want = await cpu.columnSums(cpu.tensor(x, [rows, cols]), { scale }).data();
      const got = await gpu.columnSums(gpu.tensor(x, [rows, cols]), { scale }).data();
      report.check('column_sums', `${rows}×${cols}`, got, want, tolerance(rows));
    });
  }

  gpuIt('column_sums accumulates into a running total, as epoch loss sums do', async (gpu) => {
    const rng = new Random(5);
    const total = gpu.zeros([3]);
    const expected = new Float32Array(3);
    for (let step = 0; step < 20; step++) {
      const x = rng.fill(17 * 3);
      const sums = await cpu.columnSums(cpu.tensor(x, [17, 3])).data();
      sums.forEach((s, i) => (expected[i]! += s));
      expect(gpu.columnSums(gpu.tensor(x, [17, 3]), { accumulateInto: total })).toBe(total);
    }
    report.check('column_sums (accumulate)', '20 × 17×3', await total.data(), expected, tolerance(340));
  });
});
