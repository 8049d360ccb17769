import type { ActivationName } from '../backend.js';
import { activate, derivativeFromOutput } from './activation.js';

export interface CpuMatmulArgs {
  M: number;
  N: number;
  K: number;
  transposeA?: boolean;
  transposeB?: boolean;
  bias?: Float32Array;
  activation?: ActivationName;
  /** Multiply each output by f'(y) of this activation, y from `output` [M, N]. */
  derivativeOf?: { activation: ActivationName; output: Float32Array };
}

/** Returns the [cols, rows] transpose of a row-major [rows, cols] matrix. */
export function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c]!;
  }
  return out;
}

/**
 * C[i, j] = activation(Σₖ A[i, k]·B[k, j] + bias[j]), summed in float64
 * (times f'(Y[i, j]) when derivativeOf is given).
 * Transposed operands are first copied into plain [M, K] / [K, N] layout.
 */
export function matmul(a: Float32Array, b: Float32Array, args: CpuMatmulArgs): Float32Array {
  const { M, N, K } = args;
  const A = args.transposeA ? transpose(a, K, M) : a;
  const B = args.transposeB ? transpose(b, N, K) : b;
  const C = new Float32Array(M * N);
  const row = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    row.fill(0);
    for (let k = 0; k < K; k++) {
      const aik = A[i * K + k]!;
      if (aik === 0) continue;
      const bk = k * N;
      for (let j = 0; j < N; j++) row[j]! += aik * B[bk + j]!;
    }
    for (let j = 0; j < N; j++) {
      const z = args.bias ? row[j]! + args.bias[j]! : row[j]!;
      const y = activate(z, args.activation ?? 'linear');
      const d = args.derivativeOf;
      C[i * N + j] = d ? y * derivativeFromOutput(d.output[i * N + j]!, d.activation) : y;
    }
  }
  return C;
}
