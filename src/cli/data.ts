// The data sets the command line trains on, as one shape: features, labels,
// what kind of task the labels make, and (for MNIST) the fixed held-out set.
import { readFileSync } from 'node:fs';
import type { LossName } from '../backend/backend.js';
import { parseCsv } from '../datasets/csv.js';
import { loadMnist } from '../datasets/mnist-node.js';
import { MNIST_CLASSES, MNIST_PIXELS } from '../datasets/mnist.js';
import { TOY_DATASETS, toyDataset, type ToyName } from '../datasets/toy.js';
import { outputLayerFor, targetsFor, type Task as ModelTask } from '../nn/spec.js';
import { closest, UsageError } from './options.js';

export type TaskKind = ModelTask['kind'];
export const TASK_KINDS: readonly TaskKind[] = ['binary', 'multiclass', 'regression'];

/** Whole-number labels up to this many classes are taken as classes without --task. */
const MAX_INFERRED_CLASSES = 1000;

export interface Samples {
  x: Float32Array;
  /** One label (class index or target value) per sample. */
  labels: Float32Array;
  rows: number;
}

export interface Task extends ModelTask {
  name: string;
  description: string;
  /** The task in words, for the header: "3 classes (labels 0–2)", "regression (labels from -1.2 to 3.4)". */
  summary: string;
  inputs: number;
  /** [height, width, channels] where the samples are images (MNIST): what convolutions need. */
  imageShape?: number[];
  train: Samples;
  /** A fixed held-out set, where the data set has one (MNIST). */
  heldOut?: Samples;
}

export interface DataOptions {
  label?: string;
  samples: number;
  noise: number;
  seed: number;
  /** --task: what the labels are, instead of inferring it from them. */
  task?: TaskKind;
}

/** A label as people write it: 0.1, not 0.10000000149011612. */
const show = (v: number) => String(Number(v.toPrecision(7)));

function list(items: number[], most = 5): string {
  if (items.length === 1) return String(items[0]);
  if (items.length <= most) return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
  return `${items.slice(0, most).join(', ')} and ${items.length - most} more`;
}

/** "; classes 0 and 3 have no sample", or nothing when every class has one. */
function emptyClasses(labels: Float32Array[], classes: number): string {
  const seen = new Uint8Array(classes);
  for (const set of labels) for (const v of set) seen[v] = 1;
  const empty: number[] = [];
  seen.forEach((s, k) => s || empty.push(k));
  if (empty.length === 0) return '';
  return `; ${empty.length === 1 ? 'class' : 'classes'} ${list(empty)} ${empty.length === 1 ? 'has' : 'have'} no sample`;
}

/**
 * What the labels ask for: 0/1 is binary; whole numbers from 0 with a largest
 * of 2 or more are that many + 1 classes; anything else (negative, fractional)
 * is regression. `choice` (--task) overrides, refusing labels that do not suit it.
 */
export function inferTask(name: string, labels: Float32Array[], choice: TaskKind | undefined): ModelTask & { summary: string } {
  let min = Infinity;
  let max = -Infinity;
  let notWhole: { v: number; at: number } | undefined;
  let notBinary: { v: number; at: number } | undefined;
  let at = 0;
  for (const set of labels) {
    for (const v of set) {
      at++;
      if (v < min) min = v;
      if (v > max) max = v;
      if (!notWhole && !(Number.isInteger(v) && v >= 0)) notWhole = { v, at };
      if (!notBinary && v !== 0 && v !== 1) notBinary = { v, at };
    }
  }
  const kind: TaskKind = choice ?? (notWhole ? 'regression' : max <= 1 ? 'binary' : 'multiclass');
  const how = choice ? ', as --task says' : '';
  switch (kind) {
    case 'binary':
      if (notBinary) throw new UsageError(`--task binary needs labels 0 and 1, but ${name} has the label ${show(notBinary.v)} (sample ${notBinary.at})`);
      return { kind, classes: 2, summary: `binary (labels 0 and 1${emptyClasses(labels, 2)})${how}` };
    case 'multiclass': {
      if (notWhole) throw new UsageError(`--task multiclass needs whole-number labels from 0, but ${name} has the label ${show(notWhole.v)} (sample ${notWhole.at})`);
      const classes = Math.max(2, max + 1);
      if (!choice && classes > MAX_INFERRED_CLASSES) {
        throw new UsageError(`${name}: the labels are whole numbers up to ${max}, which would make ${classes} classes; give --task regression to predict them as numbers, or --task multiclass`);
      }
      return { kind, classes, summary: `${classes} classes (labels 0–${classes - 1}${emptyClasses(labels, classes)})${how}` };
    }
    case 'regression':
      return { kind, classes: 1, summary: `regression (labels from ${show(min)} to ${show(max)})${how}` };
  }
}

/** The task a loaded model's output layer implies, when there are no labels to look at (--load with --predict alone). */
export function taskOfModel(units: number, activation: string): ModelTask & { summary: string } {
  if (units === 1 && activation === 'sigmoid') return { kind: 'binary', classes: 2, summary: "binary (from the model's sigmoid output)" };
  if (units === 1) return { kind: 'regression', classes: 1, summary: `regression (from the model's ${activation} output)` };
  return { kind: 'multiclass', classes: units, summary: `${units} classes (from the model's ${units} outputs)` };
}

export function loadTask(data: string, options: DataOptions): Task {
  const builtIn = data === 'mnist' || (TOY_DATASETS as readonly string[]).includes(data);
  if (builtIn && options.label !== undefined) {
    throw new UsageError(`--label: ${data} is a built-in data set with its own labels; --label names a column of a CSV file (--data FILE.csv)`);
  }
  if (data === 'mnist') {
    const { train, test } = loadMnist();
    const wrap = (s: { x: Float32Array; labels: Uint8Array; size: number }): Samples => ({ x: s.x, labels: Float32Array.from(s.labels), rows: s.size });
    const [trainSet, heldOut] = [wrap(train), wrap(test)];
    return {
      name: 'mnist',
      description: `MNIST digits: ${train.size} training, ${test.size} held out (fixed split), ${MNIST_PIXELS} pixels, ${MNIST_CLASSES} classes`,
      inputs: MNIST_PIXELS,
      imageShape: [28, 28, 1],
      ...inferTask('mnist', [trainSet.labels, heldOut.labels], options.task),
      train: trainSet,
      heldOut,
    };
  }
  if ((TOY_DATASETS as readonly string[]).includes(data)) {
    const set = toyDataset(data as ToyName, options.samples, { noise: options.noise, seed: options.seed });
    const labels = Float32Array.from(set.labels);
    return {
      name: data,
      description: `${data}: ${set.size} points in 2-D, 2 classes (noise ${options.noise})`,
      inputs: 2,
      ...inferTask(data, [labels], options.task),
      train: { x: set.x, labels, rows: set.size },
    };
  }
  if (!data.toLowerCase().endsWith('.csv')) {
    const guess = closest(data, ['mnist', ...TOY_DATASETS]);
    throw new UsageError(`--data: '${data}' is not a data set name (mnist, ${TOY_DATASETS.join(', ')}) or a .csv file${guess ? `; did you mean ${guess}?` : ''}`);
  }
  let text: string;
  try {
    text = readFileSync(data, 'utf8');
  } catch (e) {
    throw new UsageError(`--data: cannot read ${data}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const csv = parseCsv(text, data, options.label);
  const labels = csv.y;
  return {
    name: data,
    description: `${data}: ${csv.rows} rows, ${csv.features.length} features, label '${csv.labelName}'`,
    inputs: csv.features.length,
    ...inferTask(data, [labels], options.task),
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
