// The anchors: our workloads in PyTorch and JAX (anchors.py beside this file),
// run by the machine's python3 ($BENCH_PYTHON overrides it) in the same run,
// after our rows, on the very data our engines trained on. They say how far we
// are from what the same GPU does under CUDA, which no WebGPU engine can tell.
//
//   probeAnchors(mode)            before any measurement: what can run (`anchors.py --probe`)
//   runAnchors(anchors, ctx, opts) after our rows: writes the job, runs each framework in a
//                                 process of its own under a time limit, and puts the figures
//                                 into our rows (row.anchors) and their checks into ctx.results
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelLayers, paramCount } from '../model.mjs';
import { cnnSpec, kerasSpec, mnistSpec, wideSpec, MATMUL_TOLERANCE, MIN_RUNS, TIMED_SECONDS } from '../workloads.mjs';

const FRAMEWORKS = { torch: ['pytorch-eager', 'pytorch-graph'], jax: ['jax-jit'] };
// Importing torch and jax from a cold disk can take tens of seconds.
const PROBE_SECONDS = 120;

// What our engines train with (engine-ours.mjs, engine-tfjs.mjs): adam(0.001) with
// the library's defaults, which are TF.js's and Keras's.
const OPTIMIZER = { name: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

/** Thrown by `--anchors on` when an anchor cannot run: one line, before any measurement. */
export class AnchorsUnavailable extends Error {}

const python = () => process.env.BENCH_PYTHON || 'python3';

/** anchors.py: beside this module in the repository, in anchors/ beside the bundled bench.mjs. */
function scriptPath() {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, 'anchors.py'), join(here, 'anchors', 'anchors.py')].find((p) => existsSync(p));
}

/**
 * Runs anchors.py with `args` under a time limit; stderr lines go to `onLine`.
 * Resolves { json } with the one JSON object it printed, or { failed: why }.
 */
function runScript(script, args, timeoutSeconds, onLine = () => {}) {
  return new Promise((done) => {
    const child = spawn(python(), [script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
    });
    let stdout = '';
    let pending = '';
    let lastLine = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      const lines = (pending + d).split('\n');
      pending = lines.pop();
      for (const line of lines.filter((l) => l.trim())) {
        lastLine = line;
        onLine(line);
      }
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      const missing = e.code === 'ENOENT' || e.code === 'EACCES';
      done({ failed: missing ? `no ${python()} to run${process.env.BENCH_PYTHON ? ' (BENCH_PYTHON)' : ''}` : e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (pending.trim()) lastLine = pending;
      if (timedOut) return done({ failed: `timed out after ${timeoutSeconds} s` });
      // Libraries may print to stdout while importing: the object is the last line that is one.
      const line = stdout.split('\n').reverse().find((l) => l.startsWith('{'));
      let json;
      try {
        json = line && JSON.parse(line);
      } catch {}
      if (code === 0 && json) return done({ json });
      done({ failed: `${python()} exited with ${signal ?? code}${lastLine ? `: ${lastLine.trim()}` : ''}` });
    });
  });
}

/** The distinct reasons why anchors cannot run, as one line. */
const reasons = (list) => [...new Set(list.map((a) => a.unavailable))].join('; ');

/**
 * What can run, asked once before any measurement: { mode, status, note, info, anchors }.
 * status: 'off', 'unavailable' (note says why) or 'available' (some anchors, or all, can run).
 * With mode 'on', throws AnchorsUnavailable unless every anchor can run.
 */
export async function probeAnchors(mode) {
  if (mode === 'off') return { mode, status: 'off', note: 'off (--anchors off)' };
  const unavailable = (why) => {
    if (mode === 'on') throw new AnchorsUnavailable(`--anchors on, but the anchors cannot run: ${why}`);
    return { mode, status: 'unavailable', note: `unavailable (${why})` };
  };
  const script = scriptPath();
  if (!script) return unavailable('anchors.py is missing beside the benchmark');
  const r = await runScript(script, ['--probe'], PROBE_SECONDS);
  if (r.failed) return unavailable(r.failed);
  const { anchors, ...info } = r.json;
  const missing = anchors.filter((a) => a.unavailable);
  if (missing.length === anchors.length) return unavailable(reasons(missing));
  if (mode === 'on' && missing.length) throw new AnchorsUnavailable(`--anchors on, but ${missing.map((a) => `${a.id}: ${a.unavailable}`).join('; ')}`);
  return { mode, status: 'available', info, anchors };
}

