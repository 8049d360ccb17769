// Turning what users pass as x and y (a Tensor, number[][], number[]) into
// row-major matrices, and checking them before any GPU work starts.
import { Tensor, formatShape } from '../tensor.js';

/** Anything fit, evaluate and predict accept as a data set. */
export type DataInput = Tensor | readonly (readonly number[])[] | readonly number[];

/** A row-major matrix in CPU memory. */
export interface Matrix {
  values: Float32Array;
  rows: number;
  cols: number;
}

/** A [rows, cols] copy of the input; a vector becomes one column. */
export async function toMatrix(input: DataInput, what: string): Promise<Matrix> {
  if (input instanceof Tensor) {
    const shape = input.shape;
    if (shape.length !== 1 && shape.length !== 2) {
      throw new Error(`${what}: expected a matrix [samples, features] or a vector, got a tensor of shape ${formatShape(shape)}`);
    }
    return { values: await input.data(), rows: shape[0]!, cols: shape.length === 2 ? shape[1]! : 1 };
  }
  if (!Array.isArray(input)) throw new Error(`${what}: expected a Tensor, number[][] or number[], got ${typeof input}`);
  if (input.length === 0) throw new Error(`${what}: the data set is empty`);
  if (!Array.isArray(input[0])) {
    const flat = input as readonly number[];
    flat.forEach((v, i) => {
      if (typeof v !== 'number') throw new Error(`${what}: element ${i} is ${JSON.stringify(v)}, not a number`);
    });
    return { values: Float32Array.from(flat), rows: flat.length, cols: 1 };
  }
  const rowsIn = input as readonly (readonly number[])[];
  const cols = rowsIn[0]!.length;
  const values = new Float32Array(rowsIn.length * cols);
  rowsIn.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== cols) {
      throw new Error(`${what}: row ${r} has ${Array.isArray(row) ? row.length : 'no'} values, row 0 has ${cols}`);
    }
    for (let c = 0; c < cols; c++) {
      const v = row[c];
      if (typeof v !== 'number') throw new Error(`${what}: row ${r}, column ${c} is ${JSON.stringify(v)}, not a number`);
      values[r * cols + c] = v;
    }
  });
  return { values, rows: rowsIn.length, cols };
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
