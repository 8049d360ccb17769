// One model being trained: built from the settings, trained in runs of
// epochs that can be paused between epochs, timed without the drawing.
//
// Each run is one model.fit call, so inside a run an epoch stays a single GPU
// submission with one readback; the page draws in the epoch callback, where
// the GPU is idle and waiting for it.
import {
  optimizerNamed,
  buildModel as buildFromSpec,
  usesImages,
  tensor,
  type Backend,
  type EpochLogs,
  type Optimizer,
  type Sequential,
  type Tensor,
} from '../../src/index.js';
import { targetsFor, taskOf, type Prepared } from './data.js';
import { yieldToBrowser } from './dom.js';
import { batchSizeFor, isRegression, regularizerFor, type Settings } from './settings.js';

export interface EpochReport {
  /** Epochs done so far in this session (1 after the first). */
  epoch: number;
  logs: EpochLogs;
  /** Whether this is the last epoch of the current run. */
  last: boolean;
}

export interface RunHooks {
  onEpoch: (r: EpochReport) => Promise<void> | void;
  /** Progress inside a long epoch: batches done of the epoch's total. */
  onProgress?: (done: number, total: number) => void;
}

/** Long epochs (the digits) report progress about this many times each. */
const PROGRESS_STEPS = 10;

export function optimizerFor(s: Settings): Optimizer {
  return optimizerNamed(s.optimizer, { learningRate: s.learningRate });
}

/** The model the settings describe, through the library's one model builder (the output layer follows the loss). */
export function buildModel(s: Settings, data: Prepared, backend: Backend): Sequential {
  const inputShape = usesImages(s.hidden) && data.imageShape ? data.imageShape : [data.features];
  const kernelRegularizer = regularizerFor(s);
  const model = buildFromSpec(
    { inputShape, hidden: s.hidden, activation: s.activation, task: taskOf(data), loss: s.loss, ...(kernelRegularizer ? { kernelRegularizer } : {}) },
    { backend, seed: s.seed },
  );
  compileFor(model, s);
  return model;
}

/** Compiles a model (built here, or loaded from a file) for training under the settings. */
export function compileFor(model: Sequential, s: Settings): void {
  // A number to predict has no accuracy: the loss (squared error) alone says how close it is.
  model.compile({ optimizer: optimizerFor(s), loss: s.loss, metrics: isRegression(s) ? [] : ['accuracy'] });
}

/** The data as host tensors, made once: every fit uploads them to the model's backend. */
export function tensorsFor(s: Settings, data: Prepared): { x: Tensor; y: Tensor; valX: Tensor; valY: Tensor } {
  const y = targetsFor(s.loss, data.train, data.classes);
  const vy = targetsFor(s.loss, data.validation, data.classes);
  return {
    x: tensor(data.train.x, [data.train.size, data.features]),
    y: tensor(y.values, [data.train.size, y.cols]),
    valX: tensor(data.validation.x, [data.validation.size, data.features]),
    valY: tensor(vy.values, [data.validation.size, vy.cols]),
  };
}

/**
 * Keeps the page alive while the CPU backend trains: its ops finish
 * synchronously, so without this a long run would never give the browser a
 * chance to paint or to handle the pause button.
 */
export class Yielder {
  private last = performance.now();
  constructor(private readonly everyMs = 40) {}
  async maybe(): Promise<void> {
    if (performance.now() - this.last < this.everyMs) return;
    await yieldToBrowser();
    this.last = performance.now();
  }
}

export class Session {
  readonly model: Sequential;
  epochs = 0;
  /** Wall time per epoch, drawing excluded; `first` marks a run's first epoch. */
  private timed: { ms: number; first: boolean }[] = [];
  private readonly data: ReturnType<typeof tensorsFor>;
  private running: Promise<void> | undefined;
  private pauseRequested = false;
  /** Work that needs the model, deferred to the next epoch boundary while training. */
  private pending: (() => Promise<void>)[] = [];

