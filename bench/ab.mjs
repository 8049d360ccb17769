// `npm run bench:ab -- --base REF`: this build against the library as it was
// at a git commit, side by side in one process on the same adapter and data.
// The other commit is checked out into a temporary git worktree and built
// there (the worktree is removed afterwards); each round times every workload
// on both builds in turn, in the opposite order the next round, so a change
// in the machine's speed falls on both. It prints each workload's median on
// each build and the median of the per-round speed-ups: on a software
// adapter whose speed drifts, only such same-run ratios say whether a change
// made something slower. Exit code 1 when a training loss is not finite, 2 on
// a bad option or a REF that is not a commit.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { kerasData, loadMnist, randomMatrix } from './data.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const log = (msg) => process.stderr.write(`[bench:ab] ${msg}\n`);

const WORKLOADS = ['matmul', 'keras', 'mnist', 'wide', 'cnn', 'batch1'];
const HELP = `npm run bench:ab -- --base REF [options]

  --base REF      the git commit (branch, tag, hash) to compare this build with
  --rounds N      rounds over the workloads (default 7; 1 with --smoke)
  --only LIST     workloads: ${WORKLOADS.join(',')} (default: all)
  --smoke         tiny sizes: the harness in seconds
  --json          print the results as JSON on stdout instead of the table
  --help          this text`;

class UsageError extends Error {}

