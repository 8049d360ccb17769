// The data sets the command line trains on, as one shape: features, labels,
// what kind of task the labels make, and (for MNIST) the fixed held-out set.
import { readFileSync } from 'node:fs';
import type { LossName } from '../backend/backend.js';
import { parseCsv } from '../datasets/csv.js';
import { loadMnist } from '../datasets/mnist-node.js';
import { MNIST_CLASSES, MNIST_PIXELS } from '../datasets/mnist.js';
import { TOY_DATASETS, toyDataset, type ToyName } from '../datasets/toy.js';
import { outputLayerFor, targetsFor, type Task as ModelTask } from '../nn/spec.js';
import { UsageError } from './options.js';

export type TaskKind = ModelTask['kind'];

export interface Samples {
  x: Float32Array;
  /** One label (class index or target value) per sample. */
  labels: Float32Array;
  rows: number;
}

export interface Task extends ModelTask {
  name: string;
  description: string;
  inputs: number;
  /** [height, width, channels] where the samples are images (MNIST): what convolutions need. */
  imageShape?: number[];
  train: Samples;
  /** A fixed held-out set, where the data set has one (MNIST). */
  heldOut?: Samples;
}

export function loadTask(data: string, options: { label?: string; samples: number; noise: number; seed: number }): Task {
  if (data === 'mnist') {
    const { train, test } = loadMnist();
    const wrap = (s: { x: Float32Array; labels: Uint8Array; size: number }): Samples => ({ x: s.x, labels: Float32Array.from(s.labels), rows: s.size });
    return {
      name: 'mnist',
      description: `MNIST digits: ${train.size} training, ${test.size} held out (fixed split), ${MNIST_PIXELS} pixels, ${MNIST_CLASSES} classes`,
      inputs: MNIST_PIXELS,
      imageShape: [28, 28, 1],
      kind: 'multiclass',
      classes: MNIST_CLASSES,
      train: wrap(train),
      heldOut: wrap(test),
    };
  }
  if ((TOY_DATASETS as readonly string[]).includes(data)) {
    const set = toyDataset(data as ToyName, options.samples, { noise: options.noise, seed: options.seed });
    return {
      name: data,
      description: `${data}: ${set.size} points in 2-D, 2 classes (noise ${options.noise})`,
      inputs: 2,
      kind: 'binary',
      classes: 2,
      train: { x: set.x, labels: Float32Array.from(set.labels), rows: set.size },
    };
  }
  if (!data.toLowerCase().endsWith('.csv')) {
    throw new UsageError(`--data: '${data}' is not a data set name (mnist, ${TOY_DATASETS.join(', ')}) or a .csv file`);
  }
  let text: string;
  try {
    text = readFileSync(data, 'utf8');
  } catch (e) {
    throw new UsageError(`--data: cannot read ${data}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const csv = parseCsv(text, data, options.label);
  const labels = csv.y;
  const integers = labels.every((v) => Number.isInteger(v) && v >= 0);
  const distinct = new Set(labels).size;
  const max = labels.reduce((m, v) => Math.max(m, v), 0);
  const kind: TaskKind = integers && max <= 1 ? 'binary' : integers && max < 1000 && distinct > 2 ? 'multiclass' : 'regression';
  return {
    name: data,
    description: `${data}: ${csv.rows} rows, ${csv.features.length} features, label '${csv.labelName}' (${kind}${kind === 'multiclass' ? `, ${max + 1} classes` : ''})`,
    inputs: csv.features.length,
    kind,
    classes: kind === 'multiclass' ? max + 1 : kind === 'binary' ? 2 : 1,
    train: { x: csv.x, labels, rows: csv.rows },
  };
}

export function defaultLoss(task: Task): LossName {
  if (task.kind === 'binary') return 'binaryCrossentropy';
  if (task.kind === 'regression') return 'meanSquaredError';
  return task.name === 'mnist' ? 'categoricalCrossentropy' : 'sparseCategoricalCrossentropy';
}

/** The output layer a loss needs for this task (one rule for every entry point: nn/spec.ts). */
export const outputLayer = outputLayerFor;

/** The targets `fit` wants for this loss, refusing labels that do not suit it. */
export function targets(task: Task, loss: LossName, labels: Float32Array): { values: Float32Array; cols: number } {
  if ((loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy') && task.kind === 'regression') {
    throw new UsageError(`--loss ${loss} needs integer class labels, but ${task.name} has continuous labels (use meanSquaredError)`);
  }
  if (loss === 'binaryCrossentropy' && task.kind === 'multiclass') {
    throw new UsageError(`--loss binaryCrossentropy needs 0/1 labels, but ${task.name} has ${task.classes} classes (use categoricalCrossentropy)`);
  }
  return targetsFor(task, loss, labels);
}
