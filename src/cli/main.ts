// webgpu-train on the command line: headless training in Node, on the GPU
// through Dawn (or the cpu reference backend).
import { getBackend } from '../backend/index.js';
import type { Backend, BackendName } from '../backend/backend.js';
import { NoAdapterError } from '../backend/webgpu/device.js';
import { DeviceLostError, GpuValidationError } from '../backend/webgpu/scheduler.js';
import { loadTask } from './data.js';
import { helpText, parseArgs, trainConfig, UsageError, type TrainConfig } from './options.js';
import { Reporter, writeTo } from './progress.js';
import { removeTemporaries } from '../io/files.js';
import { finish, prepare, run } from './train.js';
import { superviseDawnOutput } from './supervisor.js';
// GEMM tuning decisions kept on disk, so a GPU tunes a model's products once, not every run.
import '../backend/webgpu/tuning-store-node.js';
import type { Sequential } from '../nn/sequential.js';
import { describeOptimizer as describeOptimizerOf, type Optimizer } from '../nn/optimizers.js';

/** Errors found before any training: the user's input. One line, exit code 2. */
class InputError extends Error {}

async function openBackend(name: BackendName, reporter: Reporter): Promise<Backend> {
  const backend = await getBackend(name);
  reporter.info(`backend: ${backend.name} · adapter: ${backend.adapterName}`);
  return backend;
}

/** A line on standard error, unless it is closed. */
const say = (line: string) => writeTo(process.stderr, `${line}\n`);

type StopReason = 'SIGINT' | 'SIGTERM' | 'stdout closed';
/** The exit status after a stop: 128 + the signal's number (SIGPIPE for a closed output). */
const STOP_STATUS: Record<StopReason, number> = { SIGINT: 130, SIGTERM: 143, 'stdout closed': 141 };
const STOP_WORDS: Record<StopReason, string> = { SIGINT: 'Ctrl-C (SIGINT)', SIGTERM: 'SIGTERM', 'stdout closed': 'standard output closing' };

/** Called when standard output closes (its reader went away): a Stop asks the run to end. */
let onStdoutClosed = (): void => {};
for (const stream of [process.stdout, process.stderr]) {
  // EPIPE (or any other write error): the reader is gone. No stack trace, and no more writes there.
  stream.on('error', () => {
    stream.destroy();
    if (stream === process.stdout) onStdoutClosed();
  });
}

/**
 * Ctrl-C, SIGTERM and a closed standard output all ask the run to stop: after
 * the current epoch, then save (when saving) and exit with 128 + the signal.
 * While the outputs are written a signal lets them finish; a second signal
 * quits at once, removing any temporary file, so nothing is half-written.
 */
class Stop {
  requested = false;
  reason: StopReason | undefined;
  /** 'training' until the model is trained and measured, 'writing' while the outputs are written. */
  phase: 'training' | 'writing' = 'training';
  private signalled: StopReason | undefined;

  constructor(private readonly reporter: Reporter) {
    onStdoutClosed = () => this.request('stdout closed');
    if (process.stdout.destroyed) this.request('stdout closed');
  }