function options(argv) {
  const { values } = parseArgs({
    args: argv,
    options: { base: { type: 'string' }, rounds: { type: 'string' }, only: { type: 'string' }, smoke: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help) return { help: HELP };
  if (!values.base) throw new UsageError('--base REF is required: the git commit to compare this build with');
  const rounds = values.rounds === undefined ? (values.smoke ? 1 : 7) : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError(`--rounds: '${values.rounds}' is not a positive integer`);
  const only = values.only ? values.only.split(',').map((w) => w.trim()) : WORKLOADS;
  const unknown = only.find((w) => !WORKLOADS.includes(w));
  if (unknown) throw new UsageError(`--only: '${unknown}' is not one of ${WORKLOADS.join(', ')}`);
  return { base: values.base, rounds, only, smoke: !!values.smoke, json: !!values.json };
}

const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** The commit a ref names, or a UsageError. */
function commitOf(ref) {
  try {
    return git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`);
  } catch {
    throw new UsageError(`--base '${ref}' is not a commit of this repository`);
  }
}

/** Sizes of each workload: the bench's on a software adapter, or tiny with --smoke. */
function sizes(smoke) {
  return smoke
    ? { matmul: 128, mnist: { rows: 256, batch: 64, epochs: 1 }, wide: { hidden: [128, 128], rows: 256, batch: 64 }, cnn: { rows: 32, batch: 16 }, batch1: { rows: 16 } }
    : { matmul: 1024, mnist: { rows: 2048, batch: 128, epochs: 2 }, wide: { hidden: [1024, 1024], rows: 1024, batch: 256 }, cnn: { rows: 512, batch: 128 }, batch1: { rows: 256 } };
}

/** Each workload as a function of one build (its module and backend): its figure, and whether higher is faster. */
function workloads(s) {
  const digits = loadMnist();
  const keras = kerasData();
  const A = randomMatrix(s.matmul, s.matmul, 1);
  const B = randomMatrix(s.matmul, s.matmul, 2);
  let failure;
  const checkLoss = (name, loss) => {
    if (!Number.isFinite(loss)) failure ??= `${name}: the training loss is ${loss}`;
  };
  /** Samples/s of `epochs` epochs of fit after a warm-up epoch. */
  const train = (name, layers, { rows, batch, epochs = 1, image = false }) => async (lib, backend) => {
    const set = digits.train(rows);
    const model = lib.sequential(layers(lib), { backend, seed: 1 });
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const x = lib.tensor(set.x, image ? [set.rows, 28, 28, 1] : [set.rows, 784]);
    const y = lib.tensor(set.y, [set.rows, 10]);
    await model.fit(x, y, { epochs: 1, batchSize: batch });
    const start = performance.now();
    const history = await model.fit(x, y, { epochs, batchSize: batch });
    const seconds = (performance.now() - start) / 1000;
    checkLoss(name, history.loss.at(-1));
    model.dispose();
    return (epochs * set.rows) / seconds;
  };
  const mlp = (hidden) => (lib) => [...hidden.map((units, i) => lib.dense({ units, activation: 'relu', ...(i === 0 ? { inputShape: [784] } : {}) })), lib.dense({ units: 10, activation: 'softmax' })];
  const all = {
    matmul: {
      name: `matmul ${s.matmul}³`,
      unit: 'GFLOP/s',
      higher: true,
      async run(lib, backend) {
        const a = backend.tensor(A, [s.matmul, s.matmul]);
        const b = backend.tensor(B, [s.matmul, s.matmul]);
        const once = async () => {
          const c = backend.matmul(a, b);
          await backend.flush();
          c.dispose();
        };
        await once();
        const start = performance.now();
        for (let i = 0; i < 3; i++) await once();
        const seconds = (performance.now() - start) / 3000;
        a.dispose();
        b.dispose();
        return (2 * s.matmul ** 3) / seconds / 1e9;
      },
    },
    keras: {
      name: 'Keras example: fit, 5 epochs of batch 10',
      unit: 'ms',
      higher: false,
      async run(lib, backend) {
        const fit = async () => {
          const model = lib.sequential([lib.dense({ units: 16, activation: 'relu', inputShape: [10] }), lib.dense({ units: 1, activation: 'sigmoid' })], { backend, seed: 1 });
          model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
          const start = performance.now();
          const history = await model.fit(lib.tensor(keras.x, [keras.rows, 10]), lib.tensor(keras.y, [keras.rows, 1]), { epochs: 5, batchSize: 10 });
          const ms = performance.now() - start;
          checkLoss('keras', history.loss.at(-1));
          model.dispose();
          return ms;
        };
        await fit();
        const times = [await fit(), await fit(), await fit()].sort((p, q) => p - q);
        return times[1];
      },
    },
    mnist: { name: `MNIST MLP 784-128-10, batch ${s.mnist.batch}`, unit: 'samples/s', higher: true, run: train('mnist', mlp([128]), s.mnist) },
    wide: { name: `wide MLP 784-${s.wide.hidden.join('-')}-10, batch ${s.wide.batch}`, unit: 'samples/s', higher: true, run: train('wide', mlp(s.wide.hidden), s.wide) },
    cnn: {
      name: `Keras MNIST convnet, batch ${s.cnn.batch}`,
      unit: 'samples/s',
      higher: true,
      run: train(
        'cnn',
        (lib) => [
          lib.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
          lib.maxPooling2d({ poolSize: 2 }),
          lib.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
          lib.maxPooling2d({ poolSize: 2 }),
          lib.flatten(),
          lib.dropout({ rate: 0.5 }),
          lib.dense({ units: 10, activation: 'softmax' }),
        ],
        { ...s.cnn, image: true },
      ),
    },
    batch1: { name: 'MNIST MLP 784-128-10, batch 1', unit: 'samples/s', higher: true, run: train('batch1', mlp([128]), { rows: s.batch1.rows, batch: 1 }) },
  };
  return { all, failure: () => failure };
}

/** Checks out `commit` into a temporary worktree, builds it there, and returns its dist/index.js and how to remove it all. */
function buildBase(commit) {
  const dir = mkdtempSync(join(tmpdir(), 'webgpu-train-ab-'));
  const tree = join(dir, 'base');
  const remove = () => {
    try {
      git('worktree', 'remove', '--force', tree);
    } catch {
      // Not added (the add failed): nothing of git's to remove.
    }
    rmSync(dir, { recursive: true, force: true });
    git('worktree', 'prune');
  };
  try {
    git('worktree', 'add', '--detach', tree, commit);
    symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'), 'dir');
    execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'], { cwd: tree, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    remove();
    throw new Error(`could not build ${commit.slice(0, 12)} in a worktree: ${String(e.stderr || e.message).trim().split('\n')[0]}`);
  }
  return { index: join(tree, 'dist/index.js'), remove };
}

/** The middle value; for an even count, the mean of the middle two. */
const median = (xs) => {
  const s = [...xs].sort((p, q) => p - q);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  const opts = options(process.argv.slice(2));
  if (opts.help) {
    console.log(opts.help);
    return 0;
  }
  const commit = commitOf(opts.base);
  log(`building ${opts.base} (${commit.slice(0, 12)}) in a temporary worktree`);
  const base = buildBase(commit);
  try {
    const builds = { base: await import(pathToFileURL(base.index).href), now: await import(pathToFileURL(join(root, 'dist/index.js')).href) };
    const backends = { base: await builds.base.WebGpuBackend.create(), now: await builds.now.WebGpuBackend.create() };
    log(`adapter: ${backends.now.adapterName}`);
    const { all, failure } = workloads(sizes(opts.smoke));
    const chosen = opts.only.map((id) => ({ id, ...all[id] }));
    const results = Object.fromEntries(chosen.map((w) => [w.id, { base: [], now: [], speedups: [] }]));
    for (let r = 0; r < opts.rounds; r++) {
      for (const w of chosen) {
        const got = {};
        for (const k of r % 2 ? ['now', 'base'] : ['base', 'now']) got[k] = await w.run(builds[k], backends[k]);
        const res = results[w.id];
        res.base.push(got.base);
        res.now.push(got.now);
        res.speedups.push(w.higher ? got.now / got.base : got.base / got.now);
      }
      log(`round ${r + 1} of ${opts.rounds} done`);
    }
    for (const b of Object.values(backends)) b.destroy();
    const rows = chosen.map((w) => {
      const res = results[w.id];
      return { workload: w.id, name: w.name, unit: w.unit, base: median(res.base), now: median(res.now), speedup: median(res.speedups), min: Math.min(...res.speedups), max: Math.max(...res.speedups) };
    });
    const out = { adapter: backends.now.adapterName, base: { ref: opts.base, commit }, now: git('rev-parse', 'HEAD'), rounds: opts.rounds, rows, failure: failure() };
    if (opts.json) console.log(JSON.stringify(out, null, 2));
    else console.log(table(out));
    return out.failure ? 1 : 0;
  } finally {
    base.remove();
  }
}

function table(out) {
  const fmt = (v) => (v >= 100 ? v.toFixed(0) : v.toPrecision(3));
  const head = ['workload', 'unit', `base (${out.base.ref})`, 'now', 'speed-up', 'rounds'];
  const body = out.rows.map((r) => [r.name, r.unit, fmt(r.base), fmt(r.now), `${r.speedup.toFixed(3)}×`, `${r.min.toFixed(2)}–${r.max.toFixed(2)}`]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [
    `adapter: ${out.adapter}`,
    `base: ${out.base.ref} (${out.base.commit.slice(0, 12)}); now: the working tree's dist/ (HEAD ${out.now.slice(0, 12)}); ${out.rounds} rounds`,
    '',
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    '',
    'speed-up: the median over rounds of now÷base (base÷now for times); above 1, now is faster. rounds: the range of the per-round speed-ups.',
    ...(out.failure ? [`FAILED: ${out.failure}`] : []),
  ].join('\n');
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof UsageError ? `bench:ab: ${e.message}` : `bench:ab: ${e.message ?? e}`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
