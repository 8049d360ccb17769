// The controls, read into one plain Settings object. Which losses make sense
// depends on the data (a 2-D set has two classes, MNIST ten), and the loss in
// turn decides the output layer and the shape of the targets.
import type { ActivationName, BackendName, LossName, OptimizerName } from '../../src/index.js';
import type { ToyName } from '../../src/datasets/toy.js';
import { byId } from './dom.js';

export type DatasetName = ToyName | 'mnist';
export type Mode = 'batch' | 'sgd' | 'minibatch';

export interface Settings {
  dataset: DatasetName;
  noise: number;
  trainSize: number;
  hidden: number[];
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

export function parseHidden(text: string): number[] {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === '0') return [];
  const parts = trimmed.split(/[\s,]+/).filter(Boolean);
  const units = parts.map(Number);
  if (units.some((u) => !Number.isInteger(u) || u < 1 || u > 1024)) {
    throw new Error(`hidden layers: '${text}' is not a list of layer widths from 1 to 1024, e.g. 8,8`);
  }
  if (units.length > 6) throw new Error('hidden layers: at most 6 hidden layers here');
  return units;
}

function intIn(id: string, name: string, lo: number, hi: number): number {
  const v = Number(byId<HTMLInputElement>(id).value);
  if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${name}: expected a whole number from ${lo} to ${hi}, got '${byId<HTMLInputElement>(id).value}'`);
  return v;
}

const value = (id: string): string => byId<HTMLInputElement | HTMLSelectElement>(id).value;

export function readSettings(): Settings {
  return {
    dataset: value('dataset') as DatasetName,
    noise: Number(value('noise')),
    trainSize: Number(value('train-size')),
    hidden: parseHidden(value('layers')),
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

/** Starting points that train visibly: small and quick for the plane, a 784-64-10 net for digits. */
export const DEFAULTS = {
  toy: { layers: '16,16', activation: 'relu', lr: '0.01', batch: '16', epochs: '200', trainSize: { min: 10, max: 1000, step: 10, value: 300 }, loss: 'binaryCrossentropy' },
  mnist: { layers: '64', activation: 'relu', lr: '0.001', batch: '32', epochs: '10', trainSize: { min: 100, max: 8000, step: 100, value: 8000 }, loss: 'categoricalCrossentropy' },
} as const;