/** The line that says, before the rows, what the anchors will be. */
export function describeProbe(anchors) {
  if (anchors.status !== 'available') return `anchors: ${anchors.note}`;
  return `anchors: ${anchors.anchors.map((a) => (a.unavailable ? `${a.id} unavailable (${a.unavailable})` : a.id)).join(', ')}, after our rows`;
}

// ---- the job -------------------------------------------------------------------------------------

/** The row our engines' figures of a training workload went to, by unit. */
const trainingRow = (results, workload, unit) => results.rows.find((r) => r.workload === workload && r.unit === unit);

/**
 * The job for anchors.py (its format: anchor_job.py) from the rows this run made,
 * with the arrays to write beside it. `targets` maps each job key to the rows its
 * figures go to, with what checks them.
 */
export function anchorJob(ctx) {
  const arrays = new Map();
  // Every digit set is a prefix of the same split: one array, the longest asked for.
  const put = (name, data, dtype, shape) => {
    if (!arrays.has(name) || arrays.get(name).shape[0] < shape[0]) arrays.set(name, { data, dtype, shape });
    return name;
  };
  const set = (prefix, s) => ({
    x: put(`${prefix}-x`, s.x, 'float32', [s.rows, s.x.length / s.rows]),
    ...(s.labels ? { labels: put(`${prefix}-labels`, s.labels, 'uint8', [s.rows]) } : { y: put(`${prefix}-y`, s.y, 'float32', [s.rows, s.y.length / s.rows]) }),
    rows: s.rows,
  });
  const targets = new Map();
  const job = { format: 1, seed: 1, arrays: {}, optimizer: OPTIMIZER, training: [] };

  const matmulRows = ctx.results.rows.filter((r) => r.workload === 'matmul' && !r.params.tile);
  if (matmulRows.length) {
    job.matmul = { runs: ctx.sizes.matmul.runs, minRuns: MIN_RUNS, timedSeconds: TIMED_SECONDS, cases: [] };
    for (const row of matmulRows) {
      const { n, form } = row.params;
      const key = `matmul ${form} ${n}`;
      job.matmul.cases.push({ key, n, form });
      targets.set(key, { workload: 'matmul', speed: row, what: `${form} ${n}` });
    }
  }

  const training = (key, spec, mode) => {
    const speed = trainingRow(ctx.results, key, mode.mode === 'fits' ? 's' : 'samples/s');
    if (!speed) return;
    const accuracy = spec.test ? trainingRow(ctx.results, key, '%') : undefined;
    const prefix = key === 'keras' ? 'keras' : 'mnist';
    job.training.push({
      key,
      name: speed.name,
      ...mode,
      inputShape: spec.inputShape,
      layers: modelLayers(spec),
      loss: spec.loss,
      batchSize: spec.batchSize,
      params: paramCount(spec),
      train: set(`${prefix}-train`, spec.train),
      test: spec.test ? set(`${prefix}-test`, spec.test) : null,
    });
    targets.set(key, { workload: key, speed, accuracy, params: paramCount(spec), minAccuracy: ctx.sizes[key].minAccuracy });
  };
  const ran = (w) => ctx.results.rows.some((r) => r.workload === w);
  if (ran('keras')) {
    const spec = kerasSpec();
    training('keras', spec, { mode: 'fits', epochs: spec.epochs, runs: ctx.sizes.keras.runs });
  }
  const epochs = (w) => ({ mode: 'epochs', warmupEpochs: ctx.sizes[w].warmupEpochs, timedEpochs: ctx.sizes[w].timedEpochs });
  if (ran('mnist')) training('mnist', mnistSpec(ctx), epochs('mnist'));
  if (ran('wide')) training('wide', wideSpec(ctx), epochs('wide'));
  if (ran('cnn')) training('cnn', cnnSpec(ctx), epochs('cnn'));

  for (const [name, { dtype, shape }] of arrays) job.arrays[name] = { file: `${name}.bin`, dtype, shape };
  return { job, arrays, targets };
}

