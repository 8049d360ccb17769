// Turning what users pass as x and y (a Tensor, number[][], number[]) into
// row-major matrices, and checking them before any GPU work starts.
import { Tensor } from '../tensor.js';

/** Nested arrays of numbers: number[], number[][], number[][][][] for images, … */
export type NestedArray = readonly number[] | readonly NestedArray[];

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

/** The shape of nested arrays and their values in row-major order; throws naming the first ragged or non-numeric place. */
function flattenNested(input: NestedArray, what: string): { values: Float32Array; shape: number[] } {
  const shape: number[] = [];
  for (let level: unknown = input; Array.isArray(level); level = level[0]) {
    if (level.length === 0) throw new Error(`${what}: ${shape.length === 0 ? 'the data set is empty' : 'an array is empty'}`);
    shape.push(level.length);
  }
  const values = new Float32Array(shape.reduce((n, d) => n * d, 1));
  let at = 0;
  const walk = (node: unknown, depth: number, path: number[]): void => {
    const where = () => (shape.length === 2 ? `row ${path[0]}` : `element ${path.map((i) => `[${i}]`).join('')}`);
    if (depth === shape.length) {
      if (typeof node !== 'number') {
        const place = shape.length === 2 ? `row ${path[0]}, column ${path[1]}` : shape.length === 1 ? `element ${path[0]}` : `element ${path.map((i) => `[${i}]`).join('')}`;
        throw new Error(`${what}: ${place} is ${JSON.stringify(node)}, not a number`);
      }
      values[at++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      const has = Array.isArray(node) ? node.length : 'no';
      const first = shape.length === 2 ? 'row 0' : `element ${path.map(() => '[0]').join('')}`;
      throw new Error(`${what}: ${where()} has ${has} values, ${first} has ${shape[depth]}`);
    }
    node.forEach((child, i) => walk(child, depth + 1, [...path, i]));
  };
  input.forEach((child, i) => walk(child, 1, [i]));
  return { values, shape };
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
