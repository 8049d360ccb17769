// One training run as the command line describes it: data, model, fit,
// held-out figures, save. Shared by `train` and `compare`.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Backend, LossName } from '../backend/backend.js';
import { parseFeatureCsv } from '../datasets/csv.js';
import { tensor } from '../host.js';
import { checkFileTarget, checkModelTarget, exportSafetensors, freeName, loadModel, OutputPathError, removeStaleTemporaries, saveModel, writeFileAtomic } from '../io/files.js';
import type { Sequential } from '../nn/sequential.js';
import { buildModel, parseLayers, usesImages } from '../nn/spec.js';
import { optimizerNamed, type Optimizer } from '../nn/optimizers.js';
import type { EpochLogs } from '../nn/history.js';
import { defaultLoss, outputLayer, targets, taskOfModel, type Samples, type Task } from './data.js';
import { UsageError, type TrainConfig } from './options.js';
import { MODEL_PRESETS } from './presets.js';
import type { Reporter } from './progress.js';
import { featureStats, NORMALIZATION_KEY, savedStats, standardize, type FeatureStats } from './normalize.js';

/** Everything checked and prepared before the first GPU dispatch. */
export interface Prepared {
  task: Task;
  model: Sequential;
  loss: LossName;
  optimizer: Optimizer;
  epochs: number;
  batchSize: number;
  train: { x: Float32Array; y: Float32Array; rows: number; cols: number };
  validation?: { x: Float32Array; y: Float32Array; rows: number; cols: number; what: string };
  /** Train (new model, or --load with --epochs) or only evaluate (--load alone). */
  trains: boolean;
  /** --load and --predict without --data: no data set, nothing trained or evaluated, only predictions. */
  predictOnly: boolean;
  /**
   * Where the model is saved: the user's --save, or a default name. A default
   * name (`unique`) moves on to -2, -3 … if taken by the time the model is written.
   */
  save?: { dir: string; unique: boolean; base?: string };
  predictRows?: { x: Float32Array; rows: number };
  /** The statistics every input was standardized with (--normalize, or saved with a loaded model). */
  normalization?: { stats: FeatureStats; from: 'training rows' | 'the loaded model' };
}

function optimizerFor(c: TrainConfig): Optimizer {
  const presetLr = c.optimizer === 'adam' && !c.load ? MODEL_PRESETS[c.model ?? 'mlp'].adamLearningRate : undefined;
  const rate = c.lr ?? presetLr;
  return optimizerNamed(c.optimizer, rate === undefined ? {} : { learningRate: rate });
}

