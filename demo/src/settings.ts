// The controls, read into one plain Settings object. Which losses make sense
// depends on the data (a 2-D set has two classes, MNIST ten), and the loss in
// turn decides the output layer and the shape of the targets.
import { l1, l2, parseLayers, usesImages, type ActivationName, type BackendName, type LayerSpec, type LossName, type OptimizerName, type Regularizer } from '../../src/index.js';
import type { ToyName } from '../../src/datasets/toy.js';
import { byId } from './dom.js';
import { FEATURE_NAMES, type FeatureName } from './features.js';

/** Sets with a number to predict rather than a class: a noisy curve over one input, and bumps over the plane. */
export type RegressionName = 'curve' | 'bumps';
export type DatasetName = ToyName | RegressionName | 'mnist';
export type Mode = 'batch' | 'sgd' | 'minibatch';
export type RegularizationName = 'none' | 'l1' | 'l2';

export interface Settings {
  dataset: DatasetName;
  noise: number;
  /** Samples drawn: for the 2-D sets and the curve, train and test together; for MNIST, the training digits. */
  trainSize: number;
  /** The share of the drawn points trained on (the rest is the test set); the 2-D sets and the curve only. */
  trainRatio: number;
  /** Model inputs made from a point (x₁, x₂); the 2-D sets only. */
  features: FeatureName[];
  /** Hidden layers, as the library's model builder takes them. */
  hidden: LayerSpec[];
  activation: ActivationName;
  loss: LossName;
  optimizer: OptimizerName;
  learningRate: number;
  regularization: RegularizationName;
  regularizationRate: number;
  mode: Mode;
  batchSize: number;
  epochs: number;
  seed: number;
  backend: BackendName;
}

export const isMnist = (s: { dataset: DatasetName }): boolean => s.dataset === 'mnist';
export const isRegression = (s: { dataset: DatasetName }): boolean => s.dataset === 'curve' || s.dataset === 'bumps';
/** Sets whose points lie in the plane, so the feature inputs apply. */
export const isPlane = (s: { dataset: DatasetName }): boolean => s.dataset !== 'mnist' && s.dataset !== 'curve';

/** The page's three families of data: each has settings that suit it (see DEFAULTS). */
export type DataKind = 'toy' | 'regression' | 'mnist';
export const kindOf = (dataset: DatasetName): DataKind => (dataset === 'mnist' ? 'mnist' : isRegression({ dataset }) ? 'regression' : 'toy');

/** The kernel penalty the regularization controls ask for, if any. */
export function regularizerFor(s: Pick<Settings, 'regularization' | 'regularizationRate'>): Regularizer | undefined {
  if (s.regularization === 'l1') return l1(s.regularizationRate);
  if (s.regularization === 'l2') return l2(s.regularizationRate);
  return undefined;
}

/** The losses offered for a data set, with the words shown for each. */
export function lossChoices(dataset: DatasetName): { value: LossName; label: string }[] {
  const common = [
    { value: 'categoricalCrossentropy' as const, label: 'categorical cross-entropy (softmax)' },
    { value: 'sparseCategoricalCrossentropy' as const, label: 'sparse categorical cross-entropy' },
    { value: 'meanSquaredError' as const, label: 'mean squared error' },
  ];
  // A number to predict has one loss here: the squared distance to it, through a linear output.
  if (isRegression({ dataset })) return [{ value: 'meanSquaredError', label: 'mean squared error (linear output)' }];
  return dataset === 'mnist' ? common : [{ value: 'binaryCrossentropy', label: 'binary cross-entropy (sigmoid)' }, ...common];
}

/** Samples per gradient step for a training mode. */
export function batchSizeFor(s: Pick<Settings, 'mode' | 'batchSize'>, samples: number): number {
  if (s.mode === 'batch') return samples;
  if (s.mode === 'sgd') return 1;
  return Math.min(s.batchSize, samples);
}

/**
 * The hidden layers field: widths ("16,16"), or on the digits also
 * convolutions and pooling in the command line's form ("conv8x3,maxpool2,32").
 */
