// The controls, read into one plain Settings object. Which losses make sense
// depends on the data (a 2-D set has two classes, MNIST ten), and the loss in
// turn decides the output layer and the shape of the targets.
import { parseLayers, usesImages, type ActivationName, type BackendName, type LayerSpec, type LossName, type OptimizerName } from '../../src/index.js';
import type { ToyName } from '../../src/datasets/toy.js';
import { byId } from './dom.js';

export type DatasetName = ToyName | 'mnist';
export type Mode = 'batch' | 'sgd' | 'minibatch';

export interface Settings {
  dataset: DatasetName;
  noise: number;
  trainSize: number;
  /** Hidden layers, as the library's model builder takes them. */
  hidden: LayerSpec[];
  activation: ActivationName;
  loss: LossName;
  optimizer: OptimizerName;
  learningRate: number;
  mode: Mode;
  batchSize: number;
  epochs: number;
  seed: number;
  backend: BackendName;
}

export const isMnist = (s: { dataset: DatasetName }): boolean => s.dataset === 'mnist';

/** The losses offered for a data set, with the words shown for each. */
export function lossChoices(dataset: DatasetName): { value: LossName; label: string }[] {
  const common = [
    { value: 'categoricalCrossentropy' as const, label: 'categorical cross-entropy (softmax)' },
    { value: 'sparseCategoricalCrossentropy' as const, label: 'sparse categorical cross-entropy' },
    { value: 'meanSquaredError' as const, label: 'mean squared error' },
  ];
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

export function readSettings(): Settings {
  const dataset = value('dataset') as DatasetName;
  return {
    dataset,
    noise: Number(value('noise')),
    trainSize: Number(value('train-size')),
    hidden: parseHidden(value('layers'), dataset),
    activation: value('activation') as ActivationName,
    loss: value('loss-fn') as LossName,
    optimizer: value('optimizer') as OptimizerName,
    learningRate: Number(value('lr')),
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

/** Starting points that train visibly: small and quick for the plane, a 784-64-10 net for digits. */
export const DEFAULTS = {
  toy: { layers: '16,16', activation: 'relu', lr: '0.01', batch: '16', epochs: '200', trainSize: { min: 10, max: 1000, step: 10, value: 300 }, loss: 'binaryCrossentropy' },
  mnist: { layers: '64', activation: 'relu', lr: '0.001', batch: '32', epochs: '10', trainSize: { min: 100, max: 8000, step: 100, value: 8000 }, loss: 'categoricalCrossentropy' },
} as const;
