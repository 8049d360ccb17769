// Callbacks: what fit calls at the edges of training, epochs and batches,
// given as one object of functions (FitCallbacks) or, as TensorFlow.js takes
// them, an array of callback objects (earlyStopping() among them). Names
// that are not callbacks are refused, so a misspelt hook never goes silent.
import type { EpochLogs } from './history.js';
import { METRICS } from './names.js';
import type { History } from './history.js';

export interface BatchLogs {
  /** Mean loss over the epoch's batches so far. */
  loss: number;
  accuracy?: number;
  /** Samples in this batch. */
  size: number;
}

/** The model a callback object is attached to, as far as callbacks need it. */
export interface CallbackModel {
  stopTraining: boolean;
  /** Copies of the weights, as Sequential.getWeights gives them. */
  getWeights(): Promise<Float32Array[]>;
  /** Replaces the weights, as Sequential.setWeights does. */
  setWeights(weights: readonly Float32Array[]): void;
}

export interface FitCallbacks {
  /** Before the first epoch. */
  onTrainBegin?: () => void | Promise<void>;
  /** Before each epoch (0-based). */
  onEpochBegin?: (epoch: number) => void | Promise<void>;
  /** Before each batch of an epoch (0-based); costs no GPU readback. */
  onBatchBegin?: (batch: number) => void | Promise<void>;
  /** Asking for per-batch values costs one GPU submission and readback per call. */
  onBatchEnd?: (batch: number, logs: BatchLogs) => void | Promise<void>;
  /** Call onBatchEnd after every N batches (and after the last). Default 1. */
  onBatchEndEvery?: number;
  /** After each epoch (0-based), with its loss and metrics (validation ones under val_); set model.stopTraining here to stop. */
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
  /** After the last epoch, once fit's buffers are released (the model may be compiled or disposed here). */
  onTrainEnd?: (history: History) => void | Promise<void>;
}

/** A callback object, as TensorFlow.js's fit takes in an array; fit gives it the model first. */
export interface CallbackObject extends Omit<FitCallbacks, 'onBatchEndEvery'> {
  /** Called by fit before training with the model being trained. */
  setModel?(model: CallbackModel): void;
}

export const CALLBACK_NAMES = ['onTrainBegin', 'onEpochBegin', 'onBatchBegin', 'onBatchEnd', 'onBatchEndEvery', 'onEpochEnd', 'onTrainEnd'] as const;

type Hook = Exclude<(typeof CALLBACK_NAMES)[number], 'onBatchEndEvery'>;

/**
 * The names to check in a callback object: every key of a plain object (a
 * misspelt hook is a key), and what looks like a hook (on…) in a class
 * instance, whose other fields and helper methods are its own business.
 */
function methodNames(o: object): string[] {
  const plain = Object.getPrototypeOf(o) === Object.prototype || Object.getPrototypeOf(o) === null;
  if (plain) return Object.keys(o);
  const names = new Set<string>();
  for (let p: object | null = o; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) if (/^on[A-Z]/.test(k)) names.add(k);
  }
  return [...names];
}

/** fit's callbacks, checked and merged: each hook calls every object that has it, in order. */
export class CallbackList {
  readonly every: number | undefined;
  private readonly objects: CallbackObject[];

  constructor(given: FitCallbacks | readonly CallbackObject[] | undefined, model: CallbackModel) {
    const list = given === undefined ? [] : Array.isArray(given) ? given : [given as FitCallbacks];
    this.objects = [];
    let every: number | undefined;
    list.forEach((o, i) => {
      const where = Array.isArray(given) ? `fit: callbacks[${i}]` : 'fit: callbacks';
      if (typeof o !== 'object' || o === null) throw new Error(`${where} is ${o === null ? 'null' : typeof o}, not an object of callback functions`);
      for (const name of methodNames(o)) {
        if (name === 'setModel') continue;
        if (!(CALLBACK_NAMES as readonly string[]).includes(name)) {
          throw new Error(`${where}: unknown callback '${name}'; valid: ${CALLBACK_NAMES.join(', ')}`);
        }
        const v = (o as Record<string, unknown>)[name];
        if (name === 'onBatchEndEvery') {
          if (!(typeof v === 'number' && Number.isInteger(v) && v > 0)) throw new Error(`fit: onBatchEndEvery must be a positive integer, got ${String(v)}`);
          every = v;
        } else if (v !== undefined && typeof v !== 'function') {
          throw new Error(`${where}: ${name} must be a function, got ${typeof v}`);
        }
      }
      (o as CallbackObject).setModel?.(model);
      this.objects.push(o as CallbackObject);
    });
    this.every = every;
  }

  has(hook: Hook): boolean {
    return this.objects.some((o) => typeof o[hook] === 'function');
  }

  async trainBegin(): Promise<void> {
    for (const o of this.objects) await o.onTrainBegin?.();
  }
  async epochBegin(epoch: number): Promise<void> {
    for (const o of this.objects) await o.onEpochBegin?.(epoch);
  }
  async batchBegin(batch: number): Promise<void> {
    for (const o of this.objects) await o.onBatchBegin?.(batch);
  }
  async batchEnd(batch: number, logs: BatchLogs): Promise<void> {
    for (const o of this.objects) await o.onBatchEnd?.(batch, logs);
  }
  async epochEnd(epoch: number, logs: EpochLogs): Promise<void> {
    for (const o of this.objects) await o.onEpochEnd?.(epoch, logs);
  }
  async trainEnd(history: History): Promise<void> {
    for (const o of this.objects) await o.onTrainEnd?.(history);
  }
}

