// Dawn's toggles side by side (docs/dawn.md): one process opens our WebGPU
// backend once per toggle set (each a WEBGPU_TRAIN_DAWN_TOGGLES value, read
// when the device is opened), then alternates rounds over the sets — a
// 1024³ matmul and one epoch of the MNIST MLP (784-128-10, adam, batch 128)
// on each — so that a drift in the machine's speed falls on all of them.
// Prints each set's medians and its speed over the first set's, as the median
// of the per-round ratios. Exit code 1 when a result is wrong: a product off
// the float64 reference, or a set whose training loss differs from the first
// set's (the toggles must not change the arithmetic).
//
//   npm run bench:dawn                          # builds dist/, then the default sets
//   node bench/dawn-toggles.mjs --rounds 9 --sets 'none;disable_robustness'
//   node bench/dawn-toggles.mjs --help
import { parseArgs } from 'node:util';
import { WebGpuBackend, buildModel, parseLayers, tensor, adam, oneHot, Random, MNIST_PIXELS, MNIST_CLASSES } from '../dist/index.js';
import { loadMnist, randomMatrix } from './data.mjs';

const ENV = 'WEBGPU_TRAIN_DAWN_TOGGLES';
const KERNELS = ['register', 'tiled', 'naive'];
const DEFAULT_SETS = 'none;disable_robustness;disable_workgroup_init;disable_robustness,disable_workgroup_init';

const HELP = `node bench/dawn-toggles.mjs [options]

  --sets LIST      toggle sets separated by ';', each a ${ENV} value
                   ('none': Dawn's defaults; 'default': the library's own choice)
                   (default: ${DEFAULT_SETS})
  --rounds N       timed rounds after one warm-up round (default 9)
  --size N         the square matmul's size (default 1024)
  --samples N      samples in an epoch (default 2048)
  --batch N        batch size (default 128)
  --kernel NAME    the matmul's GEMM kernel: register, tiled or naive (default: the adapter's
                   choice; tiled is the one with workgroup memory, where disable_workgroup_init acts)
  --mnist          train on the MNIST digits (the mnist package) instead of random ones
  --json           print the results as JSON instead of the table
  --help           this text

The adapter is the library's choice: WEBGPU_TRAIN_DAWN_BACKEND=opengles picks the
software one; unset, a real GPU first. Each set opens its own Dawn instance.`;

