import type { AccuracyKind, LossName } from '../backend.js';
import { sigmoid } from './activation.js';

/** Probabilities are clamped to [EPSILON, 1 − EPSILON] before any log, as Keras does. */
export const EPSILON = 1e-7;

export interface CpuLossArgs {
  rows: number;
  cols: number;
  fromLogits: boolean;
  accuracy: AccuracyKind;
}

export interface CpuLossResult {
  grad: Float32Array;
  /** [rows, 2]: loss, accuracy. */
  stats: Float32Array;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

function argmax(x: Float32Array, base: number, cols: number): number {
  let best = 0;
  for (let j = 1; j < cols; j++) if (x[base + j]! > x[base + best]!) best = j;
  return best;
}

/**
 * Per-sample loss, accuracy and the gradient of the batch-mean loss with
 * respect to the prediction (or to the logits when fromLogits).
 *   MSE:  mean over outputs of (p − y)²
 *   BCE:  mean over outputs of −[y·log p + (1 − y)·log(1 − p)]
 *   CCE:  −Σ y·log softmax(z)   (sparse: y is the one-hot of an integer label)
 */
export function loss(name: LossName, pred: Float32Array, target: Float32Array, args: CpuLossArgs): CpuLossResult {
  const { rows, cols, fromLogits } = args;
  const grad = new Float32Array(rows * cols);
  const stats = new Float32Array(rows * 2);
  const sparse = name === 'sparseCategoricalCrossentropy';
  const targetAt = (r: number, j: number) => (sparse ? (target[r] === j ? 1 : 0) : target[r * cols + j]!);
  // Gradient of the mean over the batch (and over the outputs, for MSE and BCE).
  const perElement = name === 'meanSquaredError' || name === 'binaryCrossentropy';
  const gradScale = perElement ? 1 / (rows * cols) : 1 / rows;

  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let l = 0;
    if (name === 'meanSquaredError') {
      for (let j = 0; j < cols; j++) {
        const d = pred[base + j]! - target[base + j]!;
        l += d * d;
        grad[base + j] = 2 * d * gradScale;
      }
      l /= cols;
    } else if (name === 'binaryCrossentropy') {
      for (let j = 0; j < cols; j++) {
        const y = target[base + j]!;
        const v = pred[base + j]!;
        if (fromLogits) {
          l += Math.max(v, 0) - v * y + Math.log1p(Math.exp(-Math.abs(v)));
          grad[base + j] = (sigmoid(v) - y) * gradScale;
        } else {
          const p = clamp(v, EPSILON, 1 - EPSILON);
          l -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
          grad[base + j] = ((p - y) / (p * (1 - p))) * gradScale;
        }
      }
      l /= cols;
    } else if (fromLogits) {
      let max = -Infinity;
      for (let j = 0; j < cols; j++) max = Math.max(max, pred[base + j]!);
      let total = 0;
      for (let j = 0; j < cols; j++) total += Math.exp(pred[base + j]! - max);
      const logSumExp = max + Math.log(total);
      let targetSum = 0;
      for (let j = 0; j < cols; j++) {
        const y = targetAt(r, j);
        l += y * (logSumExp - pred[base + j]!);
        targetSum += y;
      }
      for (let j = 0; j < cols; j++) {
        grad[base + j] = (Math.exp(pred[base + j]! - logSumExp) * targetSum - targetAt(r, j)) * gradScale;
      }
    } else {
      for (let j = 0; j < cols; j++) {
        const y = targetAt(r, j);
        const p = clamp(pred[base + j]!, EPSILON, 1);
        l -= y * Math.log(p);
        grad[base + j] = (-y / p) * gradScale;
      }
    }
    stats[2 * r] = l;
    stats[2 * r + 1] = rowAccuracy(name, pred, target, r, args);
  }
  return { grad, stats };
}

function rowAccuracy(name: LossName, pred: Float32Array, target: Float32Array, r: number, args: CpuLossArgs): number {
  const { cols, fromLogits, accuracy } = args;
  const base = r * cols;
  if (accuracy === 'binary') {
    const logits = fromLogits && name === 'binaryCrossentropy';
    let right = 0;
    for (let j = 0; j < cols; j++) {
      const p = logits ? sigmoid(pred[base + j]!) : pred[base + j]!;
      if (p > 0.5 === target[base + j]! > 0.5) right++;
    }
    return right / cols;
  }
  const best = argmax(pred, base, cols);
  if (accuracy === 'sparse') return best === target[r] ? 1 : 0;
  return best === argmax(target, base, cols) ? 1 : 0;
}
