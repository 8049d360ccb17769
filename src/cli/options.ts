// Command-line options: one table gives each option its kind, default and
// help line, so parsing, checking and --help never disagree.
import { ACTIVATIONS, LOSSES, type ActivationName, type LossName, type BackendName } from '../backend/backend.js';
import { OPTIMIZERS, type OptimizerName } from '../nn/optimizers.js';
import { parseLayers, type LayerSpec } from '../nn/spec.js';
import { MODEL_PRESETS, type ModelPreset } from './presets.js';
import { TOY_DATASETS } from '../datasets/toy.js';
import type { TaskKind } from './data.js';
import { SAFETENSORS_LAYOUTS, type SafetensorsLayout } from '../io/safetensors.js';

/** Bad command-line input: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Kind = 'flag' | 'string' | 'int' | 'number';

interface OptionSpec {
  kind: Kind;
  /** Shown in --help. */
  value?: string;
  default?: string;
  help: string;
  choices?: readonly string[];
}

export const OPTIONS: Record<string, OptionSpec> = {
  data: { kind: 'string', value: 'NAME|FILE.csv', default: 'mnist', help: `data set: mnist, ${TOY_DATASETS.join(', ')}, or a CSV file (header row, numeric columns, label last)` },
  label: { kind: 'string', value: 'NAME', help: 'the CSV column holding the label (default: the last column)' },
  task: {
    kind: 'string',
    value: 'KIND',
    default: 'from the labels: 0/1 binary, whole numbers from 0 classes, others regression',
    help: 'what the labels are: binary (0/1), multiclass (0, 1, 2, …) or regression (numbers to predict)',
    choices: ['binary', 'multiclass', 'regression'],
  },
  samples: { kind: 'int', value: 'N', default: '500', help: 'points generated for the 2-D data sets' },
  noise: { kind: 'number', value: 'X', default: '0.1', help: 'jitter of the 2-D data sets' },
  model: { kind: 'string', value: 'NAME', default: 'mlp', help: `a model preset: ${Object.entries(MODEL_PRESETS).map(([k, v]) => `${k} (${v.help})`).join('; ')}`, choices: Object.keys(MODEL_PRESETS) },
  layers: {
    kind: 'string',
    value: 'L,L,…',
    default: "the preset's",
    help: 'hidden layers, in order: N (dense, N units), convFxK (F filters K×K; add sS for stride S, same for same padding), maxpoolN / avgpoolN (N×N windows), flatten, dropoutR; :activation after a layer overrides --activation (e.g. 64,32:tanh or conv32x3,maxpool2,128)',
  },
  activation: { kind: 'string', value: 'NAME', default: 'relu', help: 'hidden-layer activation', choices: ACTIVATIONS },
  loss: { kind: 'string', value: 'NAME', default: 'from the labels: binaryCrossentropy, categoricalCrossentropy or meanSquaredError', help: 'loss', choices: LOSSES },
  optimizer: { kind: 'string', value: 'NAME', default: 'adam', help: 'optimizer', choices: OPTIMIZERS },
  lr: { kind: 'number', value: 'RATE', default: 'sgd/momentum 0.01, adam/adamw/rmsprop 0.001 (--model cnn: adam 0.002)', help: 'learning rate' },
  epochs: { kind: 'int', value: 'N', default: '10 (mnist), 100 (others)', help: 'passes over the training data' },
  'batch-size': { kind: 'int', value: 'N', default: '32', help: 'samples per gradient step' },
  mode: { kind: 'string', value: 'MODE', default: 'minibatch', help: 'batch (all samples per step), sgd (1 per step) or minibatch (--batch-size per step)', choices: ['batch', 'sgd', 'minibatch'] },
  'validation-split': { kind: 'number', value: 'F', default: '0.2 (mnist: its fixed 2,000 held-out digits)', help: 'fraction held out to measure overfitting' },
  normalize: {
    kind: 'flag',
    help: "standardize each feature with the training rows' mean and standard deviation; saved with the model, and applied again by --load to new data and --predict rows",
  },
  seed: { kind: 'int', value: 'N', default: '1', help: 'seeds weights, shuffles and generated data' },
  backend: { kind: 'string', value: 'NAME', default: 'webgpu', help: 'where the math runs', choices: ['webgpu', 'cpu'] },
  save: { kind: 'string', value: 'DIR', default: 'models/<data>-<time>', help: 'save the model (TensorFlow.js layers format)' },
  'no-save': { kind: 'flag', help: 'do not save the trained model' },
  force: { kind: 'flag', help: 'let --save replace a previous model, and --export / --output an existing file' },
  load: { kind: 'string', value: 'DIR', help: 'load a saved model; evaluate it, or train it further when --epochs is given' },
  predict: { kind: 'string', value: 'FILE.csv', help: 'predict for the rows of a CSV of features (header row)' },
  output: { kind: 'string', value: 'FILE.csv', help: 'write --predict results here instead of standard output (with --load and no --data: only predict)' },
  export: { kind: 'string', value: 'safetensors FILE', help: 'also write the weights as safetensors' },
  'safetensors-layout': {
    kind: 'string',
    value: 'LAYOUT',
    default: 'pytorch',
    help: "--export's layout: pytorch (the equivalent torch.nn.Sequential's state_dict) or keras (dense_1.kernel [in, out])",
    choices: SAFETENSORS_LAYOUTS,
  },
  json: { kind: 'flag', help: 'one JSON object per epoch on standard output, for scripts' },
  help: { kind: 'flag', help: 'show this help' },
};

