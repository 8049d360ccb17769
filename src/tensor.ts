import type { Backend } from './backend/backend.js';
import { nest, type NestedArray } from './nested.js';

/** The dimensions of a tensor, outermost first: [] is a scalar, [n] a vector, [rows, cols] a matrix. */
export type Shape = readonly number[];

/**
 * The number of values in a tensor of this shape (1 for a scalar).
 *
 * @example
 * ```ts
 * sizeOf([2, 3]); // 6
 * ```
 */
export function sizeOf(shape: Shape): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** A shape as error messages write it, e.g. `[2, 3]`. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Tensors made while a tidy() scope runs, to dispose when it ends; null while untracked() runs. */
const scopes: (Set<Tensor> | null)[] = [];

/**
 * Runs `fn` (synchronous) with no tidy() scope watching: for tensors that
 * outlive any scope, such as a model's weights and optimizer state.
 */
export function untracked<T>(fn: () => T): T {
  scopes.push(null);
  try {
    return fn();
  } finally {
    scopes.pop();
  }
}

/**
 * A handle to an n-dimensional float32 array: its shape, and the backend whose
 * memory holds the values (a Float32Array for 'cpu', a GPU buffer for 'webgpu').
 * Values are read with `await t.data()` (flat) or `await t.array()` (nested);
 * `dispose()` gives the memory back — on the GPU a tensor holds device memory
 * until then (or until the tidy() scope that made it ends).
 */
export abstract class Tensor {
  readonly shape: Shape;
  readonly size: number;
  /** Every tensor holds 32-bit floats. */
  readonly dtype = 'float32' as const;
  #disposed = false;

  protected constructor(readonly backend: Backend, shape: Shape) {
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    scopes.at(-1)?.add(this);
  }

  /** The values as nested arrays of the tensor's shape (a number for a scalar). */
  async array(): Promise<number | NestedArray> {
    return nest(await this.data(), this.shape);
  }

  /** Whether dispose() has run (directly or through tidy()); a disposed tensor can no longer be read. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** The values, row-major, copied out of the backend's memory. */
  data(): Promise<Float32Array> {
    return this.backend.read(this);
  }

  /** Gives the tensor's memory back to its backend (GPU memory on 'webgpu'); calling it again does nothing. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.backend.dispose(this);
  }

  /** The shape and the backend, e.g. `Tensor([2, 3], webgpu)`; the values need `await t.data()`. */
  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.backend.name})`;
  }
}

/** The tensors in a returned value: itself, or in arrays and plain objects (not inside class instances such as a model). */
function collect(v: unknown, into: Set<Tensor>, depth = 0): void {
  if (depth > 8) return;
  if (v instanceof Tensor) into.add(v);
  else if (Array.isArray(v)) for (const x of v) collect(x, into, depth + 1);
  else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collect(x, into, depth + 1);
}

/**
 * Runs `fn` and disposes every tensor made while it runs, except those it
 * returns (alone, or in arrays and plain objects): TensorFlow.js's tidy habit,
 * for loops of predict that would otherwise hold GPU memory. `fn` may be
 * async; tensors another task makes meanwhile are caught too, so do not run
 * two scopes at once.
 *
 * @example
 * ```ts
 * const y = tidy(() => {
 *   const a = backend.tensor([1, 2, 3, 4], [2, 2]);
 *   return backend.matmul(a, a);   // a is disposed, y is kept
 * });
 * ```
 */
export function tidy<T>(fn: () => T): T {
  const made = new Set<Tensor>();
  scopes.push(made);
  const end = (result: unknown) => {
    scopes.splice(scopes.lastIndexOf(made), 1);
    const keep = new Set<Tensor>();
    collect(result, keep);
    for (const t of made) if (!keep.has(t)) t.dispose();
    // Kept tensors belong to the enclosing scope, if any.
    for (const t of keep) scopes.at(-1)?.add(t);
  };
  let result: T;
  try {
    result = fn();
  } catch (e) {
    end(undefined);
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (r) => (end(r), r),
      (e: unknown) => {
        end(undefined);
        throw e;
      },
    ) as T;
  }
  end(result);
  return result;
}
