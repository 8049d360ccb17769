// The built package works where users get it: `npm pack`, installed into an
// empty folder, imported from plain Node (no bundler, no TypeScript), with the
// WGSL inlined — it runs a real matmul on the adapter.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gpuRequired } from './helpers/required.js';

const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'webgpu-train-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error' } });

describe('the npm package', () => {
  it('builds, packs, installs into an empty folder and runs from plain Node', () => {
    run('npm', ['run', 'build'], root);
    run('npm', ['pack', '--pack-destination', work], root);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    const app = join(work, 'app');
    run('mkdir', ['-p', app], work);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, tarball!)], app);

    const script = `
      const wt = await import('webgpu-train');
      const names = ['getBackend', 'CpuBackend', 'WebGpuBackend', 'Tensor'].filter((n) => !(n in wt));
      if (names.length) throw new Error('missing exports: ' + names);
      let backend;
      try { backend = await wt.getBackend('webgpu'); }
      catch (e) { if (process.env.REQUIRE_GPU) throw e; backend = await wt.getBackend('cpu'); }
      const c = backend.matmul(backend.tensor([1, 2, 3, 4], [2, 2]), backend.tensor([5, 6, 7, 8], [2, 2]));
      console.log(JSON.stringify({ backend: backend.name, c: Array.from(await c.data()) }));
      backend.destroy();
    `;
    const out = run('node', ['--input-type=module', '-e', script], app).trim().split('\n').pop()!;
    const result = JSON.parse(out) as { backend: string; c: number[] };
    expect(result.c).toEqual([19, 22, 43, 50]);
    if (gpuRequired) expect(result.backend).toBe('webgpu');

    // The bin entry: `npx webgpu-train …` from the installed package, training on a 2-D set.
    const help = run('npx', ['--no-install', 'webgpu-train', '--help'], app);
    expect(help).toContain('Usage:');
    const trained = run('npx', ['--no-install', 'webgpu-train', 'train', '--data', 'xor', '--epochs', '2', '--no-save', '--backend', 'cpu'], app);
    expect(trained).toMatch(/epoch 2\/2 · loss \d\.\d{4}/);
  }, 240_000);
});
