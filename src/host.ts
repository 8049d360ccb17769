// tensor(): data held in CPU memory, for passing to fit, evaluate and predict
// (which upload it to the model's backend), or to read back as it is.
import { CpuBackend } from './backend/cpu/index.js';
import { flattenNested, type NestedArray } from './nested.js';
import type { Shape, Tensor } from './tensor.js';

const host = new CpuBackend();

/**
 * A tensor in CPU memory. Nested arrays give their full shape:
 * `tensor([[1, 2], [3, 4]])` is [2, 2], `tensor([[[1, 2]], [[3, 4]]])` is
 * [2, 1, 2]; ragged or non-numeric ones are refused, naming the place.
 * `tensor(values, shape)` takes flat row-major values (or nested ones with
 * as many values) in that shape. fit, evaluate and predict upload it to the
 * model's backend.
 *
 * @example
 * ```ts
 * const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);   // shape [4, 2]
 * const y = tensor([0, 1, 1, 0], [4, 1]);
 * console.log(x.shape, await y.data());
 * ```
 */
export function tensor(values: Float32Array | NestedArray, shape?: Shape): Tensor {
  if (values instanceof Float32Array) return host.tensor(values, shape ?? [values.length]);
  if (!Array.isArray(values)) throw new Error(`tensor: expected a Float32Array or (nested) arrays of numbers, got ${values === null ? 'null' : typeof values}`);
  if (values.length === 0) return host.tensor([], shape ?? [0]);
  const flat = flattenNested(values, 'tensor');
  return host.tensor(flat.values, shape ?? flat.shape);
}
