// GEMM autotuning (src/backend/webgpu/autotune.ts), forced on for the
// software adapter: each bucket of products is timed once and decided; the
// tuned products match the CPU; decisions persist in a cache directory and a
// second backend loads them without timing; a file for other kernel sources
// or a corrupt one is ignored; and a fit tunes before its plans are recorded,
// never inside its epochs, with the same results and dispatch counts.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import { WebGpuBackend, type TunedBucket } from '../../src/backend/webgpu/index.js';
import { gemmCandidates, gemmSourceHash, localStorageTuningStore, TUNING_FORMAT } from '../../src/backend/webgpu/autotune.js';
import { passMilliseconds } from '../../src/backend/webgpu/gpu-timer.js';
import { tuningFilePath } from '../../src/backend/webgpu/tuning-store-node.js';
import { sequential, dense } from '../../src/index.js';
import { Random } from '../../src/random.js';
import { ErrorReport } from '../helpers/compare.js';
import { kerasExampleData } from '../helpers/datasets.js';
import { gpuIt } from '../helpers/gpu.js';

const cpu = new CpuBackend();
const report = new ErrorReport('autotuned GEMM parity (webgpu vs cpu)');
const root = mkdtempSync(join(tmpdir(), 'webgpu-train-tuning-'));
afterAll(() => {
  report.print();
  rmSync(root, { recursive: true, force: true });
});

const tolerance = (K: number) => ({ atol: 2e-6 * Math.sqrt(K), rtol: 1e-5, note: 'atol 2e-6·√K, rtol 1e-5' });

// Small products in the three forms: M, N, K multiples of 4 (the register forms fit) and one odd shape.
const SHAPES = [
  { M: 64, N: 32, K: 128 },
  { M: 64, N: 32, K: 128, transposeB: true },
  { M: 64, N: 32, K: 128, transposeA: true },
  { M: 30, N: 17, K: 70 },
];

async function matmulParity(gpu: WebGpuBackend, s: (typeof SHAPES)[number], what: string) {
  const rng = new Random(s.M * 1009 + s.N * 31 + s.K);
  const aShape = s.transposeA ? [s.K, s.M] : [s.M, s.K];
  const bShape = s.transposeB ? [s.N, s.K] : [s.K, s.N];
  const a = rng.fill(s.M * s.K);
  const b = rng.fill(s.K * s.N);
  const form = { transposeA: !!s.transposeA, transposeB: !!s.transposeB };
  const want = await cpu.matmul(cpu.tensor(a, aShape), cpu.tensor(b, bShape), form).data();
  const got = await gpu.matmul(gpu.tensor(a, aShape), gpu.tensor(b, bShape), form).data();
  report.check(what, `${s.M}×${s.K}·${s.K}×${s.N}${s.transposeA ? ' Aᵀ' : ''}${s.transposeB ? ' Bᵀ' : ''}`, got, want, tolerance(s.K));
}

