// The seven workloads. Each takes the run's context:
//   { engines, sizes, data, guard, results, peaks, log }
// and adds rows to ctx.results. Every engine gets the same data.
import { randomMatrix, kerasData } from './data.mjs';
import { median, timed, trainFlopsPerSample } from './measure.mjs';
import { paramCount } from './model.mjs';
import { MNIST_CLASSES, MNIST_PIXELS } from '../dist/index.js';

// Exported with MATMUL_TOLERANCE for the anchors (bench/anchors/), which time and check their products the same way.
export const MIN_RUNS = 3;
export const TIMED_SECONDS = 5;

// ---- 1. matmul ------------------------------------------------------------------------------

/** C[i][j] in float64, for the forms A·B, Aᵀ·B, A·Bᵀ of n×n matrices; with Σ|a·b| to scale the tolerance. */
function exactEntry(a, b, n, form, i, j) {
  let sum = 0;
  let magnitude = 0;
  for (let k = 0; k < n; k++) {
    const x = form === 'Aᵀ·B' ? a[k * n + i] : a[i * n + k];
    const y = form === 'A·Bᵀ' ? b[j * n + k] : b[k * n + j];
    sum += x * y;
    magnitude += Math.abs(x * y);
  }
  return { sum, magnitude };
}

/**
 * Largest error over 64 sampled entries, relative to Σ|a·b| of the entry.
 * fp32 accumulation over K terms stays far below 1e-4 of it; a wrong index or
 * a missed tile is off by the order of the entry itself.
 */
function matmulError(c, a, b, n, form) {
  let worst = 0;
  for (let s = 0; s < 64; s++) {
    const i = (s * 7919) % n;
    const j = (s * 104729 + 13) % n;
    const { sum, magnitude } = exactEntry(a, b, n, form, i, j);
    worst = Math.max(worst, Math.abs(c[i * n + j] - sum) / (magnitude || 1));
  }
  return worst;
}
export const MATMUL_TOLERANCE = 1e-4;

export async function matmul(ctx) {
  const { sizes, transposed, runs } = ctx.sizes.matmul;
  const cases = sizes.map((n) => ({ n, form: 'A·B' }));
  if (transposed) cases.push({ n: transposed, form: 'Aᵀ·B' }, { n: transposed, form: 'A·Bᵀ' });
  // Our other tile shapes, each a row of its own with only our figure (see engine-ours.mjs).
  for (const engine of ctx.engines) for (const variant of engine.matmulTiles ?? []) for (const n of sizes) cases.push({ n, form: 'A·B', engine, variant });
  for (const { n, form, engine: only, variant } of cases) {
    const row = ctx.results.row('matmul', `matmul ${form} ${n}×${n}${variant ? ` · ${variant.label}` : ''}`, 'GFLOP/s', 'higher', { n, form, ...(variant ? { tile: variant.tile } : {}) });
    const a = randomMatrix(n, n, 1);
    const b = randomMatrix(n, n, 2);
    const gflop = (2 * n ** 3) / 1e9;
    for (const engine of only ? [only] : ctx.engines) {
      // The warm-up run and MIN_RUNS timed runs must fit in the limit.
      const skip = ctx.guard.check(engine, 'matmul', gflop * (1 + MIN_RUNS));
      if (skip) {
        row.skipped[engine.id] = skip;
        continue;
      }
      const product = await engine.matmul(a, b, n, form, variant?.tile);
      // Warm-up: compiles the kernel, and gives the values to check.
      const warmMs = await timed(async () => {
        const err = matmulError(await product.result(), a, b, n, form);
        ctx.results.check('matmul', `${form} ${n}: max relative error ${err.toExponential(1)}`, engine.id, err <= MATMUL_TOLERANCE, err);
      });
      // Fewer runs (never under MIN_RUNS) when they would take over TIMED_SECONDS together.
      const count = Math.max(MIN_RUNS, Math.min(runs, Math.floor(TIMED_SECONDS / (warmMs / 1000))));
      const times = [];
      for (let r = 0; r < count; r++) times.push(await timed(() => product.run()));
      product.dispose();
      const seconds = median(times) / 1000;
      ctx.guard.record(engine.id, 'matmul', gflop, seconds);
      row.values[engine.id] = gflop / seconds;
      ctx.log(`${row.name} · ${engine.id}: ${(gflop / seconds).toFixed(2)} GFLOP/s (median of ${count})`);
    }
  }
}