  /** Signals stop the run from now on (before this, the default: exit at once, having written nothing). */
  arm(): void {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  release(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    const reason: StopReason = signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
    this.reporter.stop();
    if (this.signalled) {
      removeTemporaries();
      say(`webgpu-train: ${STOP_WORDS[reason]} again: exiting now${this.phase === 'writing' ? ', leaving no half-written file' : ', nothing saved'}`);
      process.exit(STOP_STATUS[this.signalled]);
    }
    this.signalled = reason;
    const again = reason === 'SIGINT' ? 'Ctrl-C again' : 'again';
    say(`\nwebgpu-train: ${STOP_WORDS[reason]}: ${this.phase === 'writing' ? 'finishing the outputs, then exiting' : 'stopping after this epoch'} (${again} to quit at once)`);
    this.request(reason);
  };

  private request(reason: StopReason): void {
    if (this.requested) return;
    this.requested = true;
    this.reason = reason;
  }

  /** The exit status: 0, or 128 + the signal that stopped the run. */
  get status(): number {
    return this.reason ? STOP_STATUS[this.reason] : 0;
  }
}

let stop: Stop | undefined;

async function train(c: TrainConfig, reporter: Reporter): Promise<number> {
  // --load and --predict without --data (and without --epochs, which trains): only predict, load no data set.
  const predictOnly = c.load !== undefined && c.predict !== undefined && !c.dataGiven && c.epochs === undefined;
  if (predictOnly && (c.label !== undefined || c.task !== undefined)) {
    throw new InputError(`${c.label !== undefined ? '--label' : '--task'} describes the labels of --data, but --load with --predict and no --data only predicts`);
  }
  const data = predictOnly ? undefined : asInput(() => loadTask(c.data, { label: c.label, samples: c.samples, noise: c.noise, seed: c.seed, task: c.task }));
  const backend = await openBackend(c.backend, reporter);
  try {
    const p = asInput(() => prepare(c, data, backend, { save: true }));
    reporter.showAccuracy = p.task.kind !== 'regression';
    reporter.info(`data: ${p.task.description}`);
    reporter.info(`task: ${p.task.summary}`);
    reporter.info(
      `model: ${describeLayers(p.model)} ` +
        `(${p.model.countParams().toLocaleString('en-US')} parameters) · ${p.loss}` +
        (p.predictOnly ? '' : ` · ${describeOptimizer(p)} · ${describeBatch(p.batchSize, p.train.rows)}`),
    );
    if (p.normalization) {
      reporter.info(
        p.normalization.from === 'training rows'
          ? `normalize: each feature standardized with the mean and standard deviation of the ${p.train.rows} training rows (saved with the model)`
          : 'normalize: each feature standardized with the statistics saved with the loaded model',
      );
    }
    if (c.load) reporter.info(`loaded: ${c.load}${p.predictOnly ? ', predicting' : p.trains ? `, training ${p.epochs} more epochs` : ', evaluating'}`);
    if (p.save) reporter.info(`save: ${p.save.dir}${p.trains ? ' (when training ends)' : ''}`);
    const s = stop!;
    s.arm();
    try {
      const result = await run(p, reporter, s);
      reporter.stop();
      s.phase = 'writing';
      const fields: Record<string, unknown> = {
        epochs: result.history.length,
        seconds: Number(result.seconds.toFixed(2)),
        backend: backend.name,
        adapter: backend.adapterName,
        task: p.task.kind,
        ...(p.task.kind === 'multiclass' ? { classes: p.task.classes } : {}),
      };
      const lines: string[] = [];
      if (result.heldOut) {
        const h = result.heldOut;
        const what = `${h.rows} samples${p.trains ? `, ${result.seconds.toFixed(1)} s of training` : ''}`;
        if (h.accuracy !== undefined) {
          fields[`${h.what}_accuracy`] = h.accuracy;
          lines.push(`${h.what} accuracy: ${(h.accuracy * 100).toFixed(2)}% · loss ${h.loss.toFixed(4)} (${what})`);
        } else {
          lines.push(`${h.what} loss: ${h.loss.toFixed(4)} (${what})`);
        }
        fields[`${h.what}_loss`] = h.loss;
      }
      const done = await finish(p, c);
      // A signal that came while the outputs were written is seen once the event loop turns.
      await new Promise((resolve) => setImmediate(resolve));
      if (s.requested) {
        fields.stopped = true;
        fields.stoppedBy = s.reason;
        lines.unshift(
          p.trains && result.history.length < p.epochs
            ? `stopped by ${STOP_WORDS[s.reason!]} after ${result.history.length} of ${p.epochs} epochs`
            : `stopped by ${STOP_WORDS[s.reason!]} once the outputs were written`,
        );
      }
      reporter.summary({ ...fields, ...done.fields }, [...lines, ...done.lines]);
      p.model.dispose();
      return s.status;
    } finally {
      s.release();
      reporter.stop();
    }
  } finally {
    backend.destroy();
  }
}

async function compare(c: TrainConfig, reporter: Reporter): Promise<void> {
  const task = asInput(() => loadTask(c.data, { label: c.label, samples: c.samples, noise: c.noise, seed: c.seed, task: c.task }));
  if (c.load || c.predict || c.exportFile || c.save) throw new InputError('compare trains fresh models and saves nothing: drop --load, --predict, --export and --save');
  const runs: { name: BackendName; losses: number[]; seconds: number; weights: Float32Array[]; accuracy?: number }[] = [];
  for (const name of ['cpu', 'webgpu'] as const) {
    const backend = await openBackend(name, reporter);
    try {
      const p = asInput(() => prepare({ ...c, backend: name }, task, backend, { save: false }));
      if (runs.length === 0) reporter.info(`data: ${task.description}\ntask: ${task.summary}\nmodel: ${p.model.countParams()} parameters · ${p.loss} · ${describeOptimizer(p)} · ${describeBatch(p.batchSize, p.train.rows)} · ${p.epochs} epochs`);
      const quiet = new Reporter(c.json, process.stdout, process.stderr);
      const result = await run(p, quiet, { requested: false });
      runs.push({ name, losses: result.history.map((h) => h.loss), seconds: result.seconds, weights: await p.model.getWeights(), accuracy: result.heldOut?.accuracy });
      p.model.dispose();
    } finally {
      backend.destroy();
    }
  }
  const [cpu, gpu] = runs as [(typeof runs)[0], (typeof runs)[0]];
  let maxDiff = 0;
  cpu.weights.forEach((w, i) => w.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - gpu.weights[i]![j]!)))));
  const lines = ['epoch   cpu loss    webgpu loss   |difference|'];
  cpu.losses.forEach((l, e) => lines.push(`${String(e + 1).padStart(5)}   ${l.toFixed(6)}    ${gpu.losses[e]!.toFixed(6)}      ${Math.abs(l - gpu.losses[e]!).toExponential(2)}`));
  lines.push(
    `largest final weight difference: ${maxDiff.toExponential(2)}`,
    `time: cpu ${cpu.seconds.toFixed(2)} s, webgpu ${gpu.seconds.toFixed(2)} s → webgpu is ${(cpu.seconds / gpu.seconds).toFixed(2)}× the speed of cpu`,
  );
  reporter.summary(
    { cpu: { losses: cpu.losses, seconds: cpu.seconds, accuracy: cpu.accuracy }, webgpu: { losses: gpu.losses, seconds: gpu.seconds, accuracy: gpu.accuracy }, maxWeightDifference: maxDiff, speedRatio: cpu.seconds / gpu.seconds },
    lines,
  );
}

