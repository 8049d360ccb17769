// webgpu-train on the command line: headless training in Node, on the GPU
// through Dawn (or the cpu reference backend).
import { getBackend } from '../backend/index.js';
import type { Backend, BackendName } from '../backend/backend.js';
import { NoAdapterError } from '../backend/webgpu/device.js';
import { DeviceLostError, GpuValidationError } from '../backend/webgpu/scheduler.js';
import { loadTask } from './data.js';
import { helpText, parseArgs, trainConfig, UsageError, type TrainConfig } from './options.js';
import { Reporter } from './progress.js';
import { finish, prepare, run } from './train.js';
import type { Sequential } from '../nn/sequential.js';
import { describeOptimizer as describeOptimizerOf, type Optimizer } from '../nn/optimizers.js';

/** Errors found before any training: the user's input. One line, exit code 2. */
class InputError extends Error {}

async function openBackend(name: BackendName, reporter: Reporter): Promise<Backend> {
  const backend = await getBackend(name);
  reporter.info(`backend: ${backend.name} · adapter: ${backend.adapterName}`);
  return backend;
}

function onInterrupt(reporter: Reporter): { requested: boolean; release: () => void } {
  const stop = { requested: false, release: () => {} };
  const handler = () => {
    if (stop.requested) {
      reporter.stop();
      process.stderr.write('webgpu-train: interrupted again, exiting now\n');
      process.exit(130);
    }
    stop.requested = true;
    reporter.stop();
    process.stderr.write('\nwebgpu-train: stopping after this epoch (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', handler);
  stop.release = () => process.off('SIGINT', handler);
  return stop;
}

async function train(c: TrainConfig, reporter: Reporter): Promise<void> {
  const task = asInput(() => loadTask(c.data, { label: c.label, samples: c.samples, noise: c.noise, seed: c.seed }));
  const backend = await openBackend(c.backend, reporter);
  try {
    const p = asInput(() => prepare(c, task, backend, { save: true }));
    reporter.info(`data: ${task.description}`);
    reporter.info(
      `model: ${describeLayers(p.model)} ` +
        `(${p.model.countParams().toLocaleString('en-US')} parameters) · ${p.loss} · ${describeOptimizer(p)} · ${describeBatch(p.batchSize, p.train.rows)}`,
    );
    if (c.load) reporter.info(`loaded: ${c.load}${p.trains ? `, training ${p.epochs} more epochs` : ', evaluating'}`);
    const stop = onInterrupt(reporter);
    let result;
    try {
      result = await run(p, reporter, stop);
    } finally {
      stop.release();
      reporter.stop();
    }
    const fields: Record<string, unknown> = { epochs: result.history.length, seconds: Number(result.seconds.toFixed(2)), backend: backend.name, adapter: backend.adapterName };
    const lines: string[] = [];
    if (result.stopped) lines.push(`stopped by Ctrl-C after ${result.history.length} epochs`);
    if (result.heldOut) {
      const h = result.heldOut;
      fields[`${h.what}_accuracy`] = h.accuracy;
      fields[`${h.what}_loss`] = h.loss;
      lines.push(`${h.what} accuracy: ${(h.accuracy * 100).toFixed(2)}% · loss ${h.loss.toFixed(4)} (${h.rows} samples${p.trains ? `, ${result.seconds.toFixed(1)} s of training` : ''})`);
    }
    const done = await finish(p, c);
    reporter.summary({ ...fields, ...done.fields }, [...lines, ...done.lines]);
    p.model.dispose();
  } finally {
    backend.destroy();
  }
}

async function compare(c: TrainConfig, reporter: Reporter): Promise<void> {
  const task = asInput(() => loadTask(c.data, { label: c.label, samples: c.samples, noise: c.noise, seed: c.seed }));
  if (c.load || c.predict || c.exportFile || c.save) throw new InputError('compare trains fresh models and saves nothing: drop --load, --predict, --export and --save');
  const runs: { name: BackendName; losses: number[]; seconds: number; weights: Float32Array[]; accuracy?: number }[] = [];
  for (const name of ['cpu', 'webgpu'] as const) {
    const backend = await openBackend(name, reporter);
    try {
      const p = asInput(() => prepare({ ...c, backend: name }, task, backend, { save: false }));
      if (runs.length === 0) reporter.info(`data: ${task.description}\nmodel: ${p.model.countParams()} parameters · ${p.loss} · ${describeOptimizer(p)} · ${describeBatch(p.batchSize, p.train.rows)} · ${p.epochs} epochs`);
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
      process.stdout.write(`${helpText()}\n`);
      return 0;
    }
    const config = trainConfig(parsed);
    reporter = new Reporter(config.json);
    if (parsed.command === 'compare') await compare(config, reporter);
    else await train(config, reporter);
    return 0;
  } catch (e) {
    reporter.stop();
    const err = e as Error;
    if (err instanceof UsageError || err instanceof InputError) {
      process.stderr.write(`webgpu-train: ${err.message}\n`);
      return 2;
    }
    if (err instanceof NoAdapterError) {
      process.stderr.write(`webgpu-train: ${err.message}\n  (--backend cpu runs the same training on the CPU reference backend)\n`);
      return 1;
    }
    if (err instanceof DeviceLostError || err instanceof GpuValidationError) {
      process.stderr.write(`webgpu-train: GPU failure: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`webgpu-train: ${err.message}\n`);
    if (process.env.WEBGPU_TRAIN_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
