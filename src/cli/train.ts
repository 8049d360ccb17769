// One training run as the command line describes it: data, model, fit,
// held-out figures, save. Shared by `train` and `compare`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Backend, LossName } from '../backend/backend.js';
import { parseFeatureCsv } from '../datasets/csv.js';
import { tensor } from '../host.js';
import { checkSaveTarget, exportSafetensors, loadModel, saveModel } from '../io/files.js';
import type { Sequential } from '../nn/sequential.js';
import { buildModel, parseLayers, usesImages } from '../nn/spec.js';
import { adam, adamw, momentum, rmsprop, sgd, type Optimizer } from '../nn/optimizers.js';
import type { EpochLogs } from '../nn/history.js';
import { defaultLoss, outputLayer, targets, type Samples, type Task } from './data.js';
import { UsageError, type TrainConfig } from './options.js';
import { MODEL_PRESETS } from './presets.js';
import type { Reporter } from './progress.js';

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
  saveDir: string | undefined;
  predictRows?: { x: Float32Array; rows: number };
}

function optimizerFor(c: TrainConfig): Optimizer {
  const presetLr = c.optimizer === 'adam' && !c.load ? MODEL_PRESETS[c.model ?? 'mlp'].adamLearningRate : undefined;
  const rate = c.lr ?? presetLr;
  const lr = rate === undefined ? {} : { learningRate: rate };
  switch (c.optimizer) {
    case 'adam':
      return adam(lr);
    case 'adamw':
      return adamw(lr);
    case 'rmsprop':
      return rmsprop(lr);
    case 'momentum':
      return momentum(lr);
    case 'sgd':
      return sgd(lr);
  }
}

function split(task: Task, s: Samples, loss: LossName, from: number, to: number) {
  const cols = task.inputs;
  const t = targets(task, loss, s.labels.subarray(from, to));
  return { x: s.x.subarray(from * cols, to * cols), y: t.values, rows: to - from, cols: t.cols };
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export function prepare(c: TrainConfig, task: Task, backend: Backend, options: { save: boolean }): Prepared {
  let model: Sequential;
  let loss: LossName;
  if (c.load) {
    const loaded = loadModel(c.load, backend);
    model = loaded.model;
    if (model.inputSize !== task.inputs) {
      throw new UsageError(`--load: the model in ${c.load} takes ${model.inputSize} inputs, but ${task.name} has ${task.inputs} features`);
    }
    loss = c.loss ?? (loaded.training?.loss as LossName | undefined) ?? defaultLoss(task);
    const want = outputLayer(task, loss);
    if (model.outputSize !== want.units) {
      throw new UsageError(`--load: the model in ${c.load} has ${model.outputSize} outputs, but ${loss} on ${task.name} needs ${want.units}`);
    }
  } else {
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
  model.compile({ optimizer, loss, metrics: ['accuracy'] });

  const trains = !c.load || c.epochs !== undefined;
  const presetEpochs = MODEL_PRESETS[c.model ?? 'mlp'].epochs;
  const epochs = c.epochs ?? (task.name === 'mnist' ? presetEpochs.mnist : presetEpochs.other);
  let train: Prepared['train'];
  let validation: Prepared['validation'];
  const all = task.train;
  if (task.heldOut) {
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
  const batchSize = c.batchSize === 'all' ? train.rows : (c.batchSize ?? 32);
  model.checkTrainingData({ values: train.x, rows: train.rows, cols: task.inputs }, { values: train.y, rows: train.rows, cols: train.cols }, trains ? 'fit' : 'evaluate');
  if (validation) {
    model.checkTrainingData({ values: validation.x, rows: validation.rows, cols: task.inputs }, { values: validation.y, rows: validation.rows, cols: validation.cols }, 'validation');
  }

  let saveDir: string | undefined;
  if (options.save && !c.noSave && (trains || c.save)) {
    saveDir = c.save ?? `models/${task.name.replace(/[^\w.-]+/g, '_').replace(/\.csv$/i, '')}-${timestamp()}`;
    try {
      checkSaveTarget(saveDir, c.force);
    } catch (e) {
      throw new UsageError(`--save: ${(e as Error).message.replace(/^save: /, '')}`);
    }
  }
  let predictRows: Prepared['predictRows'];
  if (c.predict) {
    if (!existsSync(c.predict)) throw new UsageError(`--predict: ${c.predict} does not exist`);
    const rows = parseFeatureCsv(readFileSync(c.predict, 'utf8'), c.predict);
    if (rows.features.length !== task.inputs) {
      throw new UsageError(`--predict: ${c.predict} has ${rows.features.length} feature columns, the model takes ${task.inputs}`);
    }
    predictRows = { x: rows.x, rows: rows.rows };
  }
  return { task, model, loss, optimizer, epochs, batchSize, train, validation, trains, saveDir, ...(predictRows ? { predictRows } : {}) };
}

export interface RunResult {
  history: EpochLogs[];
  seconds: number;
  heldOut?: { loss: number; accuracy: number; what: string; rows: number };
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
          onEpochEnd: (epoch: number, logs: EpochLogs) => {
            const seconds = (performance.now() - epochStarted) / 1000;
            history.push(logs);
            reporter.epochEnd({ ...logs, epoch, epochs: p.epochs, seconds, samplesPerSecond: p.train.rows / seconds });
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
    heldOut = { ...r, what: p.validation.what, rows: p.validation.rows };
  }
  return { history, seconds, stopped: stop.requested, ...(heldOut ? { heldOut } : {}) };
}

function tensorOf(values: Float32Array, rows: number, cols: number) {
  return tensor(values, [rows, cols]);
}

/** Saving, exporting and predicting after the run. Returns the lines to show. */
export async function finish(p: Prepared, c: TrainConfig): Promise<{ fields: Record<string, unknown>; lines: string[] }> {
  const fields: Record<string, unknown> = {};
  const lines: string[] = [];
  if (p.saveDir) {
    const dir = await saveModel(p.model, p.saveDir, { force: c.force });
    fields.saved = dir;
    lines.push(`saved: ${dir} (TensorFlow.js layers format: model.json + weights.bin)`);
  }
  if (c.exportFile) {
    const file = await exportSafetensors(p.model, c.exportFile);
    fields.exported = file;
    lines.push(`exported: ${file} (safetensors)`);
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
      writeFileSync(c.output, text);
      fields.predictions = c.output;
      lines.push(`predictions: ${p.predictRows.rows} rows written to ${c.output}`);
    } else {
      fields.predictions = p.predictRows.rows;
      lines.push(`predictions (${p.predictRows.rows} rows):`, text.trimEnd());
    }
  }
  return { fields, lines };
}