const describeDecision = (d: object) => JSON.stringify(d).replace(/"/g, '');
const describeBucket = (b: TunedBucket) =>
  `  ${b.key}: ${describeDecision(b.decision)} ${b.ms.toFixed(3)} ms/product (rule ${b.ruleMs.toFixed(3)}); tried ` +
  (b.timings ?? []).map((t) => `${describeDecision(t.decision)} ${t.ms.toFixed(3)}`).join(', ');

describe('GEMM autotuning', () => {
  const dir = join(root, 'cache');

  gpuIt('is off by default on a software adapter (on for GPUs), as the option says otherwise, off when a kernel or tile is forced', async (gpu) => {
    expect(gpu.autotune).toBe(!gpu.isSoftwareAdapter);
    gpu.tuning.autotune = false;
    const report0 = await gpu.tuneFor(() => void gpu.matmul(gpu.zeros([8, 8]), gpu.zeros([8, 8])));
    expect(report0.timed).toBe(0);
    expect(gpu.tuningStats().timingRuns).toBe(0);
    gpu.tuning.autotune = true;
    expect(gpu.autotune).toBe(true);
    gpu.tuning.gemmKernel = 'tiled';
    expect(gpu.autotune).toBe(false);
    delete gpu.tuning.gemmKernel;
    gpu.tuning.gemmTile = 'large';
    expect(gpu.autotune).toBe(false);
    delete gpu.tuning.gemmTile;
  });

  it("reads a pass's two timestamps as a duration only when they can be one", () => {
    expect(passMilliseconds(1_000_000n, 3_500_000n)).toBe(2.5);
    // Dawn's quantized clock: both ends rounded down to 65,536 ns.
    expect(passMilliseconds(65_536n * 10n, 65_536n * 12n)).toBeCloseTo(0.131072, 9);
    // Zeros (an adapter that wrote nothing), an empty or a backwards interval: no duration.
    expect(passMilliseconds(0n, 0n)).toBeUndefined();
    expect(passMilliseconds(0n, 5_000n)).toBeUndefined();
    expect(passMilliseconds(7_000n, 7_000n)).toBeUndefined();
    expect(passMilliseconds(9_000n, 2_000n)).toBeUndefined();
    // Nanosecond counters past 2^53 (a GPU up for months) still subtract exactly.
    expect(passMilliseconds(2n ** 60n, 2n ** 60n + 1_234_567n)).toBe(1.234567);
  });

  it('keeps decisions in localStorage in a browser, one entry per adapter, ignoring what it cannot parse', async () => {
    const items = new Map<string, string>();
    const storage = { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
    const store = localStorageTuningStore(storage);
    const bucket = { key: 'matmul:nn:64x64x64:r', decision: { kernel: 'tiled' as const, tile: 'large' as const }, ms: 0.5, ruleMs: 0.6 };
    await store.save('some adapter', 'hash1', { [bucket.key]: bucket });
    expect([...items.keys()]).toEqual(['webgpu-train:gemm-tuning:some adapter']);
    expect(await store.load('some adapter', 'hash1')).toEqual({ [bucket.key]: bucket });
    expect(await store.load('some adapter', 'hash2')).toBeUndefined();
    expect(await store.load('another adapter', 'hash1')).toBeUndefined();
    items.set('webgpu-train:gemm-tuning:some adapter', 'not json');
    expect(await store.load('some adapter', 'hash1')).toBeUndefined();
    // A bucket naming a kernel that does not exist is dropped, the others kept.
    const bad = { ...bucket, key: 'matmul:nn:8x8x8:r', decision: { kernel: 'fast' } };
    items.set('webgpu-train:gemm-tuning:some adapter', JSON.stringify({ format: TUNING_FORMAT, adapter: 'some adapter', sourceHash: 'hash1', buckets: { [bucket.key]: bucket, [bad.key]: bad } }));
    expect(await store.load('some adapter', 'hash1')).toEqual({ [bucket.key]: bucket });
    // Full or blocked storage is no error.
    const full = localStorageTuningStore({ getItem: () => { throw new Error('blocked'); }, setItem: () => { throw new Error('full'); } });
    await expect(full.save('a', 'h', {})).resolves.toBeUndefined();
    await expect(full.load('a', 'h')).resolves.toBeUndefined();
  });

  gpuIt('times each bucket once, records a decision, and the tuned products match the CPU', async (gpu) => {
    gpu.tuning.tuningCache = dir;
    delete gpu.tuning.autotune;
    const report1 = await gpu.tuneMatmul(SHAPES);
    const stats = gpu.tuningStats();
    console.log(
      `tuned ${report1.timed} buckets in ${report1.ms.toFixed(0)} ms (${stats.timingRuns} timing runs):\n` +
        report1.buckets.map(describeBucket).join('\n'),
    );
    expect(report1.buckets).toHaveLength(4);
    expect(report1.timed).toBe(4);
    expect(stats.timingRuns).toBeGreaterThan(4 * 2);
    for (const b of report1.buckets) {
      expect(b.ms).toBeGreaterThan(0);
      expect(b.ms).toBeLessThanOrEqual(b.ruleMs);
    }
    // The clock: the pass's timestamps where the device has timestamp-query (tested in the browser, on
    // SwiftShader: test/e2e/tuning.test.ts); the wall clock where it has not, as llvmpipe.
    const clock = gpu.adapterFeatures.includes('timestamp-query') ? 'gpu' : 'wall';
    expect(report1.clock).toBe(clock);
    expect(report1.buckets.map((b) => b.clock)).toEqual(report1.buckets.map(() => clock));
    expect(stats.timestampRuns).toBe(clock === 'gpu' ? stats.timingRuns : 0);
    // On the wall clock, a candidate's time is its wall time.
    if (clock === 'wall') for (const b of report1.buckets) for (const t of b.timings ?? []) expect(t.ms).toBe(t.wallMs);
    // Asked again: nothing is timed.
    const again = await gpu.tuneMatmul(SHAPES);
    expect(again.timed).toBe(0);
    expect(gpu.tuningStats().timingRuns).toBe(stats.timingRuns);
    // Persisted, keyed by adapter and kernel sources.
    const file = JSON.parse(readFileSync(tuningFilePath(dir, gpu.adapterName), 'utf8'));
    expect(file.format).toBe(TUNING_FORMAT);
    expect(file.sourceHash).toBe(gemmSourceHash());
    expect(Object.keys(file.buckets).sort()).toEqual(report1.buckets.map((b) => b.key).sort());
    for (const s of SHAPES) await matmulParity(gpu, s, 'matmul, tuned choice');
  });

  gpuIt('every candidate a bucket may pick gives the same products', async (gpu) => {
    const keys = gpu.tunedDecisions().map((b) => b.key);
    const tuned = new Map(gpu.tunedDecisions().map((b) => [b.key, b.decision]));
    try {
      for (const [i, s] of SHAPES.entries()) {
        const register = s.M % 4 === 0 && s.N % 4 === 0 && s.K % 4 === 0;
        for (const d of gemmCandidates({ kernel: register ? 'register' : 'tiled', register, split: false })) {
          gpu.setTunedDecision(keys[i]!, d);
          await matmulParity(gpu, s, `matmul, ${d.kernel}${d.tile ? ` ${d.tile}` : ''}${d.maxBlock ? ` block ≤${d.maxBlock}` : ''}`);
        }
      }
    } finally {
      for (const [k, d] of tuned) gpu.setTunedDecision(k, d);
    }
  });

  gpuIt('convolutions: forward, backward data and the split filter gradient tune and match the CPU', async (gpu) => {
    gpu.tuning.tuningCache = false;
    const rng = new Random(3);
    const xShape = [4, 16, 16, 4];
    const kShape = [3, 3, 4, 8];
    const x = rng.fill(4 * 16 * 16 * 4);
    const w = rng.fill(3 * 3 * 4 * 8);
    const dy = rng.fill(4 * 16 * 16 * 8);
    const opts = { padding: 'same' as const };
    const ops = (b: CpuBackend | WebGpuBackend) => {
      const xt = b.tensor(x, xShape);
      const kt = b.tensor(w, kShape);
      const dyt = b.tensor(dy, [4, 16, 16, 8]);
      const y = b.conv2d(xt, kt, { ...opts, activation: 'relu' });
      const dx = b.conv2dBackwardData(dyt, kt, { ...opts, inputShape: xShape });
      const g = b.conv2dBackwardFilter(xt, dyt, { ...opts, kernelSize: [3, 3], bias: true });
      return [y, dx, g.kernel, g.bias!];
    };
    const passes = async (b: CpuBackend | WebGpuBackend) => Promise.all(ops(b).map((t) => t.data()));
    const tuned = await gpu.tuneFor(() => void ops(gpu), { force: true });
    console.log(tuned.buckets.map(describeBucket).join('\n'));
    expect(tuned.buckets.map((b) => b.key.split(':')[0])).toEqual(['conv2d_forward', 'conv2d_backward_data', 'conv2d_backward_filter']);
    const want = await passes(cpu);
    const K = [3 * 3 * 4, 3 * 3 * 8, 4 * 16 * 16, 4 * 16 * 16];
    const check = (got: Float32Array[], what: string) =>
      ['forward', 'backward data', 'backward filter', 'backward bias'].forEach((pass, i) => report.check(`conv2d ${pass}, ${what}`, 'x [4, 16, 16, 4] * 3×3×8 same', got[i]!, want[i]!, tolerance(K[i]!)));
    check(await passes(gpu), 'tuned choice');
    // The filter gradient's candidates, with and without the split reduction.
    const filterKey = tuned.buckets[2]!.key;
    for (const d of gemmCandidates({ kernel: 'register', register: true, split: true })) {
      gpu.setTunedDecision(filterKey, d);
      check(await passes(gpu), `filter gradient as ${describeDecision(d)}`);
    }
    gpu.setTunedDecision(filterKey, tuned.buckets[2]!.decision);
  });

  gpuIt('a second backend with the same cache directory loads the decisions without timing', async (gpu) => {
    const other = await WebGpuBackend.create({ autotune: true, tuningCache: dir });
    try {
      const r = await other.tuneMatmul(SHAPES);
      expect(r.timed).toBe(0);
      expect(other.tuningStats().timingRuns).toBe(0);
      expect(other.tuningStats().bucketsLoaded).toBe(4);
      const mine = new Map(gpu.tunedDecisions().map((b) => [b.key, b.decision]));
      for (const b of r.buckets) expect(b.decision).toEqual(mine.get(b.key));
      for (const s of SHAPES) await matmulParity(other, s, 'matmul, decisions loaded from disk');
    } finally {
      other.destroy();
    }
  });

  gpuIt('a file written for other kernel sources, or a corrupt one, is ignored and replaced', async (gpu) => {
    const file = readFileSync(tuningFilePath(dir, gpu.adapterName), 'utf8');
    const stale = join(root, 'stale');
    const corrupt = join(root, 'corrupt');
    const missing = join(root, 'missing', 'nested');
    const staleFile = tuningFilePath(stale, gpu.adapterName);
    const corruptFile = tuningFilePath(corrupt, gpu.adapterName);
    // Same decisions, another source hash (a changed shader).
    const parsed = JSON.parse(file);
    parsed.sourceHash = '0'.repeat(14);
    for (const [d, where, text] of [[stale, staleFile, JSON.stringify(parsed)], [corrupt, corruptFile, '{"format": "webgpu-train gemm tun']] as const) {
      mkdirSync(d, { recursive: true });
      writeFileSync(where, text);
    }
    for (const [name, directory] of [['stale', stale], ['corrupt', corrupt], ['missing', missing]] as const) {
      const b = await WebGpuBackend.create({ autotune: true, tuningCache: directory });
      try {
        const r = await b.tuneMatmul(SHAPES.slice(0, 1));
        expect(r.timed, name).toBe(1);
        expect(b.tuningStats().bucketsLoaded, name).toBe(0);
        expect(b.tuningStats().timingRuns, name).toBeGreaterThan(0);
      } finally {
        b.destroy();
      }
      const written = JSON.parse(readFileSync(tuningFilePath(directory, gpu.adapterName), 'utf8'));
      expect(written.sourceHash, name).toBe(gemmSourceHash());
    }
    // Persistence off: nothing written.
    const none = join(root, 'none');
    const b = await WebGpuBackend.create({ autotune: true, tuningCache: false });
    try {
      await b.tuneMatmul(SHAPES.slice(0, 1));
    } finally {
      b.destroy();
    }
    expect(existsSync(none)).toBe(false);
  });

  gpuIt('fit tunes before recording, never inside its epochs: same weights and dispatch counts as without', async (gpu) => {
    const { x, y } = kerasExampleData(3, 200);
    const run = async (autotune: boolean) => {
      gpu.tuning.autotune = autotune;
      gpu.tuning.tuningCache = false;
      const model = sequential([dense({ units: 16, activation: 'relu', inputShape: [10] }), dense({ units: 8, activation: 'relu' }), dense({ units: 1, activation: 'sigmoid' })], { backend: gpu, seed: 1 });
      model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      const epochs: { submissions: number; readbacks: number; dispatches: number; timingRuns: number }[] = [];
      let last = gpu.stats();
      let runsAtStart = 0;
      await model.fit(x, y, {
        epochs: 3,
        batchSize: 16,
        validationSplit: 0.2,
        callbacks: {
          onTrainBegin: () => {
            runsAtStart = gpu.tuningStats().timingRuns;
            last = gpu.stats();
          },
          onEpochEnd: () => {
            const now = gpu.stats();
            epochs.push({ submissions: now.submissions - last.submissions, readbacks: now.readbacks - last.readbacks, dispatches: now.dispatches - last.dispatches, timingRuns: gpu.tuningStats().timingRuns - runsAtStart });
            last = now;
          },
        },
      });
      const weights = await model.getWeights();
      model.dispose();
      return { epochs, weights };
    };
    gpu.clearTunedDecisions();
    const start = gpu.tuningStats();
    const off = await run(false);
    expect(gpu.tuningStats()).toEqual(start);
    const before = gpu.tuningStats();
    const on = await run(true);
    const after = gpu.tuningStats();
    const decided = gpu.tunedDecisions();
    console.log(
      `fit with autotune: ${after.bucketsTimed - before.bucketsTimed} buckets timed in ${(after.ms - before.ms).toFixed(0)} ms:\n` +
        decided.map(describeBucket).join('\n') +
        `\nper epoch off: ${JSON.stringify(off.epochs[1])}; on: ${JSON.stringify(on.epochs[1])}`,
    );
    // Forward, dX and dW of each layer, and the validation forward: in buckets.
    expect(after.bucketsTimed - before.bucketsTimed).toBeGreaterThanOrEqual(3);
    for (const [i, e] of on.epochs.entries()) {
      expect(e.timingRuns).toBe(0);
      expect(e.submissions).toBe(1);
      expect(e.readbacks).toBe(1);
      expect(e.dispatches).toBe(off.epochs[i]!.dispatches);
    }
    const compareWeights = (got: Float32Array[], what: string) =>
      got.forEach((w, i) => report.check(`fit weights, ${what}`, `layer weight ${i}`, w, off.weights[i]!, { atol: 1e-5, rtol: 1e-4, note: 'atol 1e-5, rtol 1e-4 after 3 epochs' }));
    compareWeights(on.weights, 'autotune on vs off');

    // The decisions do reach the recorded plans: the naive kernel (never a candidate) for every bucket.
    for (const b of decided) gpu.setTunedDecision(b.key, { kernel: 'naive' });
    const naive = await run(true);
    expect(gpu.pipelineKeys().some((k) => k.startsWith('matmul:gemm_naive'))).toBe(true);
    for (const [i, e] of naive.epochs.entries()) expect(e.dispatches).toBe(off.epochs[i]!.dispatches);
    compareWeights(naive.weights, 'every bucket on the naive kernel');
    gpu.clearTunedDecisions();
    delete gpu.tuning.autotune;
  });
});
