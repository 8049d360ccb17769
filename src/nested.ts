// Nested arrays of numbers (number[], number[][], images as number[][][][])
// to and from row-major values with a shape.

/** Nested arrays of numbers: number[], number[][], number[][][][] for images, … */
export type NestedArray = readonly number[] | readonly NestedArray[];

/** The shape of nested arrays and their values in row-major order; throws naming the first ragged or non-numeric place. */
export function flattenNested(input: NestedArray, what: string): { values: Float32Array; shape: number[] } {
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

/** Row-major values as nested arrays of the shape (a scalar shape [] gives the number itself). */
export function nest(values: ArrayLike<number>, shape: readonly number[]): number | NestedArray {
  if (shape.length === 0) return values[0]!;
  const build = (offset: number, depth: number): number[] | NestedArray[] => {
    const n = shape[depth]!;
    if (depth === shape.length - 1) return Array.from({ length: n }, (_, i) => values[offset + i]!);
    const stride = shape.slice(depth + 1).reduce((a, d) => a * d, 1);
    return Array.from({ length: n }, (_, i) => build(offset + i * stride, depth + 1) as NestedArray);
  };
  return build(0, 0);
}