function split(task: Task, s: Samples, loss: LossName, from: number, to: number) {
  const cols = task.inputs;
  const t = targets(task, loss, s.labels.subarray(from, to));
  return { x: s.x.subarray(from * cols, to * cols), y: t.values, rows: to - from, cols: t.cols };
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** Runs an output-path check, naming the flag in its error. */
function checkOutput(flag: string, check: () => void, hint = ''): void {
  try {
    check();
  } catch (e) {
    if (e instanceof OutputPathError) throw new UsageError(`${flag}: ${e.message}${hint}`);
    throw e;
  }
}

/**
 * Everything checked before the first GPU dispatch: the model, the data, and
 * every path the run will write (so a run never trains only to fail writing).
 * `data` is undefined for --load with --predict and no --data: only predicting.
 */
export function prepare(c: TrainConfig, data: Task | undefined, backend: Backend, options: { save: boolean }): Prepared {
  let model: Sequential;
  let loss: LossName;
  let task: Task;
  let loadedStats: FeatureStats | undefined;
  if (c.load) {
    const loaded = loadModel(c.load, backend);
    model = loaded.model;
    loadedStats = savedStats(model.getUserDefinedMetadata(), model.inputSize, `${c.load}/model.json`);
    if (c.normalize && !loadedStats) {
      throw new UsageError(`--normalize: the model in ${c.load} was trained on features as they are (it holds no normalization statistics); drop --normalize to use it`);
    }
    if (data) {
      task = data;
      if (model.inputSize !== task.inputs) {
        throw new UsageError(`--load: the model in ${c.load} takes ${model.inputSize} inputs, but ${task.name} has ${task.inputs} features`);
      }
    } else {
      const none: Samples = { x: new Float32Array(0), labels: new Float32Array(0), rows: 0 };
      const last = model.layerInfo().at(-1)!;
      task = { name: c.load, description: 'none (only predicting)', inputs: model.inputSize, ...taskOfModel(model.outputSize, last.activation), train: none };
    }
    loss = c.loss ?? (loaded.training?.loss as LossName | undefined) ?? defaultLoss(task);
    const want = outputLayer(task, loss);
    if (model.outputSize !== want.units) {
      throw new UsageError(`--load: the model in ${c.load} has ${model.outputSize} outputs, but ${loss} on ${task.name} needs ${want.units}`);
    }
  } else {
    if (!data) throw new Error('prepare: a new model needs data');
    task = data;
    loss = c.loss ?? defaultLoss(task);
    const preset = MODEL_PRESETS[c.model ?? 'mlp'];
    const hidden = c.layers ?? parseLayers(task.name === 'mnist' ? preset.layers : (preset.otherLayers ?? preset.layers));
    const images = usesImages(hidden);
    if (images && !task.imageShape) {
      throw new UsageError(`${c.layers ? '--layers' : '--model'}: convolution and pooling need images, but ${task.name} has ${task.inputs} features per sample`);
    }
    model = buildModel({ inputShape: images ? task.imageShape! : [task.inputs], hidden, activation: c.activation, task, loss }, { backend, seed: c.seed });
  }
  const optimizer = optimizerFor(c);
  // Accuracy means nothing for regression: not measured, not reported.
  model.compile({ optimizer, loss, metrics: task.kind === 'regression' ? [] : ['accuracy'] });

  const predictOnly = !data;
  const trains = !predictOnly && (!c.load || c.epochs !== undefined);
  const presetEpochs = MODEL_PRESETS[c.model ?? 'mlp'].epochs;
  const epochs = c.epochs ?? (task.name === 'mnist' ? presetEpochs.mnist : presetEpochs.other);
  let train: Prepared['train'];
  let validation: Prepared['validation'];
  const all = task.train;
  if (predictOnly) {
    train = { x: all.x, y: new Float32Array(0), rows: 0, cols: 1 };
  } else if (task.heldOut) {
    if (c.validationSplit !== undefined) throw new UsageError(`--validation-split: ${task.name} has a fixed held-out set of ${task.heldOut.rows} samples`);
    train = split(task, all, loss, 0, all.rows);
    validation = { ...split(task, task.heldOut, loss, 0, task.heldOut.rows), what: 'held-out' };
  } else if (!trains) {
    train = split(task, all, loss, 0, all.rows);
    validation = { ...train, what: 'all' };
  } else {
    const fraction = c.validationSplit ?? 0.2;
    const keep = Math.floor(all.rows * (1 - fraction));
    if (keep < 1 || keep >= all.rows) throw new UsageError(`--validation-split ${fraction} leaves no samples to ${keep < 1 ? 'train' : 'validate'} on (of ${all.rows})`);
    train = split(task, all, loss, 0, keep);
    validation = { ...split(task, all, loss, keep, all.rows), what: 'validation' };
  }
  // Standardized with the training rows' statistics (or the loaded model's), saved with the model.
  let normalization: Prepared['normalization'];
  if (loadedStats) normalization = { stats: loadedStats, from: 'the loaded model' };
  else if (c.normalize && !predictOnly) {
    normalization = { stats: featureStats(train.x, train.rows, task.inputs), from: 'training rows' };
    model.setUserDefinedMetadata({ ...model.getUserDefinedMetadata(), [NORMALIZATION_KEY]: normalization.stats });
  }
  if (normalization) {
    const stats = normalization.stats;
    train = { ...train, x: standardize(train.x, stats) };
    // The validation rows were cut before the statistics; the same transform, never their own.
    if (validation) validation = { ...validation, x: standardize(validation.x, stats) };
  }
  const batchSize = c.batchSize === 'all' ? Math.max(1, train.rows) : (c.batchSize ?? 32);
  if (!predictOnly) {
    model.checkTrainingData({ values: train.x, rows: train.rows, cols: task.inputs }, { values: train.y, rows: train.rows, cols: train.cols }, trains ? 'fit' : 'evaluate');
  }
  if (validation) {
    model.checkTrainingData({ values: validation.x, rows: validation.rows, cols: task.inputs }, { values: validation.y, rows: validation.rows, cols: validation.cols }, 'validation');
  }

  // Every output path, before any training (after removing what crashed runs left beside them).
  for (const path of [c.save, c.exportFile, c.output]) if (path !== undefined) removeStaleTemporaries(dirname(resolve(path)));
  let save: Prepared['save'];
  if (options.save && !c.noSave && (trains || c.save)) {
    if (c.save) {
      const dir = c.save;
      checkOutput('--save', () => checkModelTarget(dir, c.force));
      save = { dir, unique: false };
    } else {
      const base = `models/${task.name.replace(/[^\w.-]+/g, '_').replace(/\.csv$/i, '')}-${timestamp()}`;
      const dir = freeName(base);
      checkOutput('--save', () => checkModelTarget(dir, false), ' (the default --save; give --save DIR or --no-save)');
      save = { dir, unique: true, base };
    }
  }
  if (c.exportFile) {
    const file = c.exportFile;
    checkOutput('--export', () => checkFileTarget(file, c.force));
  }
  if (c.output) {
    const file = c.output;
    checkOutput('--output', () => checkFileTarget(file, c.force));
  }
  let predictRows: Prepared['predictRows'];
  if (c.predict) {
    let text: string;
    try {
      text = readFileSync(c.predict, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`--predict: ${code === 'ENOENT' ? `${c.predict} does not exist` : `cannot read ${c.predict}: ${code ?? (e as Error).message}`}`);
    }
    const rows = parseFeatureCsv(text, c.predict);
    if (rows.features.length !== task.inputs) {
      throw new UsageError(`--predict: ${c.predict} has ${rows.features.length} feature columns, the model takes ${task.inputs}`);
    }
    predictRows = { x: normalization ? standardize(rows.x, normalization.stats) : rows.x, rows: rows.rows };
  }
  return {
    task,
    model,
    loss,
    optimizer,
    epochs,
    batchSize,
    train,
    validation,
    trains,
    predictOnly,
    ...(save ? { save } : {}),
    ...(predictRows ? { predictRows } : {}),
    ...(normalization ? { normalization } : {}),
  };
}

export interface RunResult {
  history: EpochLogs[];
  seconds: number;
  /** The held-out figures; no accuracy for regression. */
  heldOut?: { loss: number; accuracy?: number; what: string; rows: number };
  stopped: boolean;
}

/** Trains (reporting every epoch), then measures the held-out figures. */
export async function run(p: Prepared, reporter: Reporter, stop: { requested: boolean }): Promise<RunResult> {
  const { model } = p;
  const history: EpochLogs[] = [];
  const started = performance.now();
  if (p.trains) {
    const batches = Math.ceil(p.train.rows / Math.min(p.batchSize, p.train.rows));
    const every = reporter.batchEvery(batches);
    let epochStarted = performance.now();
    let epochIndex = 0;
    reporter.epochStart(0, p.epochs, batches);
    await model.fit(
      tensorOf(p.train.x, p.train.rows, p.task.inputs),
      tensorOf(p.train.y, p.train.rows, p.train.cols),
      {
        epochs: p.epochs,
        batchSize: p.batchSize,
        ...(p.validation && p.validation.what !== 'all'
          ? { validationData: [tensorOf(p.validation.x, p.validation.rows, p.task.inputs), tensorOf(p.validation.y, p.validation.rows, p.validation.cols)] as const }
          : {}),
        callbacks: {
          ...(every
            ? {
                onBatchEndEvery: every,
                onBatchEnd: (batch: number, logs: { loss: number; accuracy?: number; size: number }) => {
                  const seen = Math.min(p.train.rows, (batch + 1) * p.batchSize);
                  reporter.batch(batch + 1, logs.loss, logs.accuracy, seen / ((performance.now() - epochStarted) / 1000));
                },
              }
            : {}),
          onEpochEnd: async (epoch: number, logs: EpochLogs) => {
            const seconds = (performance.now() - epochStarted) / 1000;
            history.push(logs);
            reporter.epochEnd({ ...logs, epoch, epochs: p.epochs, seconds, samplesPerSecond: p.train.rows / seconds });
            // Let the event loop turn once an epoch: a signal, or an error on a closed standard output,
            // is only seen then (the cpu backend's fit never waits on anything else).
            await new Promise((resolve) => setImmediate(resolve));
            if (stop.requested) model.stopTraining = true;
            epochIndex = epoch + 1;
            epochStarted = performance.now();
            if (epochIndex < p.epochs && !model.stopTraining) reporter.epochStart(epochIndex, p.epochs, batches);
          },
        },
      },
    );
  }
  const seconds = (performance.now() - started) / 1000;
  let heldOut: RunResult['heldOut'];
  if (p.validation) {
    const r = await model.evaluate(tensorOf(p.validation.x, p.validation.rows, p.task.inputs), tensorOf(p.validation.y, p.validation.rows, p.validation.cols));
    heldOut = { loss: r.loss, ...(p.task.kind === 'regression' ? {} : { accuracy: r.accuracy }), what: p.validation.what, rows: p.validation.rows };
  }
  return { history, seconds, stopped: stop.requested, ...(heldOut ? { heldOut } : {}) };
}

function tensorOf(values: Float32Array, rows: number, cols: number) {
  return tensor(values, [rows, cols]);
}

/** Runs a write, naming its flag when the path turned out not writable after all (it changed during training). */
async function writing<T>(flag: string, write: () => Promise<T> | T): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (e instanceof OutputPathError) throw new Error(`${flag}: ${e.message}`);
    throw e;
  }
}