export function parseHidden(text: string, dataset: DatasetName): LayerSpec[] {
  let layers: LayerSpec[];
  try {
    layers = parseLayers(text.trim().replace(/\s+/g, ','));
  } catch (e) {
    throw new Error(`hidden layers: ${(e as Error).message}`);
  }
  for (const l of layers) {
    if (l.type === 'dense' && l.units > 1024) throw new Error(`hidden layers: at most 1024 units per layer here, got ${l.units}`);
    if (l.type === 'conv2d' && l.filters > 64) throw new Error(`hidden layers: at most 64 filters per convolution here, got ${l.filters}`);
  }
  if (layers.length > 8) throw new Error('hidden layers: at most 8 hidden layers here');
  if (usesImages(layers) && dataset !== 'mnist') throw new Error('hidden layers: convolutions and pooling need images: choose the MNIST digits');
  return layers;
}

function intIn(id: string, name: string, lo: number, hi: number): number {
  const v = Number(byId<HTMLInputElement>(id).value);
  if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${name}: expected a whole number from ${lo} to ${hi}, got '${byId<HTMLInputElement>(id).value}'`);
  return v;
}

const value = (id: string): string => byId<HTMLInputElement | HTMLSelectElement>(id).value;

/** The ticked feature checkboxes; at least one when the set lies in the plane. */
function readFeatures(dataset: DatasetName): FeatureName[] {
  const chosen = FEATURE_NAMES.filter((f) => byId<HTMLInputElement>(`feature-${f}`).checked);
  if (chosen.length === 0 && isPlane({ dataset })) throw new Error('features: tick at least one input feature (x₁, x₂, …): the model needs something to look at');
  return chosen;
}

export function readSettings(): Settings {
  const dataset = value('dataset') as DatasetName;
  return {
    dataset,
    noise: Number(value('noise')),
    trainSize: Number(value('train-size')),
    trainRatio: Number(value('train-ratio')) / 100,
    features: readFeatures(dataset),
    hidden: parseHidden(value('layers'), dataset),
    activation: value('activation') as ActivationName,
    loss: value('loss-fn') as LossName,
    optimizer: value('optimizer') as OptimizerName,
    learningRate: Number(value('lr')),
    regularization: value('regularization') as RegularizationName,
    regularizationRate: Number(value('regularization-rate')),
    mode: value('mode') as Mode,
    batchSize: intIn('batch-size', 'batch size', 1, 100_000),
    epochs: intIn('epochs', 'epochs', 1, 100_000),
    seed: intIn('seed', 'seed', 0, 2 ** 31 - 1),
    backend: value('backend') as BackendName,
  };
}

/** The two networks offered for the digits: a dense one, and a convolutional one that learns local strokes. */
export const MNIST_NETWORKS = {
  mlp: '64',
  cnn: 'conv8x3,maxpool2,conv16x3,maxpool2,flatten,32',
} as const;
export type MnistNetwork = keyof typeof MNIST_NETWORKS;

/**
 * Starting points that train visibly: small and quick for the plane, a 784-64-10 net for digits.
 * The plane's 600 points split half and half: the first 300 (the training half) are the
 * very points a 300-sample draw from the same seed gives.
 */
export const DEFAULTS = {
  toy: { layers: '16,16', activation: 'relu', lr: '0.01', batch: '16', epochs: '200', trainSize: { min: 10, max: 1000, step: 10, value: 600 }, loss: 'binaryCrossentropy' },
  // A smooth target: tanh units bend smoothly, where relu draws it in straight pieces.
  regression: { layers: '16,16', activation: 'tanh', lr: '0.01', batch: '16', epochs: '200', trainSize: { min: 10, max: 1000, step: 10, value: 200 }, loss: 'meanSquaredError' },
  mnist: { layers: '64', activation: 'relu', lr: '0.001', batch: '32', epochs: '10', trainSize: { min: 100, max: 8000, step: 100, value: 8000 }, loss: 'categoricalCrossentropy' },
} as const;