/** "784 → 128 relu → 10 softmax", or "28×28×1 → conv 16 3×3 relu → maxpool 2×2 → … → 10 softmax". */
function describeLayers(model: Sequential): string {
  return [model.inputShape.join('×'), ...model.layerInfo().map((l) => l.description)].join(' → ');
}

function describeOptimizer(p: { optimizer: Optimizer }): string {
  return describeOptimizerOf(p.optimizer);
}

function describeBatch(batch: number, rows: number): string {
  if (batch >= rows) return `batch gradient descent (batch ${rows})`;
  if (batch === 1) return 'stochastic gradient descent (batch 1)';
  return `mini-batch gradient descent (batch ${batch})`;
}

/** Runs a step whose every failure is the user's input. */
function asInput<T>(step: () => T): T {
  try {
    return step();
  } catch (e) {
    throw e instanceof InputError ? e : new InputError((e as Error).message);
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  let reporter = new Reporter(false);
  try {
    const parsed = parseArgs(argv);
    if (parsed.command === 'help') {
      writeTo(process.stdout, `${helpText()}\n`);
      return 0;
    }
    const config = trainConfig(parsed);
    reporter = new Reporter(config.json);
    stop = new Stop(reporter);
    if (parsed.command === 'compare') {
      await compare(config, reporter);
      return 0;
    }
    return await train(config, reporter);
  } catch (e) {
    reporter.stop();
    removeTemporaries();
    const err = e as Error;
    if (err instanceof UsageError || err instanceof InputError) {
      say(`webgpu-train: ${err.message}`);
      return 2;
    }
    if (err instanceof NoAdapterError) {
      say(`webgpu-train: ${err.message}\n  (--backend cpu runs the same training on the CPU reference backend)`);
      return 1;
    }
    if (err instanceof DeviceLostError || err instanceof GpuValidationError) {
      say(`webgpu-train: GPU failure: ${err.message}`);
      return 1;
    }
    say(`webgpu-train: ${err.message}`);
    if (process.env.WEBGPU_TRAIN_DEBUG) say(`${err.stack}`);
    return 1;
  }
}

if (!superviseDawnOutput()) {
  // Whatever way the process ends, no temporary file of ours stays behind.
  process.on('exit', removeTemporaries);
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