/** Saving, exporting and predicting after the run. Returns the lines to show. */
export async function finish(p: Prepared, c: TrainConfig): Promise<{ fields: Record<string, unknown>; lines: string[] }> {
  const fields: Record<string, unknown> = {};
  const lines: string[] = [];
  if (p.save) {
    const save = p.save;
    const dir = await writing('--save', () => saveModel(p.model, save.base ?? save.dir, { force: c.force, unique: save.unique }));
    fields.saved = dir;
    lines.push(`saved: ${dir} (TensorFlow.js layers format: model.json + weights.bin)`);
  }
  if (c.exportFile) {
    const target = c.exportFile;
    const file = await writing('--export', () => exportSafetensors(p.model, target, { force: c.force, layout: c.safetensorsLayout }));
    fields.exported = file;
    lines.push(`exported: ${file} (safetensors, ${c.safetensorsLayout === 'pytorch' ? "PyTorch's layout: the state_dict of the equivalent torch.nn.Sequential" : "Keras's names and layouts"})`);
  }
  if (p.predictRows) {
    const out = await p.model.predict(tensorOf(p.predictRows.x, p.predictRows.rows, p.task.inputs));
    const values = await out.data();
    out.dispose();
    const units = p.model.outputSize;
    const header = units === 1 ? (p.task.kind === 'regression' ? 'prediction' : 'probability,class') : ['class', ...Array.from({ length: units }, (_, k) => `p${k}`)].join(',');
    const rows: string[] = [];
    for (let r = 0; r < p.predictRows.rows; r++) {
      const row = Array.from(values.subarray(r * units, (r + 1) * units));
      if (units === 1) rows.push(p.task.kind === 'regression' ? `${row[0]}` : `${row[0]!.toFixed(6)},${row[0]! > 0.5 ? 1 : 0}`);
      else rows.push([row.indexOf(Math.max(...row)), ...row.map((v) => v.toFixed(6))].join(','));
    }
    const text = `${header}\n${rows.join('\n')}\n`;
    if (c.output) {
      const target = c.output;
      await writing('--output', () => writeFileAtomic(target, text, { force: c.force }));
      fields.predictions = c.output;
      lines.push(`predictions: ${p.predictRows.rows} rows written to ${c.output}`);
    } else {
      fields.predictions = p.predictRows.rows;
      lines.push(`predictions (${p.predictRows.rows} rows):`, text.trimEnd());
    }
  }
  return { fields, lines };
}