/** Writes job.json and its arrays (raw little-endian, as the typed arrays hold them) into dir. */
function writeJob(dir, { job, arrays }) {
  for (const [name, { data, shape }] of arrays) {
    const count = shape.reduce((n, d) => n * d, 1);
    const values = data.subarray(0, count);
    writeFileSync(join(dir, job.arrays[name].file), new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  const file = join(dir, 'job.json');
  writeFileSync(file, `${JSON.stringify(job, null, 2)}\n`);
  return file;
}

// ---- the run -------------------------------------------------------------------------------------

/** Puts one anchor figure into its rows (row.anchors) and checks it as our own figures are checked. */
function record(ctx, targets, m) {
  const t = targets.get(m.key);
  if (!t) return;
  const into = (row, value) => {
    row.anchors ??= { values: {}, skipped: {} };
    row.anchors.values[m.anchor] = value;
  };
  into(t.speed, m.value);
  const check = (what, ok, detail) => ctx.results.check(t.workload, what, m.anchor, ok, detail);
  if (t.workload === 'matmul') {
    check(`${t.what}: max relative error ${m.maxRelativeError.toExponential(1)}`, m.maxRelativeError <= MATMUL_TOLERANCE, m.maxRelativeError);
    return;
  }
  if (!Number.isFinite(m.loss)) check(`final loss ${m.loss}`, false, m.loss);
  if (m.params !== t.params) check(`the model has ${m.params} parameters, the description ${t.params}`, false, m.params);
  if (t.accuracy && m.accuracy !== undefined) {
    into(t.accuracy, m.accuracy * 100);
    check(`held-out accuracy ${(m.accuracy * 100).toFixed(2)}% (at least ${t.minAccuracy * 100}%)`, m.accuracy >= t.minAccuracy, m.accuracy);
  }
}

/**
 * Runs the available anchors on the rows this run made. Each framework runs in a
 * process of its own, so that one crashing or running out of time leaves the
 * other's figures. Updates `anchors` (status 'ran', a `failed` reason on an
 * anchor whose process failed) and returns it.
 */
export async function runAnchors(anchors, ctx, { timeoutSeconds, log }) {
  const script = scriptPath();
  const built = anchorJob(ctx);
  const dir = mkdtempSync(join(tmpdir(), 'webgpu-train-anchors-'));
  try {
    const jobFile = writeJob(dir, built);
    for (const [framework, ids] of Object.entries(FRAMEWORKS)) {
      const mine = anchors.anchors.filter((a) => ids.includes(a.id) && !a.unavailable);
      if (!mine.length) continue;
      log(`anchors: ${framework} (${mine.map((a) => a.id).join(', ')})`);
      const r = await runScript(script, [jobFile, '--framework', framework], timeoutSeconds, (line) => log(`anchors: ${line.replace(/^\[anchors\] /, '')}`));
      if (r.failed) {
        for (const a of mine) a.failed = r.failed;
        continue;
      }
      const probe = r.json.fp32Matmul;
      if (probe) {
        // TF32 off, verified: an entry that fp32 gives exactly and TF32's 10-bit inputs cannot.
        const what = `fp32 matmul: ${probe.n}×${probe.n} of 1+2⁻¹² times ones gives ${probe.got} (fp32: ${probe.fp32}${probe.exact ? '' : '; TF32 or lower precision is on'})`;
        ctx.results.check('anchors', what, probe.anchor, probe.exact, probe.got);
      }
      for (const m of r.json.measurements) record(ctx, built.targets, m);
      for (const f of r.json.failures) {
        const t = f.key ? built.targets.get(f.key) : undefined;
        if (t) {
          t.speed.anchors ??= { values: {}, skipped: {} };
          t.speed.anchors.skipped[f.anchor] = `failed: ${f.error}`;
        } else {
          const a = mine.find((x) => x.id === f.anchor);
          if (a) a.failed = f.error;
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // With --anchors on, an anchor that did not give its figures fails the run as a wrong result would.
  if (anchors.mode === 'on') {
    for (const a of anchors.anchors.filter((x) => x.failed)) ctx.results.check('anchors', `${a.id} failed: ${a.failed}`, a.id, false, a.failed);
    for (const row of ctx.results.rows) {
      for (const [id, why] of Object.entries(row.anchors?.skipped ?? {})) ctx.results.check(row.workload, `${row.name}: ${why}`, id, false, why);
    }
  }
  anchors.status = 'ran';
  return anchors;
}