// ---- training, shared by workloads 2–6 --------------------------------------------------------

/** A model description (bench/model.mjs) for the ten digits, from its hidden layers as text. */
const digitClassifier = (inputShape, hidden) => ({
  inputShape,
  hidden,
  task: { kind: 'multiclass', classes: MNIST_CLASSES },
  loss: 'categoricalCrossentropy',
});

/** The gigaflops of training `epochs` epochs of spec, for the time guard. */
const trainGflop = (spec, epochs) => (trainFlopsPerSample(spec) * spec.train.rows * epochs) / 1e9;

// The probe that gives the time guard an engine's speed on a workload with no
// smaller size before it: this many samples, one step per epoch, two epochs.
// Small, because TF.js's cpu backend trains the convnet at about 2 samples/s.
const PROBE_SAMPLES = 4;

/**
 * Times a tiny fit so that the time guard can estimate the full one; on
 * guarded engines only, and only when the full run is larger. The second
 * epoch is timed (the first sets up); a step this small costs more per sample
 * than a full batch, which errs towards skipping.
 */
async function probe(ctx, engine, kind, spec) {
  if (engine.unsupported(spec) || ctx.guard.knows(engine, kind) || PROBE_SAMPLES >= spec.train.rows) return;
  const train = sliceSet(spec.train, PROBE_SAMPLES);
  const r = await engine.fit({ ...spec, train, test: undefined, measureMemory: false, batchSize: PROBE_SAMPLES, epochs: 2, seed: 1 });
  const seconds = (r.epochEnds[1] - r.epochEnds[0]) / 1000;
  ctx.guard.record(engine.id, kind, trainGflop({ ...spec, train }, 1), seconds);
  ctx.log(`${engine.id}: ${kind} probe, ${PROBE_SAMPLES} samples in ${seconds.toFixed(2)} s`);
}

/** The first `rows` samples of a set. */
function sliceSet(set, rows) {
  const cols = (a) => a.length / set.rows;
  return { ...set, rows, x: set.x.subarray(0, rows * cols(set.x)), y: set.y.subarray(0, rows * cols(set.y)), labels: set.labels?.subarray(0, rows) };
}

/**
 * Trains warmup + timed epochs in one fit; times the timed epochs from the
 * epoch-end callbacks (each engine reads its loss back there, so the work is
 * done). Returns { skipped: why } when the engine cannot train the model or
 * the time guard skips it.
 */
async function trainTimed(ctx, engine, kind, spec, warmupEpochs, timedEpochs) {
  const unsupported = engine.unsupported(spec);
  if (unsupported) return { skipped: unsupported };
  const epochs = warmupEpochs + timedEpochs;
  const gflop = trainGflop(spec, epochs);
  const skip = ctx.guard.check(engine, kind, gflop);
  if (skip) return { skipped: skip };
  const r = await engine.fit({ ...spec, epochs, seed: 1 });
  const ends = r.epochEnds;
  const seconds = (ends[epochs - 1] - (warmupEpochs ? ends[warmupEpochs - 1] : 0)) / 1000;
  ctx.guard.record(engine.id, kind, gflop, ends[epochs - 1] / 1000);
  const steps = timedEpochs * Math.ceil(spec.train.rows / spec.batchSize);
  return { ...r, samplesPerSecond: (timedEpochs * spec.train.rows) / seconds, stepMs: (seconds * 1000) / steps };
}

/** Records a training result in the row (or why it was skipped); checks the loss and that the engine built the described model. */
function recordTraining(ctx, row, engine, r, value, spec) {
  if (r.skipped) {
    row.skipped[engine.id] = r.skipped;
    return false;
  }
  row.values[engine.id] = value(r);
  ctx.log(`${row.name} · ${engine.id}: ${row.values[engine.id].toFixed(2)} ${row.unit}`);
  if (!Number.isFinite(r.loss)) ctx.results.check(row.workload, `${row.name}: final loss ${r.loss}`, engine.id, false, r.loss);
  checkParams(ctx, row.workload, engine, r, spec);
  return true;
}