function options() {
  const { values } = parseArgs({
    options: {
      sets: { type: 'string', default: DEFAULT_SETS },
      rounds: { type: 'string', default: '9' },
      size: { type: 'string', default: '1024' },
      samples: { type: 'string', default: '2048' },
      batch: { type: 'string', default: '128' },
      kernel: { type: 'string' },
      mnist: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const positive = (name) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name}: '${values[name]}' is not a positive integer`);
    return n;
  };
  if (values.kernel !== undefined && !KERNELS.includes(values.kernel)) throw new Error(`--kernel: '${values.kernel}' is not one of ${KERNELS.join(', ')}`);
  const sets = values.sets.split(';').map((s) => s.trim());
  if (sets.length < 2 || sets.some((s) => s === '')) throw new Error(`--sets: '${values.sets}' needs two or more toggle sets separated by ';'`);
  return {
    help: values.help,
    sets,
    rounds: positive('rounds'),
    size: positive('size'),
    samples: positive('samples'),
    batch: positive('batch'),
    kernel: values.kernel,
    mnist: values.mnist,
    json: values.json,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Opens the backend with WEBGPU_TRAIN_DAWN_TOGGLES set to `set` ('default': unset), leaving the variable as it was. */
async function openWith(set) {
  const before = process.env[ENV];
  if (set === 'default') delete process.env[ENV];
  else process.env[ENV] = set;
  try {
    return await WebGpuBackend.create();
  } finally {
    if (before === undefined) delete process.env[ENV];
    else process.env[ENV] = before;
  }
}

/** The training set: the first `samples` MNIST digits, or random pixels and labels of the same shape. */
function trainingData(o) {
  if (o.mnist) {
    const set = loadMnist().train(o.samples);
    if (set.rows < o.samples) throw new Error(`--samples ${o.samples}: the MNIST training split has ${set.rows}`);
    return { x: set.x, y: set.y, what: `${set.rows} MNIST digits` };
  }
  const rng = new Random(11);
  const labels = Uint8Array.from({ length: o.samples }, () => rng.int(MNIST_CLASSES));
  return { x: randomMatrix(o.samples, MNIST_PIXELS, 12), y: oneHot(labels), what: `${o.samples} random digits` };
}

/** One backend's workloads: the product (timed to completion) and the epoch (timed from its start to its end). */
function workloads(backend, o, a, b, data) {
  const n = o.size;
  const ta = backend.tensor(a, [n, n]);
  const tb = backend.tensor(b, [n, n]);
  const c = backend.zeros([n, n]);
  const model = buildModel(
    { inputShape: [MNIST_PIXELS], hidden: parseLayers('128'), activation: 'relu', task: { kind: 'multiclass', classes: MNIST_CLASSES }, loss: 'categoricalCrossentropy' },
    { backend, seed: 5 },
  );
  model.compile({ optimizer: adam({ learningRate: 0.001 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const x = tensor(data.x, [o.samples, MNIST_PIXELS]);
  const y = tensor(data.y, [o.samples, MNIST_CLASSES]);
  return {
    /** Milliseconds per product over `repeats` products in one submission. */
    async matmul(repeats) {
      const start = performance.now();
      if (o.kernel) backend.tuning.gemmKernel = o.kernel;
      try {
        for (let i = 0; i < repeats; i++) backend.matmul(ta, tb, { out: c });
      } finally {
        delete backend.tuning.gemmKernel;
      }
      await backend.flush();
      return (performance.now() - start) / repeats;
    },
    product: () => c.data(),
    /** Milliseconds of one epoch (plans are recorded before it begins), and its loss. */
    async epoch() {
      let begin = 0;
      let ms = 0;
      const history = await model.fit(x, y, {
        epochs: 1,
        batchSize: o.batch,
        shuffle: true,
        callbacks: { onEpochBegin: () => void (begin = performance.now()), onEpochEnd: () => void (ms = performance.now() - begin) },
      });
      return { ms, loss: history.loss.at(-1) };
    },
    dispose() {
      model.dispose();
      for (const t of [ta, tb, c]) t.dispose();
    },
  };
}

/** Entries of C = A·B checked against float64 dot products: the worst relative error. */
function productError(values, a, b, n) {
  const rng = new Random(3);
  let worst = 0;
  for (let s = 0; s < 64; s++) {
    const i = rng.int(n);
    const j = rng.int(n);
    let want = 0;
    let scale = 0;
    for (let k = 0; k < n; k++) {
      want += a[i * n + k] * b[k * n + j];
      scale += Math.abs(a[i * n + k] * b[k * n + j]);
    }
    worst = Math.max(worst, Math.abs(values[i * n + j] - want) / Math.max(scale, 1e-30));
  }
  return worst;
}

async function main() {
  const o = options();
  if (o.help) {
    console.log(HELP);
    return 0;
  }
  const n = o.size;
  const a = randomMatrix(n, n, 1);
  const b = randomMatrix(n, n, 2);
  const data = trainingData(o);

  const runs = [];
  for (const set of o.sets) {
    const backend = await openWith(set);
    runs.push({ set, backend, work: workloads(backend, o, a, b, data), matmul: [], epoch: [], losses: [] });
  }
  const first = runs[0].backend;
  const adapter = first.adapterName;
  if (runs.some((r) => r.backend.adapterName !== adapter)) throw new Error(`the sets opened different adapters: ${runs.map((r) => r.backend.adapterName).join(' / ')}`);
  const log = (s) => process.stderr.write(`${s}\n`);
  log(`adapter: ${adapter}`);
  log(`features: ${first.adapterFeatures.join(', ') || '(none)'}; subgroups: ${first.adapterFeatures.includes('subgroups') ? 'yes' : 'no'}`);

  // Warm-up: pipelines compiled, plans' buffers made; the first product sizes the timed ones (about 0.2 s a measurement).
  let repeats = 1;
  for (const r of runs) {
    const ms = await r.work.matmul(1);
    if (r === runs[0]) repeats = Math.max(1, Math.min(100, Math.round(200 / Math.max(ms, 1e-3))));
    await r.work.epoch();
  }
  const failures = [];
  for (const r of runs) {
    const error = productError(await r.work.product(), a, b, n);
    if (!(error < 1e-4)) failures.push(`${r.set}: the ${n}³ product is off the float64 reference by ${error.toExponential(2)} (relative)`);
  }

  for (let round = 0; round < o.rounds; round++) {
    // Each round in another order, so no set always follows the same one.
    const order = runs.map((_, i) => runs[(i + round) % runs.length]);
    for (const r of order) r.matmul.push(await r.work.matmul(repeats));
    for (const r of order) {
      const { ms, loss } = await r.work.epoch();
      r.epoch.push(ms);
      r.losses.push(loss);
    }
    log(`round ${round + 1}/${o.rounds}: ${runs.map((r) => `${r.set} ${r.matmul.at(-1).toFixed(1)} / ${r.epoch.at(-1).toFixed(0)} ms`).join(' | ')}`);
  }

  // The same seeds, data and kernels: every set's losses must be the first set's.
  const base = runs[0];
  for (const r of runs.slice(1)) {
    const worst = Math.max(...r.losses.map((l, i) => Math.abs(l - base.losses[i]) / Math.abs(base.losses[i])));
    if (!(worst <= 1e-6)) failures.push(`${r.set}: training losses ${r.losses.map((l) => l.toFixed(6)).join(', ')} differ from ${base.set}'s ${base.losses.map((l) => l.toFixed(6)).join(', ')}`);
  }

  const flop = 2 * n ** 3;
  const rows = runs.map((r) => ({
    set: r.set,
    toggles: r.backend.dawnToggles,
    matmulMs: median(r.matmul),
    gflops: flop / median(r.matmul) / 1e6,
    matmulSpeedup: median(r.matmul.map((t, i) => base.matmul[i] / t)),
    epochMs: median(r.epoch),
    samplesPerSecond: o.samples / (median(r.epoch) / 1000),
    epochSpeedup: median(r.epoch.map((t, i) => base.epoch[i] / t)),
  }));
  const result = {
    adapter,
    features: first.adapterFeatures,
    subgroups: first.adapterFeatures.includes('subgroups'),
    rounds: o.rounds,
    matmul: { size: n, repeats, kernel: o.kernel ?? "the adapter's choice" },
    epoch: { model: '784-128-10 relu, softmax, adam', batch: o.batch, data: data.what },
    rows,
    raw: runs.map((r) => ({ set: r.set, matmulMs: r.matmul, epochMs: r.epoch })),
    failures,
  };
  for (const r of runs) {
    r.work.dispose();
    r.backend.destroy();
  }

  if (o.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`Dawn toggles, ${o.rounds} alternating rounds; speed-ups are medians of per-round ratios to '${base.set}' (above 1: faster)`);
    console.log(`adapter: ${adapter}; subgroups: ${result.subgroups ? 'offered' : 'not offered'}`);
    console.log(`matmul ${n}³ fp32 (${o.kernel ? `${o.kernel} kernel, ` : ''}${repeats} per submission); epoch: MNIST MLP 784-128-10, adam, batch ${o.batch}, ${data.what}`);
    const width = Math.max(...rows.map((r) => r.set.length), 3);
    console.log(`${'set'.padEnd(width)}  matmul ms  GFLOP/s  speed-up   epoch ms  samples/s  speed-up`);
    for (const r of rows) {
      console.log(
        `${r.set.padEnd(width)}  ${r.matmulMs.toFixed(2).padStart(9)}  ${r.gflops.toFixed(1).padStart(7)}  ${r.matmulSpeedup.toFixed(3).padStart(8)}  ` +
          `${r.epochMs.toFixed(1).padStart(9)}  ${r.samplesPerSecond.toFixed(0).padStart(9)}  ${r.epochSpeedup.toFixed(3).padStart(8)}`,
      );
    }
  }
  for (const f of failures) console.error(`FAILED: ${f}`);
  return failures.length ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    console.error(`bench/dawn-toggles: ${e.message}`);
    process.exitCode = 1;
  },
);