export interface ParsedArgs {
  command: 'train' | 'compare' | 'help';
  values: Map<string, string | number | boolean | number[]>;
  /** --export safetensors FILE */
  exportFile?: string;
}

const COMMANDS = ['train', 'compare', 'help'] as const;

/** Edits (insert, delete, substitute, swap two neighbours) that turn a into b. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known word a typo most likely meant ('epoch' → 'epochs', 'sigmod' →
 * 'sigmoid'), or undefined when none is close: within a third of its length
 * in edits, or the only word it begins.
 */
export function closest(word: string, known: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(w, name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (best && best.distance <= Math.max(1, Math.floor(best.name.length / 3))) return best.name;
  const prefixed = w.length >= 3 ? known.filter((k) => k.toLowerCase().startsWith(w)) : [];
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

const didYouMean = (guess: string | undefined, prefix = ''): string => (guess === undefined ? '' : `; did you mean ${prefix}${guess}?`);

function convert(name: string, spec: OptionSpec, raw: string): string | number | number[] {
  const where = `--${name}`;
  if (raw === '' || raw.startsWith('--')) throw new UsageError(`${where} needs a value (${spec.value})`);
  switch (spec.kind) {
    case 'int': {
      const v = Number(raw);
      if (!Number.isInteger(v)) throw new UsageError(`${where}: '${raw}' is not a whole number`);
      if (v <= 0 && name !== 'seed') throw new UsageError(`${where}: must be at least 1, got ${v}`);
      if (v < 0) throw new UsageError(`${where}: must not be negative, got ${v}`);
      return v;
    }
    case 'number': {
      const v = Number(raw);
      if (!Number.isFinite(v)) throw new UsageError(`${where}: '${raw}' is not a number`);
      if (name === 'lr' && v <= 0) throw new UsageError(`--lr: the learning rate must be greater than 0, got ${v}`);
      if (name === 'noise' && v < 0) throw new UsageError(`--noise: must not be negative, got ${v}`);
      if (name === 'validation-split' && !(v > 0 && v < 1)) throw new UsageError(`--validation-split: must be between 0 and 1 (exclusive), got ${v}`);
      return v;
    }
    default:
      if (spec.choices && !spec.choices.includes(raw)) throw new UsageError(`${where}: '${raw}' is not one of ${spec.choices.join(', ')}${didYouMean(closest(raw, spec.choices))}`);
      return raw;
  }
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  let command: ParsedArgs['command'] = 'train';
  let rest = [...argv];
  if (rest[0] !== undefined && !rest[0].startsWith('-')) {
    if (!(COMMANDS as readonly string[]).includes(rest[0])) throw new UsageError(`unknown command '${rest[0]}'; commands: ${COMMANDS.join(', ')}${didYouMean(closest(rest[0], COMMANDS))}`);
    command = rest[0] as ParsedArgs['command'];
    rest = rest.slice(1);
  }
  const values: ParsedArgs['values'] = new Map();
  let exportFile: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}' (options start with --; see --help)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = OPTIONS[name];
    if (!spec) {
      const guess = closest(name, Object.keys(OPTIONS));
      throw new UsageError(guess ? `unknown option --${name}; did you mean --${guess}? (see --help)` : `unknown option --${name} (see --help)`);
    }
    if (values.has(name)) throw new UsageError(`--${name} is given twice`);
    if (spec.kind === 'flag') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      values.set(name, true);
      continue;
    }
    const raw = eq >= 0 ? arg.slice(eq + 1) : rest[++i];
    if (raw === undefined) throw new UsageError(`--${name} needs a value (${spec.value})`);
    if (name === 'export') {
      if (raw !== 'safetensors') throw new UsageError(`--export: '${raw}' is not a known format (safetensors)`);
      const file = rest[++i];
      if (file === undefined || file.startsWith('--')) throw new UsageError('--export safetensors needs a FILE');
      exportFile = file;
      values.set(name, raw);
      continue;
    }
    values.set(name, convert(name, spec, raw));
  }
  if (values.has('help')) command = 'help';
  return { command, values, ...(exportFile ? { exportFile } : {}) };
}