/** Every engine trains the model the description asks for: the same parameter count. */
function checkParams(ctx, workload, engine, r, spec) {
  const expected = paramCount(spec);
  if (r.params !== expected) ctx.results.check(workload, `the model has ${r.params} parameters, the description ${expected}`, engine.id, false, r.params);
}

// ---- 2. the Keras example ---------------------------------------------------------------------

/** The README's Keras example: 10-16-1, binary cross-entropy, 5 epochs of batch 10. */
export function kerasSpec() {
  const data = kerasData();
  return {
    inputShape: [data.inputs],
    hidden: '16',
    task: { kind: 'binary', classes: 2 },
    loss: 'binaryCrossentropy',
    train: data,
    epochs: 5,
    batchSize: 10,
    seed: 1,
  };
}

export async function keras(ctx) {
  const spec = kerasSpec();
  const row = ctx.results.row('keras', 'Keras example: fit, 100 samples, 5 epochs, batch 10', 's', 'lower');
  // The wall time of fit as a user calls it: no callbacks.
  const fitSpec = { ...spec, wallTimeOnly: true };
  for (const engine of ctx.engines) {
    await engine.fit(fitSpec);
    const times = [];
    let result;
    for (let r = 0; r < ctx.sizes.keras.runs; r++) {
      result = await engine.fit(fitSpec);
      times.push(result.wallMs);
    }
    row.values[engine.id] = median(times) / 1000;
    ctx.results.check('keras', `final loss ${result.loss?.toFixed(4)}`, engine.id, Number.isFinite(result.loss), result.loss);
    checkParams(ctx, 'keras', engine, result, spec);
    ctx.log(`${row.name} · ${engine.id}: ${row.values[engine.id].toFixed(3)} s`);
  }
}

// ---- 3. MNIST MLP, and 5. the convnet: speed and held-out accuracy ------------------------------

/**
 * Trains spec on every engine: samples/s over the timed epochs in one row,
 * held-out accuracy in another, checked against minAccuracy. `label` names
 * the rows, `model` the charts' bars; `kind` is the time guard's, and with
 * `probeFirst` a guarded engine without a speed for that kind trains a short
 * probe first.
 */
async function trainAndTest(ctx, workload, spec, s, { label, model, kind, probeFirst }) {
  const speed = ctx.results.row(workload, `${label}: training`, 'samples/s', 'higher', { model });
  const accuracy = ctx.results.row(workload, `${label}: held-out accuracy (${spec.test.rows})`, '%', 'none', { model });
  for (const engine of ctx.engines) {
    if (probeFirst) await probe(ctx, engine, kind, spec);
    const r = await trainTimed(ctx, engine, kind, { ...spec, measureMemory: true }, s.warmupEpochs, s.timedEpochs);
    if (!recordTraining(ctx, speed, engine, r, (x) => x.samplesPerSecond, spec)) {
      accuracy.skipped[engine.id] = r.skipped;
      continue;
    }
    accuracy.values[engine.id] = r.accuracy * 100;
    if (r.peakBytes !== undefined) ctx.peaks[workload] = r.peakBytes;
    const ok = r.accuracy >= s.minAccuracy;
    ctx.results.check(workload, `held-out accuracy ${(r.accuracy * 100).toFixed(2)}% (at least ${s.minAccuracy * 100}%)`, engine.id, ok, r.accuracy);
  }
}

export function mnistSpec(ctx) {
  const s = ctx.sizes.mnist;
  return { ...digitClassifier([MNIST_PIXELS], '128'), train: ctx.data.mnist.train(s.samples), test: ctx.data.mnist.test(s.testSamples), batchSize: s.batchSize };
}