export type MonitoredLog = string;

/** Figures fit can report, each also under val_ for validation. */
const MONITORABLE: readonly string[] = ['loss', ...METRICS];
/** The ones where bigger is better. */
const RISING = ['accuracy', 'acc', 'precision', 'recall'];

export interface EarlyStoppingConfig {
  /** The figure watched. Default 'val_loss'. */
  monitor?: MonitoredLog;
  /** A change smaller than this is no improvement. Default 0. */
  minDelta?: number;
  /** Epochs without improvement before training stops. Default 0. */
  patience?: number;
  /** Whether lower or higher is better; 'auto' reads it from the name (accuracies: higher). Default 'auto'. */
  mode?: 'auto' | 'min' | 'max';
  /** Stop unless the figure beats this. */
  baseline?: number;
  /** When training ends, go back to the weights of the best epoch. Default false. */
  restoreBestWeights?: boolean;
}

/**
 * Stops fit when a monitored figure stops improving (Keras's and TensorFlow.js's
 * EarlyStopping): after `patience` epochs without an improvement of at least
 * `minDelta`, it sets model.stopTraining (patience 0: at the first). With restoreBestWeights it reads the
 * weights back at each improvement and restores the best ones when fit ends.
 */
export class EarlyStopping implements CallbackObject {
  readonly monitor: MonitoredLog;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly baseline: number | undefined;
  readonly restoreBestWeights: boolean;
  /** The epoch training stopped at (0-based), if it stopped early. */
  stoppedEpoch: number | undefined;
  /** The best epoch's figure and index. */
  best = NaN;
  bestEpoch: number | undefined;
  private model: CallbackModel | undefined;
  private wait = 0;
  private bestWeights: Float32Array[] | undefined;

  constructor(config: EarlyStoppingConfig = {}) {
    this.monitor = config.monitor ?? 'val_loss';
    const base = this.monitor.replace(/^val_/, '');
    if (!MONITORABLE.includes(base)) {
      throw new Error(`earlyStopping: monitor '${String(this.monitor)}' is not one of ${MONITORABLE.join(', ')} (or val_ before one)`);
    }
    this.minDelta = Math.abs(config.minDelta ?? 0);
    this.patience = config.patience ?? 0;
    if (!(Number.isInteger(this.patience) && this.patience >= 0)) throw new Error(`earlyStopping: patience must be a whole number ≥ 0, got ${config.patience}`);
    const mode = config.mode ?? 'auto';
    if (!['auto', 'min', 'max'].includes(mode)) throw new Error(`earlyStopping: mode must be 'auto', 'min' or 'max', got '${String(mode)}'`);
    this.mode = mode === 'auto' ? (RISING.includes(base) ? 'max' : 'min') : mode;
    this.baseline = config.baseline;
    this.restoreBestWeights = config.restoreBestWeights ?? false;
  }

  /** Called by fit with the model whose stopTraining and weights it uses. */
  setModel(model: CallbackModel): void {
    this.model = model;
  }

  private improves(value: number, over: number): boolean {
    return this.mode === 'min' ? value < over - this.minDelta : value > over + this.minDelta;
  }

  async onTrainBegin(): Promise<void> {
    this.wait = 0;
    this.stoppedEpoch = undefined;
    this.bestEpoch = undefined;
    this.bestWeights = undefined;
    this.best = this.baseline ?? (this.mode === 'min' ? Infinity : -Infinity);
  }

  /** Compares the monitored figure with the best so far; stops training after `patience` epochs without improvement. */
  async onEpochEnd(epoch: number, logs: EpochLogs): Promise<void> {
    // Logs carry accuracy under its full name whichever spelling compile was given.
    const value = logs[this.monitor] ?? logs[this.monitor.replace(/acc$/, 'accuracy')];
    if (value === undefined) {
      const hint = this.monitor.startsWith('val_') ? ' (give fit validationData or validationSplit)' : ` (compile with metrics: ['${this.monitor}'])`;
      throw new Error(`earlyStopping: fit reports no '${this.monitor}'${hint}`);
    }
    if (this.improves(value, this.best)) {
      this.best = value;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights) this.bestWeights = await this.model!.getWeights();
      return;
    }
    this.wait++;
    // As Keras and TensorFlow.js count: patience 2 stops at the second epoch without improvement.
    if (this.wait >= this.patience) {
      this.stoppedEpoch = epoch;
      this.model!.stopTraining = true;
    }
  }

  async onTrainEnd(history: History): Promise<void> {
    const last = history.epoch.at(-1);
    if (this.restoreBestWeights && this.bestWeights && this.bestEpoch !== last) this.model!.setWeights(this.bestWeights);
  }
}

/**
 * Stops training when `monitor` (default 'val_loss') has not improved for `patience` epochs, as Keras's `EarlyStopping`; `restoreBestWeights` goes back to the best epoch's weights. See {@link EarlyStopping}.
 *
 * @example
 * ```ts
 * await model.fit(x, y, {
 *   epochs: 100,
 *   validationSplit: 0.2,
 *   callbacks: [earlyStopping({ monitor: 'val_loss', patience: 5, restoreBestWeights: true })],
 * });
 * ```
 */
export function earlyStopping(config: EarlyStoppingConfig = {}): EarlyStopping {
  return new EarlyStopping(config);
}
