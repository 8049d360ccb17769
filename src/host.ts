// tensor(): data held in CPU memory, for passing to fit, evaluate and predict
// (which upload it to the model's backend), or to read back as it is.
import { CpuBackend } from './backend/cpu/index.js';
import type { Shape, Tensor } from './tensor.js';

const host = new CpuBackend();

/**
 * A tensor in CPU memory. `tensor([[1, 2], [3, 4]])` infers the shape [2, 2];
 * `tensor(values, [rows, cols])` takes flat row-major values.
 */
export function tensor(values: Float32Array | readonly number[] | readonly (readonly number[])[], shape?: Shape): Tensor {
  if (shape === undefined) {
    if (values.length > 0 && Array.isArray(values[0])) {
      const rows = values as readonly (readonly number[])[];
      const cols = rows[0]!.length;
      rows.forEach((r, i) => {
        if (r.length !== cols) throw new Error(`tensor: row ${i} has ${r.length} values, row 0 has ${cols}`);
      });
      return host.tensor(rows.flat(), [rows.length, cols]);
    }
    return host.tensor(values as readonly number[], [values.length]);
  }
  return host.tensor(values as readonly number[], shape);
}