export async function mnist(ctx) {
  const s = ctx.sizes.mnist;
  const spec = mnistSpec(ctx);
  const label = `MNIST MLP 784-128-10, batch ${s.batchSize}, ${spec.train.rows} digits`;
  // The guard's 'train' speed from here estimates the wide MLP after it.
  await trainAndTest(ctx, 'mnist', spec, s, { label, model: 'MNIST 784-128-10', kind: 'train', probeFirst: false });
  // fit as a user calls it, with no callback: the epochs' times are not seen one by one, so
  // two fits, one with the timed epochs more, are told apart. Without epoch callbacks our fit
  // sends each epoch before the last one's results are back.
  const row = ctx.results.row('mnist', `${label}: training, fit without callbacks`, 'samples/s', 'higher', { model: 'MNIST 784-128-10' });
  for (const engine of ctx.engines) recordTraining(ctx, row, engine, await trainWallTimed(ctx, engine, 'train', spec, s.warmupEpochs, s.timedEpochs), (x) => x.samplesPerSecond, spec);
  await profileSteps(ctx, 'mnist', spec, `MNIST MLP 784-128-10, batch ${s.batchSize}`);
}

/**
 * Samples/s of `timedEpochs` epochs inside fit calls with no callbacks: the
 * wall time of a fit of warmup + timed epochs less that of a fit of the
 * warm-up alone (both pay the same setup).
 */
async function trainWallTimed(ctx, engine, kind, spec, warmupEpochs, timedEpochs) {
  const unsupported = engine.unsupported(spec);
  if (unsupported) return { skipped: unsupported };
  const skip = ctx.guard.check(engine, kind, trainGflop(spec, 2 * warmupEpochs + timedEpochs));
  if (skip) return { skipped: skip };
  const base = { ...spec, test: undefined, measureMemory: false, wallTimeOnly: true, seed: 1 };
  const short = await engine.fit({ ...base, epochs: warmupEpochs });
  const long = await engine.fit({ ...base, epochs: warmupEpochs + timedEpochs });
  const seconds = (long.wallMs - short.wallMs) / 1000;
  if (!(seconds > 0)) return { skipped: `the fit with ${timedEpochs} more epochs was not slower (${(long.wallMs / 1000).toFixed(3)} s vs ${(short.wallMs / 1000).toFixed(3)} s): too noisy to time` };
  return { ...long, samplesPerSecond: (timedEpochs * spec.train.rows) / seconds };
}

// ---- 4. wide MLP ------------------------------------------------------------------------------

export function wideSpec(ctx) {
  const s = ctx.sizes.wide;
  return { ...digitClassifier([MNIST_PIXELS], s.hidden), train: ctx.data.mnist.train(s.samples), batchSize: s.batchSize };
}

export async function wide(ctx) {
  const s = ctx.sizes.wide;
  const spec = wideSpec(ctx);
  const model = `784-${s.hidden.replaceAll(',', '-')}-10`;
  const row = ctx.results.row('wide', `wide MLP ${model}, batch ${s.batchSize}: training`, 'samples/s', 'higher', { model: `wide ${model}` });
  for (const engine of ctx.engines) {
    const r = await trainTimed(ctx, engine, 'train', { ...spec, measureMemory: true }, s.warmupEpochs, s.timedEpochs);
    if (recordTraining(ctx, row, engine, r, (x) => x.samplesPerSecond, spec) && r.peakBytes !== undefined) ctx.peaks.wide = r.peakBytes;
  }
  await profileSteps(ctx, 'wide', spec, `wide MLP ${model}, batch ${s.batchSize}`);
}

// ---- 5. the convnet ---------------------------------------------------------------------------

export function cnnSpec(ctx) {
  const s = ctx.sizes.cnn;
  return { ...digitClassifier([28, 28, 1], s.hidden), train: ctx.data.mnist.train(s.samples), test: ctx.data.mnist.test(s.testSamples), batchSize: s.batchSize };
}

/** Keras's "simple MNIST convnet" (conv 32 3×3, pool, conv 64 3×3, pool, dropout, softmax 10). */
export async function cnn(ctx) {
  const s = ctx.sizes.cnn;
  const spec = cnnSpec(ctx);
  // A conv's speed is not a dense layer's, and nothing smaller comes before: a guarded engine is probed first.
  await trainAndTest(ctx, 'cnn', spec, s, {
    label: `Keras MNIST convnet, batch ${s.batchSize}, ${spec.train.rows} digits`,
    model: 'MNIST convnet',
    kind: 'cnn',
    probeFirst: true,
  });
  await profileSteps(ctx, 'cnn', spec, `Keras MNIST convnet, batch ${s.batchSize}`);
}

