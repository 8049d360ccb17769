// Turning what users pass as x and y (a Tensor, number[][], number[]) into
// row-major matrices, and checking them before any GPU work starts.
import { Tensor } from '../tensor.js';
import { flattenNested, type NestedArray } from '../nested.js';

export type { NestedArray };

/** Anything fit, evaluate and predict accept as a data set: samples along the first dimension. */
export type DataInput = Tensor | NestedArray;

/** A row-major matrix in CPU memory: one row per sample. */
export interface Matrix {
  values: Float32Array;
  rows: number;
  cols: number;
  /** One sample's shape, when the input gave one (a tensor or nested arrays of rank 3 or more). */
  sampleShape?: readonly number[];
}

/** A [samples, values per sample] copy of the input; a vector becomes one column. */
export async function toMatrix(input: DataInput, what: string): Promise<Matrix> {
  let values: Float32Array;
  let shape: readonly number[];
  if (input instanceof Tensor) {
    if (input.shape.length === 0) throw new Error(`${what}: expected samples along the first dimension, got a scalar tensor`);
    values = await input.data();
    shape = input.shape;
  } else {
    if (!Array.isArray(input)) throw new Error(`${what}: expected a Tensor or nested arrays of numbers (number[][]), got ${typeof input}`);
    ({ values, shape } = flattenNested(input, what));
  }
  const rows = shape[0]!;
  const cols = shape.slice(1).reduce((n, d) => n * d, 1);
  return { values, rows, cols, ...(shape.length > 2 ? { sampleShape: shape.slice(1) } : {}) };
}

/** Throws at the first NaN or ±Infinity, naming the sample and feature. */
export function checkFinite(m: Matrix, what: string): void {
  for (let i = 0; i < m.values.length; i++) {
    if (!Number.isFinite(m.values[i])) {
      throw new Error(`${what}: sample ${Math.floor(i / m.cols)}, column ${i % m.cols} is ${m.values[i]} (NaN and Infinity cannot be trained on)`);
    }
  }
}

/** The rows [start, end) of a matrix, as a new matrix. */
export function sliceRows(m: Matrix, start: number, end: number): Matrix {
  return { values: m.values.slice(start * m.cols, end * m.cols), rows: end - start, cols: m.cols };
}