export interface TrainConfig {
  data: string;
  /** Whether --data was given (--load with --predict and no --data only predicts). */
  dataGiven: boolean;
  label: string | undefined;
  task: TaskKind | undefined;
  samples: number;
  noise: number;
  model: ModelPreset | undefined;
  layers: LayerSpec[] | undefined;
  activation: ActivationName;
  loss: LossName | undefined;
  optimizer: OptimizerName;
  lr: number | undefined;
  epochs: number | undefined;
  batchSize: number | 'all' | undefined;
  validationSplit: number | undefined;
  seed: number;
  backend: BackendName;
  save: string | undefined;
  noSave: boolean;
  force: boolean;
  load: string | undefined;
  predict: string | undefined;
  output: string | undefined;
  exportFile: string | undefined;
  safetensorsLayout: SafetensorsLayout;
  json: boolean;
  normalize: boolean;
}

/** The options as typed values, with the checks that involve several of them. */
export function trainConfig(p: ParsedArgs): TrainConfig {
  const v = p.values;
  const get = <T>(name: string) => v.get(name) as T | undefined;
  const mode = get<string>('mode');
  const batch = get<number>('batch-size');
  if (mode && batch !== undefined && mode !== 'minibatch') {
    throw new UsageError(`--mode ${mode} fixes the batch size (${mode === 'sgd' ? '1' : 'all samples'}); drop --batch-size or use --mode minibatch`);
  }
  if (v.has('safetensors-layout') && !p.exportFile) throw new UsageError('--safetensors-layout is the layout of --export safetensors FILE; give --export too');
  if (get<boolean>('no-save') && v.has('save')) throw new UsageError('--save and --no-save contradict each other');
  if (v.has('output') && !v.has('predict')) throw new UsageError('--output names where --predict writes; give --predict FILE.csv too');
  if (v.has('load') && (v.has('layers') || v.has('model'))) throw new UsageError('--layers and --model build a new model; --load loads one: give one or the other');
  let layers: LayerSpec[] | undefined;
  const layersText = get<string>('layers');
  if (layersText !== undefined) {
    try {
      layers = parseLayers(layersText);
    } catch (e) {
      throw new UsageError(`--layers: ${(e as Error).message}`);
    }
  }
  return {
    data: get<string>('data') ?? 'mnist',
    dataGiven: v.has('data'),
    label: get<string>('label'),
    task: get<TaskKind>('task'),
    samples: get<number>('samples') ?? 500,
    noise: get<number>('noise') ?? 0.1,
    model: get<ModelPreset>('model'),
    layers,
    activation: (get<string>('activation') ?? 'relu') as ActivationName,
    loss: get<LossName>('loss'),
    optimizer: (get<string>('optimizer') ?? 'adam') as OptimizerName,
    lr: get<number>('lr'),
    epochs: get<number>('epochs'),
    batchSize: mode === 'sgd' ? 1 : mode === 'batch' ? 'all' : batch,
    validationSplit: get<number>('validation-split'),
    seed: get<number>('seed') ?? 1,
    backend: (get<string>('backend') ?? 'webgpu') as BackendName,
    save: get<string>('save'),
    noSave: get<boolean>('no-save') ?? false,
    force: get<boolean>('force') ?? false,
    load: get<string>('load'),
    predict: get<string>('predict'),
    output: get<string>('output'),
    exportFile: p.exportFile,
    safetensorsLayout: (get<string>('safetensors-layout') ?? 'pytorch') as SafetensorsLayout,
    json: get<boolean>('json') ?? false,
    normalize: get<boolean>('normalize') ?? false,
  };
}

export function helpText(): string {
  const lines = Object.entries(OPTIONS).map(([name, s]) => {
    const left = `  --${name}${s.value ? ` ${s.value}` : ''}`;
    // Choices the help line does not already name are listed after it.
    const listed = s.choices && !s.choices.every((c) => new RegExp(`\\b${c}\\b`).test(s.help)) ? `: ${s.choices.join(', ')}` : '';
    const right = `${s.help}${listed}${s.default ? ` (default: ${s.default})` : ''}`;
    return `${left.padEnd(34)} ${right}`;
  });
  return [
    'webgpu-train: train neural networks on the GPU (WebGPU via Dawn), headless.',
    '',
    'Usage:',
    '  webgpu-train [train] [options]     train a model (default: an MLP on the MNIST digits)',
    '  webgpu-train compare [options]     train the same model on cpu and webgpu, compare losses, weights and speed',
    '  npm run train -- [options]         the same, from a clone of the repository',
    '',
    'Options:',
    ...lines,
    '',
    'Examples:',
    '  webgpu-train                                         784-128-10 MLP on MNIST, saved under models/',
    `  webgpu-train --model cnn                             a convolutional network on MNIST: ${MODEL_PRESETS.cnn.layers}`,
    '  webgpu-train --layers conv16x3,maxpool2,conv32x3,maxpool2,64 --epochs 5',
    '  webgpu-train --data spiral --layers 32,32 --lr 0.01 --epochs 300        two interleaved arms, 86-89% held-out',
    '  webgpu-train --data readings.csv --normalize                 features on very different scales',
    '  webgpu-train --data houses.csv --label price --loss meanSquaredError --mode batch',
    '  webgpu-train --load models/mnist-… --predict digits.csv --output predictions.csv',
    '  webgpu-train compare --data xor --epochs 20',
  ].join('\n');
}