// ---- where a step's time goes -----------------------------------------------------------------

/** Steps a profile times: enough to add up, at most as many as the data has whole batches. */
const PROFILE_STEPS = 20;

/** Each engine that can time its dispatches profiles training steps of spec (kept for the report; not a speed row). */
async function profileSteps(ctx, workload, spec, label) {
  for (const engine of ctx.engines) {
    if (!engine.profile) continue;
    const steps = Math.min(PROFILE_STEPS, Math.floor(spec.train.rows / spec.batchSize));
    if (steps < 1) continue;
    const profile = await engine.profile({ ...spec, seed: 1 }, steps);
    ctx.results.profiles.push({ workload, label, engine: engine.id, profile });
    const top = profile.kernels.slice(0, 3).map((k) => `${k.kernel} ${(100 * k.share).toFixed(0)}%`).join(', ');
    ctx.log(`${label} · ${engine.id}: profiled ${steps} steps, ${profile.dispatchesPerStep} dispatches and ${profile.msPerStep.toFixed(3)} ms a step (${profile.clock} clock): ${top}`);
  }
}

// ---- 6. scaling -------------------------------------------------------------------------------

export async function scaling(ctx) {
  const s = ctx.sizes.scaling;
  for (const batch of s.batches) {
    const spec = { ...digitClassifier([MNIST_PIXELS], '128'), train: ctx.data.mnist.train(s.batchSamples(batch)), batchSize: batch };
    const row = ctx.results.row('scaling', `scaling: MNIST MLP, batch ${batch}`, 'samples/s', 'higher', { batch });
    for (const engine of ctx.engines) {
      const r = await trainTimed(ctx, engine, 'scaling-batch', spec, 1, 1);
      recordTraining(ctx, row, engine, r, (x) => x.samplesPerSecond, spec);
    }
  }
  for (const width of s.widths) {
    const spec = { ...digitClassifier([MNIST_PIXELS], String(width)), train: ctx.data.mnist.train(s.widthSamples), batchSize: s.widthBatch };
    const row = ctx.results.row('scaling', `scaling: 784-${width}-10, batch ${s.widthBatch}: step`, 'ms', 'lower', { width });
    for (const engine of ctx.engines) {
      const r = await trainTimed(ctx, engine, 'scaling-width', spec, 1, 1);
      recordTraining(ctx, row, engine, r, (x) => x.stepMs, spec);
    }
  }
}

// ---- 7. memory --------------------------------------------------------------------------------

/** Peak GPU bytes of our engine in workloads 3, 4 and 5 (trained here if they did not run). */
export async function memory(ctx) {
  const ours = ctx.engines.find((e) => e.id === 'ours-webgpu');
  if (!ours) return;
  const cases = [
    ['mnist', 'MNIST MLP (workload 3)', mnistSpec(ctx), ctx.sizes.mnist.batchSize],
    ['wide', 'wide MLP (workload 4)', wideSpec(ctx), ctx.sizes.wide.batchSize],
    ['cnn', 'convnet (workload 5)', cnnSpec(ctx), ctx.sizes.cnn.batchSize],
  ];
  for (const [key, what, spec, batchSize] of cases) {
    ctx.peaks[key] ??= (await ours.fit({ ...spec, batchSize, epochs: 1, seed: 1, measureMemory: true })).peakBytes;
    const dataBytes = (spec.train.x.length + spec.train.y.length) * 4;
    const row = ctx.results.row('memory', `peak GPU memory: ${what}; its training data is ${(dataBytes / 2 ** 20).toFixed(1)} MiB`, 'MiB', 'none');
    row.values['ours-webgpu'] = ctx.peaks[key] / 2 ** 20;
  }
}

export const WORKLOAD_FUNCTIONS = { matmul, keras, mnist, wide, cnn, scaling, memory };
