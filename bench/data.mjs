// The data every engine trains on, made once per run so all engines see the
// same numbers: the MNIST digits (fixed split), the Keras example's samples,
// and random matrices.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mnistSplit, oneHot, MNIST_PIXELS, MNIST_CLASSES, Random } from '../dist/index.js';

// The packed digits (bench/pack-mnist.mjs): 'MNST', ten uint32 sample counts,
// then each digit's pixels as bytes. The package stores each pixel as
// round(byte / 255, 3), so the bytes give back exactly the package's values.
const MAGIC = 'MNST';
export const pixelToByte = (v) => Math.round(v * 255);
export const byteToPixel = (b) => Math.round((b / 255) * 1000) / 1000;

/** The `mnist` package's pixel arrays, one per digit. */
function rawFromPackage() {
  const require = createRequire(import.meta.url);
  return Array.from({ length: MNIST_CLASSES }, (_, d) => require(`mnist/src/digits/${d}.json`).data);
}

function rawFromBinary(file) {
  const bytes = readFileSync(file);
  if (bytes.toString('latin1', 0, 4) !== MAGIC) throw new Error(`${file}: not a packed MNIST file`);
  const raw = [];
  let at = 4 + 4 * MNIST_CLASSES;
  for (let d = 0; d < MNIST_CLASSES; d++) {
    const n = bytes.readUInt32LE(4 + 4 * d) * MNIST_PIXELS;
    raw.push(Array.from(bytes.subarray(at, at + n), byteToPixel));
    at += n;
  }
  return raw;
}

export function encodeDigits(raw) {
  const header = Buffer.alloc(4 + 4 * MNIST_CLASSES);
  header.write(MAGIC, 0, 'latin1');
  const parts = raw.map((pixels, d) => {
    const samples = Math.floor(pixels.length / MNIST_PIXELS);
    header.writeUInt32LE(samples, 4 + 4 * d);
    return Uint8Array.from(pixels.slice(0, samples * MNIST_PIXELS), pixelToByte);
  });
  return Buffer.concat([header, ...parts]);
}

export const loadRawDigits = (binaryFile) => (binaryFile ? rawFromBinary(binaryFile) : rawFromPackage());

/** A classification set: x [rows × inputs], one-hot y [rows × classes], labels. */
function take(set, rows) {
  const n = Math.min(rows, set.size);
  const labels = set.labels.subarray(0, n);
  return { x: set.x.subarray(0, n * MNIST_PIXELS), y: oneHot(labels), labels, rows: n, inputs: MNIST_PIXELS, outputs: MNIST_CLASSES };
}

export function loadMnist(binaryFile) {
  const { train, test } = mnistSplit(loadRawDigits(binaryFile));
  return { train: (rows) => take(train, rows), test: (rows) => take(test, rows) };
}

/** The Keras example's data: 100 samples of 10 uniform features, label 1 when their sum is over 5. */
export function kerasData() {
  const rng = new Random(7);
  const rows = 100;
  const inputs = 10;
  const x = Float32Array.from({ length: rows * inputs }, () => rng.uniform(0, 1));
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) y[r] = x.subarray(r * inputs, (r + 1) * inputs).reduce((s, v) => s + v, 0) > 5 ? 1 : 0;
  return { x, y, rows, inputs, outputs: 1 };
}

/** Uniform values in [-1, 1], the same for every engine. */
export const randomMatrix = (rows, cols, seed) => new Random(seed).fill(rows * cols, -1, 1);
