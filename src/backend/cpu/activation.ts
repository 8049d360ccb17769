import type { ActivationName } from '../backend.js';

/** σ(z) in a form that never overflows: exp only ever sees a non-positive argument. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

export function activate(z: number, name: ActivationName): number {
  switch (name) {
    case 'relu':
      return z > 0 ? z : 0;
    case 'sigmoid':
      return sigmoid(z);
    case 'tanh':
      return Math.tanh(z);
    case 'linear':
      return z;
  }
}

/** The derivative of the activation, written in terms of its output y. */
export function derivativeFromOutput(y: number, name: ActivationName): number {
  switch (name) {
    case 'relu':
      return y > 0 ? 1 : 0;
    case 'sigmoid':
      return y * (1 - y);
    case 'tanh':
      return 1 - y * y;
    case 'linear':
      return 1;
  }
}

export function activationForward(x: Float32Array, name: ActivationName): Float32Array {
  return x.map((v) => activate(v, name));
}

/** dX = dY ⊙ f'(x), with f' taken from the forward output Y. */
export function activationBackward(dy: Float32Array, y: Float32Array, name: ActivationName): Float32Array {
  return dy.map((g, i) => g * derivativeFromOutput(y[i]!, name));
}

/** Row-wise softmax with the row max subtracted, so exp never overflows. */
export function softmax(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, x[base + j]!);
    let total = 0;
    for (let j = 0; j < cols; j++) total += Math.exp(x[base + j]! - max);
    for (let j = 0; j < cols; j++) out[base + j] = Math.exp(x[base + j]! - max) / total;
  }
  return out;
}

/** dX = Y ⊙ (dY − Σⱼ dYⱼ·Yⱼ), row by row. */
export function softmaxBackward(dy: Float32Array, y: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += dy[base + j]! * y[base + j]!;
    for (let j = 0; j < cols; j++) out[base + j] = y[base + j]! * (dy[base + j]! - dot);
  }
  return out;
}
