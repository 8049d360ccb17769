// Command-line options of `npm run bench`, and the sizes each workload runs at.
// Defaults keep a full run on a two-core software adapter to a few minutes;
// --smoke shrinks everything to seconds (CI runs it so the harness cannot rot).
import { parseArgs } from 'node:util';

export const ENGINES = ['ours-webgpu', 'ours-cpu', 'tfjs-webgpu', 'tfjs-wasm', 'tfjs-cpu'];
export const WORKLOADS = ['matmul', 'keras', 'mnist', 'wide', 'cnn', 'scaling', 'memory'];
export const ANCHOR_MODES = ['auto', 'on', 'off'];

const HELP = `npm run bench -- [options]

  --only LIST         workloads to run: ${WORKLOADS.join(',')} (default: all)
  --engines LIST      engines to run: ${ENGINES.join(',')} (default: all)
  --skip LIST         engines to leave out, e.g. tfjs-cpu,ours-cpu
  --sizes LIST        square matmul sizes (default 256,512,1024,2048; 4096 added on a hardware GPU)
  --transposed N      size of the transposed matmul forms (default 1024; 0 leaves them out)
  --batches LIST      batch sizes of the scaling run (default 1,8,32,128,512,2048)
  --widths LIST       hidden widths of the scaling run (default 64,128,...,4096)
  --runs N            timed runs per matmul / keras measurement (default 5)
  --max-seconds S     the cpu engines skip a measurement estimated over S seconds (default 20)
  --smoke             tiny sizes: the whole harness in seconds
  --json              print the results as JSON on stdout instead of the table
  --out DIR           where results.json, report.md and the charts go (default bench/results)
  --mnist-bin FILE    read the digits from a packed binary instead of the mnist package
  --anchors MODE      auto, on or off (default auto): after our rows, the same workloads in PyTorch
                      and JAX with python3 (or $BENCH_PYTHON); auto runs those it can (torch with
                      CUDA, jax on a GPU), on exits 1 unless all of them can run
  --anchors-timeout S time limit of each anchor process, torch and jax (default 300)
  --help              this text`;

const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
const numbers = (s, what) =>
  list(s).map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${what}: '${x}' is not a positive integer`);
    return n;
  });

export class UsageError extends Error {}

/** Keras's "simple MNIST convnet", in the layers' text form (the output layer comes from the task). */
const CNN = 'conv32x3,maxpool2,conv64x3,maxpool2,flatten,dropout0.5';

/** Sizes of every workload. `samples` are taken from the 8,000 training digits; `hidden` is the model's layers as text. */
function sizes(smoke) {
  if (smoke) {
    return {
      matmul: { sizes: [64, 128], transposed: 128, runs: 3 },
      keras: { runs: 1 },
      mnist: { samples: 512, testSamples: 500, warmupEpochs: 1, timedEpochs: 1, batchSize: 64, minAccuracy: 0.5 },
      wide: { samples: 256, hidden: '128,128', warmupEpochs: 1, timedEpochs: 1, batchSize: 64 },
      // 32 steps of 8 reach 55-70% held out: clear of chance (10%) whatever TF.js's unseeded start.
      cnn: { samples: 256, testSamples: 200, hidden: CNN, warmupEpochs: 1, timedEpochs: 1, batchSize: 8, minAccuracy: 0.3 },
      scaling: { batches: [8, 64], widths: [32, 128], batchSamples: () => 128, widthSamples: 128, widthBatch: 64 },
    };
  }
  return {
    matmul: { sizes: [256, 512, 1024, 2048], transposed: 1024, runs: 5 },
    keras: { runs: 5 },
    // 63 steps of 128 per epoch; one epoch to warm up (pipelines, buffers), two timed.
    mnist: { samples: 8000, testSamples: 2000, warmupEpochs: 1, timedEpochs: 2, batchSize: 128, minAccuracy: 0.85 },
    // 8 steps of 256 per epoch: about 23 GFLOP per epoch, matmul-bound.
    wide: { samples: 2048, hidden: '1024,1024', warmupEpochs: 1, timedEpochs: 1, batchSize: 256 },
    // 63 steps of 128 per epoch, about 14.6 MFLOP per sample: one epoch to warm up, one timed
    // (about 20 s each on a two-core software adapter).
    cnn: { samples: 8000, testSamples: 2000, hidden: CNN, warmupEpochs: 1, timedEpochs: 1, batchSize: 128, minAccuracy: 0.85 },
    // 128 steps at batch 1, 16 at 8, 8 at 32 and over (all 8,000 digits at 2048: 4 steps).
    scaling: {
      batches: [1, 8, 32, 128, 512, 2048],
      widths: [64, 128, 256, 512, 1024, 2048, 4096],
      batchSamples: (b) => Math.min(8000, Math.max(128, 8 * b)),
      widthSamples: 512,
      widthBatch: 128,
    },
  };
}

export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      engines: { type: 'string' },
      skip: { type: 'string' },
      sizes: { type: 'string' },
      transposed: { type: 'string' },
      batches: { type: 'string' },
      widths: { type: 'string' },
      runs: { type: 'string' },
      'max-seconds': { type: 'string' },
      smoke: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      'mnist-bin': { type: 'string' },
      anchors: { type: 'string', default: 'auto' },
      'anchors-timeout': { type: 'string', default: '300' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return { help: HELP };

  const pick = (given, all, what) => {
    if (given === undefined) return [...all];
    const names = list(given);
    for (const n of names) if (!all.includes(n)) throw new UsageError(`${what}: '${n}' is not one of ${all.join(', ')}`);
    return names;
  };
  const skip = pick(values.skip ?? '', ENGINES, '--skip');
  const engines = pick(values.engines, ENGINES, '--engines').filter((e) => !skip.includes(e));
  const workloads = pick(values.only, WORKLOADS, '--only');

  const s = sizes(values.smoke);
  if (values.sizes) s.matmul.sizes = numbers(values.sizes, '--sizes');
  if (values.transposed !== undefined) s.matmul.transposed = values.transposed === '0' ? 0 : numbers(values.transposed, '--transposed')[0];
  if (values.batches) s.scaling.batches = numbers(values.batches, '--batches');
  if (values.widths) s.scaling.widths = numbers(values.widths, '--widths');
  if (values.runs) s.matmul.runs = s.keras.runs = numbers(values.runs, '--runs')[0];
  const maxSeconds = values['max-seconds'] ? Number(values['max-seconds']) : 20;
  if (!(maxSeconds > 0)) throw new UsageError(`--max-seconds: '${values['max-seconds']}' is not a positive number`);
  if (!ANCHOR_MODES.includes(values.anchors)) throw new UsageError(`--anchors: '${values.anchors}' is not one of ${ANCHOR_MODES.join(', ')}`);
  const anchorsTimeout = Number(values['anchors-timeout']);
  if (!(anchorsTimeout > 0)) throw new UsageError(`--anchors-timeout: '${values['anchors-timeout']}' is not a positive number`);

  return {
    engines,
    workloads,
    sizes: s,
    sizesGiven: values.sizes !== undefined,
    maxSeconds,
    smoke: values.smoke,
    json: values.json,
    out: values.out,
    mnistBin: values['mnist-bin'],
    anchors: values.anchors,
    anchorsTimeout,
  };
}
