// The data the page trains on: the library's seeded 2-D sets, two regression
// sets (a curve over one input, bumps over the plane), and the MNIST digits
// from the binary asset the Vite plugin builds (see ../mnist-plugin.ts).
//
// As in TensorFlow Playground, the 2-D sets and the curve draw one set of
// points and split it: the first share trains, the rest tests (validation).
import { MNIST_PIXELS, mnistSplit, targetsFor as libraryTargets, toyDataset, type LossName, type MnistSplit, type ModelTask, type ToyName } from '../../src/index.js';
import { Random } from '../../src/random.js';
import { mapFeatures, type FeatureName } from './features.js';
import type { Settings } from './settings.js';

/** A labelled set: inputs [size × features] row-major, one class (or one number) per sample. */
export interface LabelledSet {
  /** What the model takes: [size × features], row-major. */
  x: Float32Array;
  labels: Uint8Array;
  size: number;
  /** Where each sample lies, for drawing: [size × 2] in the plane, [size] on the curve's line. */
  points?: Float32Array;
  /** The number to predict, one per sample (the regression sets; labels are then unused zeros). */
  targets?: Float32Array;
}

export interface Prepared {
  kind: 'toy' | 'mnist';
  features: number;
  /** [height, width, channels] for image data (the digits): what convolutions take. */
  imageShape?: number[];
  /** 2 for the 2-D classes, 10 digits, 1 for a number to predict. */
  classes: number;
  /** A number to predict: mean squared error through a linear output, and no accuracy. */
  regression?: boolean;
  /** For the sets drawn on the page: the points' dimensions (1 on the curve, 2 in the plane) and the features the model sees of them. */
  space?: { dims: 1 | 2; features: FeatureName[] };
  train: LabelledSet;
  /** Never trained on: the validation curves and, for MNIST, the held-out grid. */
  validation: LabelledSet;
}

/** Points over one input: a noisy sine, x in [−1, 1]; `noise` is the standard deviation added to y. */
export function curveSet(size: number, noise: number, seed: number): { points: Float32Array; targets: Float32Array } {
  const rng = new Random(seed);
  const points = new Float32Array(size);
  const targets = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const x = rng.uniform(-1, 1);
    points[i] = x;
    targets[i] = 0.8 * Math.sin(3.5 * x) + noise * rng.normal();
  }
  return { points, targets };
}

/** Centres and signs of the bumps: Playground's "multi gaussian" surface, scaled to [−1, 1]². */
const BUMPS = [
  [-0.6, 0.45, 1], [0, 0.45, -1], [0.6, 0.45, 1],
  [-0.6, -0.45, -1], [0, -0.45, 1], [0.6, -0.45, -1],
] as const;
const BUMP_WIDTH = 0.25;

/** The bumps surface's value at a point: about +1 or −1 at each centre, 0 between. */
export function bumpsAt(x1: number, x2: number): number {
  let v = 0;
  for (const [cx, cy, sign] of BUMPS) v += sign * Math.exp(-((x1 - cx) ** 2 + (x2 - cy) ** 2) / (2 * BUMP_WIDTH ** 2));
  return v;
}

/** Points uniform over [−1, 1]², each with the surface's value plus `noise` × a standard normal. */
export function bumpsSet(size: number, noise: number, seed: number): { points: Float32Array; targets: Float32Array } {
  const rng = new Random(seed);
  const points = new Float32Array(size * 2);
  const targets = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const [a, b] = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
    points[2 * i] = a;
    points[2 * i + 1] = b;
    targets[i] = bumpsAt(a, b) + noise * rng.normal();
  }
  return { points, targets };
}

/** How many of `total` points train under a ratio: at least one on each side. */
export function trainCount(total: number, ratio: number): number {
  return Math.min(total - 1, Math.max(1, Math.round(total * ratio)));
}

/** Every point drawn, before the split. */
interface Drawn {
  x: Float32Array;
  points: Float32Array;
  labels: Uint8Array;
  targets?: Float32Array;
}

/** Rows [from, to) of the drawn points, whose samples have `width` inputs and `dims` coordinates. */
function rows(all: Drawn, width: number, dims: number, from: number, to: number): LabelledSet {
  return {
    x: all.x.subarray(from * width, to * width),
    labels: all.labels.subarray(from, to),
    size: to - from,
    points: all.points.subarray(from * dims, to * dims),
    ...(all.targets ? { targets: all.targets.subarray(from, to) } : {}),
  };
}

/** The 2-D sets and the curve: `trainSize` points drawn from the seed, split by the train ratio. */
export function toyData(s: Settings): Prepared {
  const total = s.trainSize;
  const cut = trainCount(total, s.trainRatio);
  if (s.dataset === 'curve') {
    const { points, targets } = curveSet(total, s.noise, s.seed);
    const all = { x: points, points, targets, labels: new Uint8Array(total) };
    return { kind: 'toy', features: 1, classes: 1, regression: true, space: { dims: 1, features: [] }, train: rows(all, 1, 1, 0, cut), validation: rows(all, 1, 1, cut, total) };
  }
  const regression = s.dataset === 'bumps';
  const drawn = regression ? { ...bumpsSet(total, s.noise, s.seed), labels: new Uint8Array(total) } : planeClasses(s.dataset as ToyName, total, s);
  const features = s.features;
  const all = { ...drawn, x: mapFeatures(drawn.points, features) };
  const width = features.length;
  return {
    kind: 'toy',
    features: width,
    classes: regression ? 1 : 2,
    ...(regression ? { regression } : {}),
    space: { dims: 2, features },
    train: rows(all, width, 2, 0, cut),
    validation: rows(all, width, 2, cut, total),
  };
}

function planeClasses(name: ToyName, total: number, s: Settings): { points: Float32Array; labels: Uint8Array } {
  const set = toyDataset(name, total, { noise: s.noise, seed: s.seed });
  return { points: set.x, labels: set.labels };
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

/** What the labels ask of a model: two classes on the plane, ten digits, or a number. */
export function taskOf(data: Pick<Prepared, 'classes' | 'regression'>): ModelTask {
  if (data.regression) return { kind: 'regression', classes: 1 };
  return { kind: data.classes === 2 ? 'binary' : 'multiclass', classes: data.classes };
}

/** The targets a loss needs (a 0/1 column, one-hot rows, integer labels, or the numbers to predict), as the library's builder decides. */
export function targetsFor(loss: LossName, set: LabelledSet, classes: number): { values: Float32Array; cols: number } {
  if (set.targets) return { values: set.targets, cols: 1 };
  return libraryTargets(taskOf({ classes }), loss, set.labels);
}
