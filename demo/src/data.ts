// The data the page trains on: the library's seeded 2-D sets, and the MNIST
// digits from the binary asset the Vite plugin builds (see ../mnist-plugin.ts).
import { MNIST_PIXELS, mnistSplit, targetsFor as libraryTargets, toyDataset, type LossName, type MnistSplit, type ModelTask, type ToyName } from '../../src/index.js';
import type { Settings } from './settings.js';

/** A labelled set: inputs [size × features] row-major, one class per sample. */
export interface LabelledSet {
  x: Float32Array;
  labels: Uint8Array;
  size: number;
}

export interface Prepared {
  kind: 'toy' | 'mnist';
  features: number;
  /** [height, width, channels] for image data (the digits): what convolutions take. */
  imageShape?: number[];
  classes: number;
  train: LabelledSet;
  /** Never trained on: the validation curves and, for MNIST, the held-out grid. */
  validation: LabelledSet;
}

/** Validation points for a 2-D set: enough for a smooth curve, cheap to evaluate every epoch. */
const TOY_VALIDATION = 400;

export function toyData(s: Settings): Prepared {
  const name = s.dataset as ToyName;
  // Different seeds: the validation points are new draws from the same distribution.
  const train = toyDataset(name, s.trainSize, { noise: s.noise, seed: s.seed });
  const validation = toyDataset(name, TOY_VALIDATION, { noise: s.noise, seed: s.seed + 1_000_003 });
  return { kind: 'toy', features: 2, classes: 2, train, validation };
}

let digits: Promise<MnistSplit> | undefined;

/** The fixed 8,000 / 2,000 split, fetched and built once per page. */
export function loadMnist(): Promise<MnistSplit> {
  digits ??= fetchDigits().catch((e: unknown) => {
    digits = undefined; // let a later attempt retry
    throw e;
  });
  return digits;
}

async function fetchDigits(): Promise<MnistSplit> {
  const res = await fetch(new URL('mnist-digits.bin', document.baseURI));
  if (!res.ok) throw new Error(`MNIST: could not load mnist-digits.bin (HTTP ${res.status})`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== 'MNS1') throw new Error('MNIST: mnist-digits.bin is not a digits file');
  const n = new DataView(bytes.buffer).getUint32(4, true);
  if (bytes.length !== 8 + n + n * MNIST_PIXELS) throw new Error(`MNIST: mnist-digits.bin should hold ${n} digits but has ${bytes.length} bytes`);
  const labels = bytes.subarray(8, 8 + n);
  const pixels = bytes.subarray(8 + n);
  // Back to the package's layout, one pixel array per digit in its order, so
  // mnistSplit draws the very same split as the library and its tests.
  const counts = new Array<number>(10).fill(0);
  labels.forEach((d) => counts[d]!++);
  const byDigit = counts.map((c) => new Float32Array(c * MNIST_PIXELS));
  const filled = new Array<number>(10).fill(0);
  for (let i = 0; i < n; i++) {
    const d = labels[i]!;
    const to = byDigit[d]!;
    const at = filled[d]!++ * MNIST_PIXELS;
    for (let p = 0; p < MNIST_PIXELS; p++) to[at + p] = pixels[i * MNIST_PIXELS + p]! / 255;
  }
  // Typed arrays rather than number[]: 60 MB of JS numbers saved.
  return mnistSplit(byDigit);
}

export async function mnistData(s: Settings): Promise<Prepared> {
  const split = await loadMnist();
  const size = Math.min(s.trainSize, split.train.size);
  // The split is already shuffled: its first `size` digits are a fair sample.
  const train = { x: split.train.x.subarray(0, size * MNIST_PIXELS), labels: split.train.labels.subarray(0, size), size };
  return { kind: 'mnist', features: MNIST_PIXELS, imageShape: [28, 28, 1], classes: 10, train, validation: split.test };
}

/** What the labels ask of a model: two classes on the plane, ten digits. */
export function taskOf(data: Pick<Prepared, 'classes'>): ModelTask {
  return { kind: data.classes === 2 ? 'binary' : 'multiclass', classes: data.classes };
}

/** The targets a loss needs (a 0/1 column, one-hot rows, or integer labels), as the library's builder decides. */
export function targetsFor(loss: LossName, set: LabelledSet, classes: number): { values: Float32Array; cols: number } {
  return libraryTargets(taskOf({ classes }), loss, set.labels);
}
