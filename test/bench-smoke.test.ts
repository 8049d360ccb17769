// The benchmark harness, run at its smallest (--smoke) so it cannot rot: the
// table, the JSON, the report and its charts come out, with numbers, and the
// correctness checks made inside the benchmark hold. Speed is never asserted.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepProfile } from '../src/index.js';
import { gpuRequired as requireGpu } from './helpers/required.js';
import { runBench } from './helpers/bench.js';

const root = resolve(import.meta.dirname, '..');

interface Row {
  workload: string;
  name: string;
  unit: string;
  values: Record<string, number>;
  skipped: Record<string, string>;
}
interface BenchJson {
  adapter?: string;
  engines: { id: string; unavailable?: string }[];
  rows: Row[];
  checks: { workload: string; what: string; engine: string; ok: boolean }[];
  profiles: { workload: string; engine: string; profile: StepProfile }[];
  ok: boolean;
}

const bench = (args: string[]) => runBench(args);

describe('npm run bench -- --smoke', () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  let run: { code: number | null; stdout: string; stderr: string };
  let json: BenchJson;

  beforeAll(async () => {
    // The benchmark imports the library from dist/.
    execFileSync('npx', ['vite', 'build', '--logLevel', 'error'], { cwd: root, stdio: 'inherit' });
    run = await bench(['--smoke', '--out', out]);
    json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as BenchJson;
  }, 180_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('exits 0 with every correctness check passed', () => {
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(json.ok).toBe(true);
    expect(json.checks.length).toBeGreaterThan(0);
    expect(json.checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('runs our engine on both backends, and on the GPU when one is required', () => {
    const running = json.engines.filter((e) => !e.unavailable).map((e) => e.id);
    expect(running).toContain('ours-cpu');
    if (requireGpu) {
      expect(running).toContain('ours-webgpu');
      expect(json.adapter).toBeTruthy();
    }
  });

  it('measures every workload for every running engine, with finite numbers', () => {
    const running = json.engines.filter((e) => !e.unavailable).map((e) => e.id);
    for (const w of ['matmul', 'keras', 'mnist', 'wide', 'cnn', 'scaling']) {
      const rows = json.rows.filter((r) => r.workload === w);
      expect(rows.length, w).toBeGreaterThan(0);
      for (const row of rows) {
        for (const engine of running) {
          const v = row.values[engine];
          expect(v === undefined ? row.skipped[engine] : v, `${row.name} · ${engine}`).toBeDefined();
          if (v !== undefined) expect(Number.isFinite(v) && v > 0, `${row.name} · ${engine}: ${v}`).toBe(true);
        }
      }
    }
    // Speed never hides a wrong result: each engine's held-out accuracy is there.
    const accuracy = json.rows.find((r) => r.workload === 'mnist' && r.unit === '%');
    for (const engine of running) expect(accuracy?.values[engine], engine).toBeGreaterThan(50);
    if (running.includes('ours-webgpu')) expect(json.rows.filter((r) => r.workload === 'memory' && r.values['ours-webgpu']! > 0)).toHaveLength(3);
  });

  it('trains the convnet on the WebGPU engines, checks its accuracy, and says why an engine cannot', () => {
    const running = json.engines.filter((e) => !e.unavailable).map((e) => e.id);
    const speed = json.rows.find((r) => r.workload === 'cnn' && r.unit === 'samples/s');
    const accuracy = json.rows.find((r) => r.workload === 'cnn' && r.unit === '%');
    // Smoke-sized training: well above chance (10%), and the benchmark's own check held.
    for (const engine of running.filter((e) => e.endsWith('-webgpu'))) {
      expect(speed?.values[engine], engine).toBeGreaterThan(0);
      expect(accuracy?.values[engine], engine).toBeGreaterThan(30);
      expect(json.checks.some((c) => c.workload === 'cnn' && c.engine === engine && c.what.startsWith('held-out accuracy') && c.ok), engine).toBe(true);
    }
    // The plain-JavaScript engines run it or are skipped by the time guard; wasm has no kernel for it.
    for (const engine of ['ours-cpu', 'tfjs-cpu'].filter((e) => running.includes(e))) {
      if (speed?.values[engine] === undefined) expect(speed?.skipped[engine], engine).toMatch(/estimated, over --max-seconds/);
    }
    if (running.includes('tfjs-wasm')) expect(speed?.skipped['tfjs-wasm']).toMatch(/wasm backend has no Conv2DBackpropFilter kernel/);
  });

  it("profiles a training step of each model on the WebGPU engine, kernel by kernel", () => {
    if (!json.engines.some((e) => e.id === 'ours-webgpu' && !e.unavailable)) return;
    const profiles = json.profiles;
    expect(profiles.map((p) => p.workload)).toEqual(['mnist', 'wide', 'cnn']);
    for (const { engine, profile: p } of profiles) {
      expect(engine).toBe('ours-webgpu');
      // The GPU's timestamps where the adapter has them (not llvmpipe: the wall clock).
      expect(['gpu', 'wall']).toContain(p.clock);
      expect(p.dispatches).toHaveLength(p.steps * p.dispatchesPerStep);
      expect(p.kernels.reduce((sum, k) => sum + k.count, 0)).toBe(p.dispatches.length);
      expect(p.kernels.reduce((sum, k) => sum + k.share, 0)).toBeCloseTo(1, 6);
      expect(p.msPerStep).toBeGreaterThan(0);
    }
    // The MLP's step as the dispatch-count test pins it: its two products and the head's, Adam, the loss.
    expect(profiles[0]!.profile.kernels.map((k) => k.kernel)).toContain('optimizer.adam');
    expect(run.stdout).toContain("where a training step's time goes");
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain("## Where a training step's time goes");
  });

  it('prints the table with the ratios, and writes the report with its charts', () => {
    expect(run.stdout).toMatch(/^adapter: /m);
    expect(run.stdout).toContain('ours÷tfjs-webgpu');
    expect(run.stdout).toContain('ours÷tfjs-wasm');
    expect(run.stdout).toMatch(/^matmul A·B 64×64 +GFLOP\/s +\d/m);
    // The PyTorch/JAX anchors (test/bench-anchors.test.ts): run, or one line saying why not.
    expect(run.stdout).toMatch(/^anchors: /m);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    for (const chart of ['matmul.svg', 'training.svg', 'scaling-batch.svg', 'scaling-width.svg']) {
      expect(report).toContain(`](${chart})`);
      expect(readFileSync(join(out, chart), 'utf8')).toMatch(/^<svg/);
    }
  });

  it('refuses an unknown workload with exit code 2', async () => {
    const bad = await bench(['--only', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--only: 'nope' is not one of");
  });
});
