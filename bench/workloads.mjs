// The six workloads. Each takes the run's context:
//   { engines, sizes, data, guard, results, peaks, log }
// and adds rows to ctx.results. Every engine gets the same data.
import { randomMatrix, kerasData } from './data.mjs';
import { median, timed, trainFlopsPerSample } from './measure.mjs';

const MIN_RUNS = 3;
const TIMED_SECONDS = 5;

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
const MATMUL_TOLERANCE = 1e-4;

export async function matmul(ctx) {
  const { sizes, transposed, runs } = ctx.sizes.matmul;
  const cases = sizes.map((n) => ({ n, form: 'A·B' }));
  if (transposed) cases.push({ n: transposed, form: 'Aᵀ·B' }, { n: transposed, form: 'A·Bᵀ' });
  for (const { n, form } of cases) {
    const row = ctx.results.row('matmul', `matmul ${form} ${n}×${n}`, 'GFLOP/s', 'higher', { n, form });
    const a = randomMatrix(n, n, 1);
    const b = randomMatrix(n, n, 2);
    const gflop = (2 * n ** 3) / 1e9;
    for (const engine of ctx.engines) {
      // The warm-up run and MIN_RUNS timed runs must fit in the limit.
      const skip = ctx.guard.check(engine, 'matmul', gflop * (1 + MIN_RUNS));
      if (skip) {
        row.skipped[engine.id] = skip;
        continue;
      }
      const product = await engine.matmul(a, b, n, form);
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

// ---- training, shared by workloads 2–5 --------------------------------------------------------

const mlp = (hidden, outputs, outputActivation) => [
  ...hidden.map((units) => ({ units, activation: 'relu' })),
  { units: outputs, activation: outputActivation },
];
const classifier = (hidden) => ({ layers: mlp(hidden, 10, 'softmax'), loss: 'categoricalCrossentropy' });

/**
 * Trains warmup + timed epochs in one fit; times the timed epochs from the
 * epoch-end callbacks (each engine reads its loss back there, so the work is
 * done). Returns undefined when the time guard skips it.
 */
async function trainTimed(ctx, engine, kind, spec, warmupEpochs, timedEpochs) {
  const epochs = warmupEpochs + timedEpochs;
  const gflop = (trainFlopsPerSample(spec.inputs, spec.layers.map((l) => l.units)) * spec.train.rows * epochs) / 1e9;
  const skip = ctx.guard.check(engine, kind, gflop);
  if (skip) return { skipped: skip };
  const r = await engine.fit({ ...spec, epochs, seed: 1 });
  const ends = r.epochEnds;
  const seconds = (ends[epochs - 1] - (warmupEpochs ? ends[warmupEpochs - 1] : 0)) / 1000;
  ctx.guard.record(engine.id, kind, gflop, ends[epochs - 1] / 1000);
  const steps = timedEpochs * Math.ceil(spec.train.rows / spec.batchSize);
  return { ...r, samplesPerSecond: (timedEpochs * spec.train.rows) / seconds, stepMs: (seconds * 1000) / steps };
}

function recordTraining(ctx, row, engine, r, value) {
  if (r.skipped) {
    row.skipped[engine.id] = r.skipped;
    return false;
  }
  row.values[engine.id] = value(r);
  ctx.log(`${row.name} · ${engine.id}: ${row.values[engine.id].toFixed(2)} ${row.unit}`);
  if (!Number.isFinite(r.loss)) ctx.results.check(row.workload, `${row.name}: final loss ${r.loss}`, engine.id, false, r.loss);
  return true;
}

// ---- 2. the Keras example ---------------------------------------------------------------------

export async function keras(ctx) {
  const data = kerasData();
  const spec = {
    inputs: data.inputs,
    layers: [{ units: 16, activation: 'relu' }, { units: 1, activation: 'sigmoid' }],
    loss: 'binaryCrossentropy',
    train: data,
    epochs: 5,
    batchSize: 10,
    seed: 1,
  };
  const row = ctx.results.row('keras', 'Keras example: fit, 100 samples, 5 epochs, batch 10', 's', 'lower');
  for (const engine of ctx.engines) {
    await engine.fit(spec);
    const times = [];
    let loss;
    for (let r = 0; r < ctx.sizes.keras.runs; r++) {
      const result = await engine.fit(spec);
      times.push(result.epochEnds.at(-1));
      loss = result.loss;
    }
    row.values[engine.id] = median(times) / 1000;
    ctx.results.check('keras', `final loss ${loss?.toFixed(4)}`, engine.id, Number.isFinite(loss), loss);
    ctx.log(`${row.name} · ${engine.id}: ${row.values[engine.id].toFixed(3)} s`);
  }
}

// ---- 3. MNIST MLP -----------------------------------------------------------------------------

export function mnistSpec(ctx) {
  const s = ctx.sizes.mnist;
  return { inputs: 784, ...classifier([128]), train: ctx.data.mnist.train(s.samples), test: ctx.data.mnist.test(s.testSamples), batchSize: s.batchSize };
}

export async function mnist(ctx) {
  const s = ctx.sizes.mnist;
  const spec = mnistSpec(ctx);
  const label = `MNIST MLP 784-128-10, batch ${s.batchSize}, ${spec.train.rows} digits`;
  const speed = ctx.results.row('mnist', `${label}: training`, 'samples/s', 'higher');
  const accuracy = ctx.results.row('mnist', `${label}: held-out accuracy (${spec.test.rows})`, '%', 'none');
  for (const engine of ctx.engines) {
    const r = await trainTimed(ctx, engine, 'train', { ...spec, measureMemory: true }, s.warmupEpochs, s.timedEpochs);
    if (!recordTraining(ctx, speed, engine, r, (x) => x.samplesPerSecond)) {
      accuracy.skipped[engine.id] = r.skipped;
      continue;
    }
    accuracy.values[engine.id] = r.accuracy * 100;
    if (r.peakBytes !== undefined) ctx.peaks.mnist = r.peakBytes;
    const ok = r.accuracy >= s.minAccuracy;
    ctx.results.check('mnist', `held-out accuracy ${(r.accuracy * 100).toFixed(2)}% (at least ${s.minAccuracy * 100}%)`, engine.id, ok, r.accuracy);
  }
}

// ---- 4. wide MLP ------------------------------------------------------------------------------

export function wideSpec(ctx) {
  const s = ctx.sizes.wide;
  return { inputs: 784, ...classifier(s.hidden), train: ctx.data.mnist.train(s.samples), batchSize: s.batchSize };
}

export async function wide(ctx) {
  const s = ctx.sizes.wide;
  const spec = wideSpec(ctx);
  const row = ctx.results.row('wide', `wide MLP 784-${s.hidden.join('-')}-10, batch ${s.batchSize}: training`, 'samples/s', 'higher');
  for (const engine of ctx.engines) {
    const r = await trainTimed(ctx, engine, 'train', { ...spec, measureMemory: true }, s.warmupEpochs, s.timedEpochs);
    if (recordTraining(ctx, row, engine, r, (x) => x.samplesPerSecond) && r.peakBytes !== undefined) ctx.peaks.wide = r.peakBytes;
  }
}

// ---- 5. scaling -------------------------------------------------------------------------------

export async function scaling(ctx) {
  const s = ctx.sizes.scaling;
  for (const batch of s.batches) {
    const spec = { inputs: 784, ...classifier([128]), train: ctx.data.mnist.train(s.batchSamples(batch)), batchSize: batch };
    const row = ctx.results.row('scaling', `scaling: MNIST MLP, batch ${batch}`, 'samples/s', 'higher', { batch });
    for (const engine of ctx.engines) {
      const r = await trainTimed(ctx, engine, 'scaling-batch', spec, 1, 1);
      recordTraining(ctx, row, engine, r, (x) => x.samplesPerSecond);
    }
  }
  for (const width of s.widths) {
    const spec = { inputs: 784, ...classifier([width]), train: ctx.data.mnist.train(s.widthSamples), batchSize: s.widthBatch };
    const row = ctx.results.row('scaling', `scaling: 784-${width}-10, batch ${s.widthBatch}: step`, 'ms', 'lower', { width });
    for (const engine of ctx.engines) {
      const r = await trainTimed(ctx, engine, 'scaling-width', spec, 1, 1);
      recordTraining(ctx, row, engine, r, (x) => x.stepMs);
    }
  }
}

// ---- 6. memory --------------------------------------------------------------------------------

/** Peak GPU bytes of our engine in workloads 3 and 4 (trained here if they did not run). */
export async function memory(ctx) {
  const ours = ctx.engines.find((e) => e.id === 'ours-webgpu');
  if (!ours) return;
  const cases = [
    ['mnist', 'MNIST MLP (workload 3)', mnistSpec(ctx), ctx.sizes.mnist.batchSize],
    ['wide', 'wide MLP (workload 4)', wideSpec(ctx), ctx.sizes.wide.batchSize],
  ];
  for (const [key, what, spec, batchSize] of cases) {
    ctx.peaks[key] ??= (await ours.fit({ ...spec, batchSize, epochs: 1, seed: 1, measureMemory: true })).peakBytes;
    const dataBytes = (spec.train.x.length + spec.train.y.length) * 4;
    const row = ctx.results.row('memory', `peak GPU memory: ${what}; its training data is ${(dataBytes / 2 ** 20).toFixed(1)} MiB`, 'MiB', 'none');
    row.values['ours-webgpu'] = ctx.peaks[key] / 2 ** 20;
  }
}

export const WORKLOAD_FUNCTIONS = { matmul, keras, mnist, wide, scaling, memory };
