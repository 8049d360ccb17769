import type { Backend } from './backend/backend.js';

/** The dimensions of a tensor, outermost first: [] is a scalar, [n] a vector, [rows, cols] a matrix. */
export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  return shape.reduce((n, d) => n * d, 1);
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/**
 * A handle to an n-dimensional float32 array: its shape, and the backend whose
 * memory holds the values (a Float32Array for 'cpu', a GPU buffer for 'webgpu').
 * Values are read with `await t.data()`; `dispose()` gives the memory back.
 */
export abstract class Tensor {
  readonly shape: Shape;
  readonly size: number;
  #disposed = false;

  protected constructor(readonly backend: Backend, shape: Shape) {
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** The values, row-major, copied out of the backend's memory. */
  data(): Promise<Float32Array> {
    return this.backend.read(this);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.backend.dispose(this);
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.backend.name})`;
  }
}
