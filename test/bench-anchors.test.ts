// The benchmark's anchors (bench/anchors/): how the harness finds, runs and
// reports PyTorch and JAX, with BENCH_PYTHON pointing at stand-in interpreters,
// since this machine has neither torch nor jax (nor a GPU for them):
// - one prints canned figures, so the ratios in the table can be checked against
//   results.json, and keeps the job it was given, which the real python3 then
//   reads with `anchors.py --dry-run` (numpy only) to show the data arrived intact;
// - one is the real python3 with torch and jax hidden, for `--anchors auto|on`.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpuRequired as requireGpu } from './helpers/required.js';
import { runBench, type BenchRun } from './helpers/bench.js';

const root = resolve(import.meta.dirname, '..');
const script = join(root, 'bench/anchors/anchors.py');
const work = mkdtempSync(join(tmpdir(), 'bench-anchors-'));

interface Row {
  workload: string;
  name: string;
  unit: string;
  better: string;
  values: Record<string, number>;
  anchors?: { values: Record<string, number>; skipped: Record<string, string> };
}
interface BenchJson {
  engines: { id: string; unavailable?: string }[];
  rows: Row[];
  checks: { workload: string; what: string; engine: string; ok: boolean }[];
  anchors: { status: string; note?: string; anchors?: { id: string; unavailable?: string; failed?: string }[] };
  ok: boolean;
}
type Run = BenchRun;
const bench = (args: string[], env: Record<string, string>) => runBench(args, env);

// Figures the stand-in prints: each anchor its own, so a ratio names the anchor it came from.
const CANNED = {
  'pytorch-eager': { matmul: 1000, 'samples/s': 90817, s: 0.075 },
  'pytorch-graph': { 'samples/s': 581534, s: 0.02 },
  'jax-jit': { 'samples/s': 2767365, s: 0.01 },
} as const;

/**
 * A stand-in for python3 running anchors.py: --probe says every anchor can run
 * on a 'Stand-in GPU'; a job run copies the job folder to $KEEP_JOB (once) and
 * prints CANNED figures for every measurement of the asked framework, except
 * that jax-jit fails on the Keras example. FAKE_HANG makes a job run hang.
 */
function cannedInterpreter(): string {
  const file = join(work, 'canned-python');
  writeFileSync(
    file,
    `#!${process.execPath}
const { cpSync, existsSync, readFileSync } = require('node:fs');
const { dirname } = require('node:path');
const args = process.argv.slice(3);
const anchors = [
  { id: 'pytorch-eager', label: 'PyTorch 9.9 eager (stand-in)', unavailable: null },
  { id: 'pytorch-graph', label: 'PyTorch 9.9 CUDA graph (stand-in)', unavailable: null },
  { id: 'jax-jit', label: 'JAX 9.9 jit (stand-in)', unavailable: null },
];
const info = { python: '3.99', executable: '/stand-in/python3', torch: '9.9', jax: '9.9', optax: null, device: 'Stand-in GPU' };
if (args.includes('--probe')) {
  console.log(JSON.stringify({ ...info, anchors }));
  process.exit(0);
}
if (process.env.FAKE_HANG) setTimeout(() => {}, 1e9);
else {
  const jobFile = args[0];
  if (process.env.KEEP_JOB && !existsSync(process.env.KEEP_JOB)) cpSync(dirname(jobFile), process.env.KEEP_JOB, { recursive: true });
  const job = JSON.parse(readFileSync(jobFile, 'utf8'));
  const framework = args[args.indexOf('--framework') + 1];
  const ids = framework === 'torch' ? ['pytorch-eager', 'pytorch-graph'] : ['jax-jit'];
  const canned = ${JSON.stringify(CANNED)};
  const measurements = [];
  const failures = [];
  for (const c of job.matmul?.cases ?? []) if (ids.includes('pytorch-eager')) measurements.push({ anchor: 'pytorch-eager', key: c.key, value: canned['pytorch-eager'].matmul, unit: 'GFLOP/s', maxRelativeError: 1e-7 });
  for (const e of job.training) {
    for (const id of ids) {
      if (id === 'jax-jit' && e.key === 'keras') {
        failures.push({ anchor: id, key: e.key, error: 'XlaRuntimeError: stand-in failure' });
        continue;
      }
      const unit = e.mode === 'fits' ? 's' : 'samples/s';
      measurements.push({ anchor: id, key: e.key, value: canned[id][unit], unit, loss: 0.1, params: e.params, ...(e.test ? { accuracy: 0.97 } : {}) });
    }
  }
  const fp32Matmul = { anchor: ids[0], n: 1024, got: 1024.25, fp32: 1024.25, exact: true };
  console.log(JSON.stringify({ ...info, anchors, fp32Matmul, measurements, failures }));
}
`,
  );
  chmodSync(file, 0o755);
  return file;
}