  constructor(
    readonly settings: Settings,
    readonly prepared: Prepared,
    readonly backend: Backend,
    /** A model loaded from a file or storage, kept with its weights (compiled for the settings); default: a new one. */
    loaded?: Sequential,
  ) {
    if (loaded) compileFor(loaded, settings);
    this.model = loaded ?? buildModel(settings, prepared, backend);
    this.data = tensorsFor(settings, prepared);
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  get batchSize(): number {
    return batchSizeFor(this.settings, this.prepared.train.size);
  }

  /** Epochs and samples per second over the last few epochs (a moving window, so it follows changes). */
  speed(): { epochsPerSec: number; samplesPerSec: number } {
    // A run's first epoch also uploads the data, records the step and (the
    // first time) compiles the shaders: left out once steadier epochs exist.
    const steady = this.timed.filter((t) => !t.first);
    const recent = (steady.length > 0 ? steady : this.timed).slice(-20);
    const ms = recent.reduce((a, t) => a + t.ms, 0);
    const epochsPerSec = ms > 0 ? (recent.length * 1000) / ms : NaN;
    return { epochsPerSec, samplesPerSec: epochsPerSec * this.prepared.train.size };
  }

  /** Trains `epochs` more epochs, calling onEpoch after each; resolves when done or paused. */
  run(epochs: number, hooks: RunHooks): Promise<void> {
    if (this.running) throw new Error('demo: this model is already training');
    this.pauseRequested = false;
    this.running = this.fit(epochs, hooks).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Asks the run to stop after the current epoch. */
  requestPause(): void {
    if (this.running) this.pauseRequested = true;
  }

  /** Asks the run to stop after the current epoch, and waits for it. */
  async pause(): Promise<void> {
    this.requestPause();
    await this.running?.catch(() => {});
  }

  /** Runs fn with the model now, or, while it trains, at the next batch or epoch boundary that calls back. */
  withModel(fn: () => Promise<void>): Promise<void> {
    if (!this.running) return fn();
    return new Promise((resolve, reject) => this.pending.push(() => fn().then(resolve, reject)));
  }

  private async fit(epochs: number, hooks: RunHooks): Promise<void> {
    const cpu = this.backend.name === 'cpu';
    const yielder = new Yielder();
    const batches = Math.ceil(this.prepared.train.size / this.batchSize);
    // An epoch of digits takes seconds on a software adapter: a readback every
    // tenth of it shows progress for little cost. The 2-D sets' epochs are
    // short, and stay one submission each.
    const progressEvery = this.prepared.kind === 'mnist' ? Math.max(1, Math.ceil(batches / PROGRESS_STEPS)) : undefined;
    const onBatchEnd = async (batch: number): Promise<void> => {
      if (progressEvery && ((batch + 1) % progressEvery === 0 || batch + 1 === batches)) hooks.onProgress?.(batch + 1, batches);
      // Between batches the device is idle too: a drawn digit need not wait for a long epoch.
      for (const job of this.pending.splice(0)) await job();
      await yielder.maybe();
    };
    let mark = performance.now();
    let inRun = 0;
    await this.model.fit(this.data.x, this.data.y, {
      epochs,
      batchSize: this.batchSize,
      validationData: [this.data.valX, this.data.valY],
      callbacks: {
        // On the GPU each batch callback costs a readback: only for progress, never for every batch.
        ...(cpu || progressEvery ? { onBatchEnd, onBatchEndEvery: cpu ? 1 : progressEvery } : {}),
        onEpochEnd: async (_e, logs) => {
          const now = performance.now();
          inRun++;
          this.timed.push({ ms: now - mark, first: inRun === 1 });
          this.epochs++;
          await hooks.onEpoch({ epoch: this.epochs, logs, last: inRun === epochs || this.pauseRequested });
          for (const job of this.pending.splice(0)) await job();
          if (this.pauseRequested) this.model.stopTraining = true;
          await yielder.maybe();
          mark = performance.now();
        },
      },
    });
    for (const job of this.pending.splice(0)) await job();
  }

  async dispose(): Promise<void> {
    await this.pause();
    this.model.dispose();
    for (const t of Object.values(this.data)) t.dispose();
  }
}