/** The real python3, with modules named torch and jax that fail to import, ahead of any installed ones. */
function pythonWithoutTorch(): string {
  const hide = join(work, 'hide');
  mkdirSync(hide, { recursive: true });
  for (const m of ['torch', 'jax']) writeFileSync(join(hide, `${m}.py`), `raise ImportError("No module named '${m}'")\n`);
  const file = join(work, 'python-without-torch');
  writeFileSync(file, `#!/bin/sh\nPYTHONPATH='${hide}' exec python3 "$@"\n`);
  chmodSync(file, 0o755);
  return file;
}

/** A table line's cells, cut where the dashes under the header run (an empty cell stays empty). */
function cutter(dashes: string) {
  const spans = [...dashes.matchAll(/-+/g)].map((m) => [m.index, m.index + m[0].length]);
  return (line: string) => spans.map(([a, b]) => line.slice(a, b).trim());
}

beforeAll(() => {
  // The benchmark imports the library from dist/.
  execFileSync('npx', ['vite', 'build', '--logLevel', 'error'], { cwd: root, stdio: 'inherit' });
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('anchors in npm run bench, with a stand-in python3 that has both frameworks', () => {
  const out = join(work, 'canned-out');
  const kept = join(work, 'kept-job');
  let run: Run;
  let json: BenchJson;
  let ours: boolean;

  beforeAll(async () => {
    run = await bench(['--smoke', '--only', 'matmul,keras,mnist', '--engines', 'ours-webgpu', '--out', out], { BENCH_PYTHON: cannedInterpreter(), KEEP_JOB: kept });
    json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as BenchJson;
    ours = !json.engines.find((e) => e.id === 'ours-webgpu')?.unavailable;
  }, 120_000);

  it('runs them after our rows and passes every check, the anchors\u2019 included', () => {
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    if (requireGpu) expect(ours).toBe(true);
    expect(json.anchors.status).toBe('ran');
    expect(json.ok).toBe(true);
    // The stand-in's matmul entries and trained models are checked as ours are.
    for (const id of ['pytorch-eager', 'pytorch-graph', 'jax-jit']) expect(json.checks.some((c) => c.engine === id && c.ok), id).toBe(true);
    // TF32 off, as each framework's process showed it.
    for (const id of ['pytorch-eager', 'jax-jit']) expect(json.checks.some((c) => c.engine === id && c.what.startsWith('fp32 matmul: 1024×1024 of 1+2⁻¹² times ones gives 1024.25') && c.ok), id).toBe(true);
    expect(run.stdout).toMatch(/^anchors: \/stand-in\/python3 \(Python 3\.99; torch 9\.9, jax 9\.9\) on Stand-in GPU, after our rows/m);
    expect(run.stderr.indexOf('anchors: torch')).toBeGreaterThan(run.stderr.indexOf('training · ours-webgpu'));
  });

  it('prints each anchor beside our figure, with our ratio to it computed from the results', () => {
    const lines = run.stdout.split('\n');
    const start = lines.indexOf('anchors, the same workloads in PyTorch and JAX:');
    expect(start).toBeGreaterThan(0);
    const at = lines.findIndex((l, i) => i > start && l.startsWith('workload'));
    const cells = cutter(lines[at + 1]!);
    const ids = ['pytorch-eager', 'pytorch-graph', 'jax-jit'];
    expect(cells(lines[at]!)).toEqual(['workload', 'unit', 'ours-webgpu', ...ids.flatMap((id) => [id, `ours÷${id}`])]);
    const anchored = json.rows.filter((r) => r.anchors);
    // Every matmul row, the Keras example, MNIST speed and accuracy.
    expect(anchored.map((r) => r.workload)).toEqual(['matmul', 'matmul', 'matmul', 'matmul', 'keras', 'mnist', 'mnist']);
    for (const row of anchored) {
      const line = lines.find((l, i) => i > start && l.startsWith(`${row.name}  `));
      expect(line, row.name).toBeDefined();
      const got = cells(line!).slice(3);
      expect(cells(line!).slice(0, 3)).toEqual([row.name, row.unit, expect.any(String)]);
      ids.forEach((id, k) => {
        const theirs = row.anchors!.values[id];
        const mine = row.values['ours-webgpu'];
        if (theirs === undefined) {
          expect(got[2 * k], `${row.name} · ${id}`).toBe(row.anchors!.skipped[id] ? 'failed' : '—');
          return;
        }
        expect(Number(got[2 * k]), `${row.name} · ${id}`).toBeCloseTo(theirs, 2 - Math.floor(Math.log10(theirs)));
        // In time (the Keras example) lower is faster: the ratio is theirs over ours.
        const r = row.better === 'higher' ? mine! / theirs : theirs / mine!;
        // Two decimals, or two significant digits below 0.1 (CUDA can be 100× ahead on small models).
        const ratio = row.better === 'none' || mine === undefined ? '' : `${r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×`;
        expect(got[2 * k + 1], `${row.name} · ours÷${id}`).toBe(ratio);
      });
    }
    const mnist = anchored.find((r) => r.workload === 'mnist' && r.unit === 'samples/s')!;
    expect(mnist.anchors!.values).toEqual({ 'pytorch-eager': 90817, 'pytorch-graph': 581534, 'jax-jit': 2767365 });
    expect(anchored.find((r) => r.unit === '%')!.anchors!.values['jax-jit']).toBeCloseTo(97);
  });

  it('says which anchor failed on which workload, and goes on', () => {
    const keras = json.rows.find((r) => r.workload === 'keras')!;
    expect(keras.anchors!.skipped['jax-jit']).toBe('failed: XlaRuntimeError: stand-in failure');
    expect(run.stdout).toContain(`anchor failed: ${keras.name} · jax-jit: failed: XlaRuntimeError: stand-in failure`);
  });

  it('writes the anchors into report.md', () => {
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('## Anchors: PyTorch and JAX');
    expect(report).toContain('| ours÷pytorch-graph |');
    expect(report).toContain('- pytorch-graph: PyTorch 9.9 CUDA graph (stand-in)');
  });

  it('hands anchors.py the very data our engines trained on, which it reads with numpy alone', async () => {
    expect(existsSync(join(kept, 'job.json'))).toBe(true);
    const job = JSON.parse(readFileSync(join(kept, 'job.json'), 'utf8'));
    expect(Object.keys(job.arrays).sort()).toEqual(['keras-train-x', 'keras-train-y', 'mnist-test-labels', 'mnist-test-x', 'mnist-train-labels', 'mnist-train-x']);
    const dry = JSON.parse(execFileSync('python3', ['-B', script, join(kept, 'job.json'), '--dry-run'], { encoding: 'utf8' }));
    // The digits as our engines saw them: same count, same label counts, same pixel sum.
    const { loadMnist, kerasData } = await import(join(root, 'bench/data.mjs'));
    const train = loadMnist().train(512);
    const pixelSum = train.x.reduce((s: number, v: number) => s + v, 0);
    expect(dry.arrays['mnist-train-x'].shape).toEqual([512, 784]);
    expect(dry.arrays['mnist-train-x'].sum).toBeCloseTo(pixelSum, 3);
    expect(dry.arrays['mnist-train-labels'].counts).toEqual(Array.from({ length: 10 }, (_, d) => train.labels.filter((l: number) => l === d).length));
    expect(dry.arrays['mnist-test-x'].shape).toEqual([500, 784]);
    const keras = kerasData();
    expect(dry.arrays['keras-train-x'].sum).toBeCloseTo(keras.x.reduce((s: number, v: number) => s + v, 0), 3);
    expect(dry.arrays['keras-train-y'].shape).toEqual([100, 1]);
    expect(dry.optimizer).toEqual({ name: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    // The plan: every matmul row, then the models as our rows describe them.
    const plan = dry.plan as { key: string; what: string }[];
    expect(plan.map((p) => p.key)).toEqual(['matmul A·B 64', 'matmul A·B 128', 'matmul Aᵀ·B 128', 'matmul A·Bᵀ 128', 'keras', 'mnist']);
    expect(plan.find((p) => p.key === 'mnist')!.what).toMatch(/^784 → dense 128 relu → dense 10 softmax · categoricalCrossentropy · adam lr 0.001 · 512 samples, batch 64 \(8 steps per epoch\) · 1 warm-up \+ 1 timed epochs, held-out 500$/);
    expect(plan.find((p) => p.key === 'keras')!.what).toContain('10 → dense 16 relu → dense 1 sigmoid · binaryCrossentropy');
  });

  it('refuses a job it cannot read, saying why', () => {
    const bad = join(work, 'bad-job');
    cpSync(kept, bad, { recursive: true });
    const job = JSON.parse(readFileSync(join(bad, 'job.json'), 'utf8'));
    job.arrays['mnist-train-x'].shape = [513, 784];
    writeFileSync(join(bad, 'job.json'), JSON.stringify(job));
    let error: { status: number; stderr: string } | undefined;
    try {
      execFileSync('python3', ['-B', script, join(bad, 'job.json'), '--dry-run'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      error = e as { status: number; stderr: string };
    }
    expect(error?.status).toBe(2);
    expect(error?.stderr).toContain('array mnist-train-x: 401408 values in mnist-train-x.bin, shape [513, 784] needs 402192');
  });
});

describe('anchors when python3 has neither torch nor jax', () => {
  const env = () => ({ BENCH_PYTHON: pythonWithoutTorch() });

  it('--anchors auto notes it on one line and runs our rows', async () => {
    const out = join(work, 'auto-out');
    const run = await bench(['--smoke', '--only', 'keras', '--engines', 'ours-cpu', '--out', out], env());
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const note = 'anchors: unavailable (python3 has no torch; python3 has no jax)';
    expect(run.stdout.split('\n')).toContain(note);
    expect(run.stderr).toContain(`[bench] ${note}`);
    expect(run.stdout).toMatch(/^Keras example: .* s +\d/m);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as BenchJson;
    expect(json.anchors).toMatchObject({ status: 'unavailable', note: 'unavailable (python3 has no torch; python3 has no jax)' });
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain(note);
  });

  it('--anchors on fails with one clear line before measuring anything', async () => {
    const out = join(work, 'on-out');
    const run = await bench(['--smoke', '--only', 'keras', '--engines', 'ours-cpu', '--anchors', 'on', '--out', out], env());
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('bench: --anchors on, but the anchors cannot run: python3 has no torch; python3 has no jax');
    expect(run.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });
});

describe('anchors off, timed out, or asked for wrongly', () => {
  it('--anchors off never starts python', async () => {
    const out = join(work, 'off-out');
    const run = await bench(['--smoke', '--only', 'keras', '--engines', 'ours-cpu', '--anchors', 'off', '--out', out], { BENCH_PYTHON: join(work, 'no-such-python') });
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(run.stdout.split('\n')).toContain('anchors: off (--anchors off)');
  });

  it('an anchor process past --anchors-timeout is ended and reported, and the run goes on', async () => {
    const out = join(work, 'hang-out');
    const run = await bench(['--smoke', '--only', 'keras', '--engines', 'ours-cpu', '--anchors-timeout', '1', '--out', out], { BENCH_PYTHON: cannedInterpreter(), FAKE_HANG: '1' });
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as BenchJson;
    expect(json.anchors.anchors!.map((a) => a.failed)).toEqual(['timed out after 1 s', 'timed out after 1 s', 'timed out after 1 s']);
    expect(run.stdout).toContain('anchors: /stand-in/python3');
    // No anchor gave a figure: no anchors table, the reason in the report.
    expect(run.stdout).not.toContain('ours÷pytorch-eager');
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('- pytorch-eager: failed (timed out after 1 s)');
  });

  it('refuses an unknown mode with exit code 2', async () => {
    const run = await bench(['--anchors', 'maybe'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--anchors: 'maybe' is not one of auto, on, off");
  });

  it('anchors.py compiles, and its probe runs on a bare python3', () => {
    const files = readdirSync(join(root, 'bench/anchors')).filter((f) => f.endsWith('.py'));
    expect(files.sort()).toEqual(['anchor_jax.py', 'anchor_job.py', 'anchor_torch.py', 'anchors.py']);
    execFileSync('python3', ['-B', '-c', 'import sys\nfor f in sys.argv[1:]: compile(open(f, encoding="utf-8").read(), f, "exec")', ...files.map((f) => join(root, 'bench/anchors', f))]);
    const probe = JSON.parse(execFileSync('python3', ['-S', '-B', script, '--probe'], { encoding: 'utf8' }));
    expect(probe.anchors.map((a: { id: string }) => a.id)).toEqual(['pytorch-eager', 'pytorch-graph', 'jax-jit']);
  });
});
