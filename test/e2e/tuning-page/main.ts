// The page test/e2e/tuning.test.ts drives: a WebGPU backend in the browser
// tunes two GEMM buckets with autotuning forced on, and reports which clock
// timed them (the pass's timestamps where the adapter has timestamp-query),
// each candidate's GPU and wall milliseconds, and the tuned products' largest
// difference from a plain JavaScript product; and it profiles training
// steps of a small model, dispatch by dispatch, on the same clock.
import { adam, dense, sequential, WebGpuBackend, type StepProfile } from '../../../src/index.js';

export interface TuningResult {
  adapter: string;
  features: readonly string[];
  clock: string;
  stats: { timingRuns: number; timestampRuns: number; bucketsTimed: number };
  buckets: { key: string; clock: string | undefined; ms: number; timings: { ms: number; wallMs: number }[] }[];
  /** Largest |tuned − reference| over each product, and the reference's largest magnitude. */
  errors: { shape: string; maxError: number; scale: number }[];
}

/** A plain triple loop: the reference the tuned kernels must match. */
function reference(a: Float32Array, b: Float32Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) out[i * n + j]! += a[i * n + k]! * b[k * n + j]!;
  return out;
}

async function tune(): Promise<TuningResult> {
  const gpu = await WebGpuBackend.create({ autotune: true, tuningCache: false });
  const sizes = [64, 128];
  const report = await gpu.tuneMatmul(sizes.map((n) => ({ M: n, N: n, K: n })));
  const errors: TuningResult['errors'] = [];
  for (const n of sizes) {
    const a = Float32Array.from({ length: n * n }, (_, i) => Math.sin(i * 0.37));
    const b = Float32Array.from({ length: n * n }, (_, i) => Math.cos(i * 0.11));
    const got = await gpu.matmul(gpu.tensor(a, [n, n]), gpu.tensor(b, [n, n])).data();
    const want = reference(a, b, n);
    let maxError = 0;
    let scale = 0;
    want.forEach((w, i) => {
      maxError = Math.max(maxError, Math.abs(got[i]! - w));
      scale = Math.max(scale, Math.abs(w));
    });
    errors.push({ shape: `${n}³`, maxError, scale });
  }
  const stats = gpu.tuningStats();
  const result: TuningResult = {
    adapter: gpu.adapterName,
    features: gpu.adapterFeatures,
    clock: report.clock,
    stats: { timingRuns: stats.timingRuns, timestampRuns: stats.timestampRuns, bucketsTimed: stats.bucketsTimed },
    buckets: report.buckets.map((bk) => ({ key: bk.key, clock: bk.clock, ms: bk.ms, timings: (bk.timings ?? []).map((t) => ({ ms: t.ms, wallMs: t.wallMs })) })),
    errors,
  };
  gpu.destroy();
  return result;
}

export interface ProfileResult {
  profile: StepProfile;
  /** Whether the weights after profiling are bit for bit those before. */
  unchanged: boolean;
  /** A profile of more passes than one query set holds (2,048): its dispatches, unreadable ones, and the largest and smallest. */
  many: { dispatches: number; unreadable: number; maxMs: number; minMs: number; wallMs: number };
}

/** Profiles 4 training steps of a small classifier, on the GPU's clock where the adapter has timestamps. */
async function profile(): Promise<ProfileResult> {
  const gpu = await WebGpuBackend.create({ tuningCache: false });
  const x = Array.from({ length: 128 }, (_, i) => Array.from({ length: 64 }, (_, j) => Math.sin(i * 64 + j)));
  const y = x.map((row) => Array.from({ length: 10 }, (_, k) => (k === Math.floor(Math.abs(row[0]!) * 10) % 10 ? 1 : 0)));
  const model = sequential([dense({ units: 32, activation: 'relu', inputShape: [64] }), dense({ units: 10, activation: 'softmax' })], { backend: gpu, seed: 5 });
  model.compile({ optimizer: adam(), loss: 'categoricalCrossentropy' });
  const flat = async () => (await model.getWeights()).flatMap((w) => Array.from(w));
  const before = await flat();
  const result = await model.profileSteps(x, y, { batchSize: 32, steps: 4 });
  const after = await flat();
  model.dispose();
  // 2,100 small products: their timestamps span two query sets.
  const a = gpu.tensor(Float32Array.from({ length: 16 }, (_, i) => i), [4, 4]);
  const small = gpu.record(() => void gpu.matmul(a, a));
  const many = await gpu.profile(Array.from({ length: 2100 }, () => small));
  const ms = many.dispatches.map((d) => d.ms);
  gpu.destroy();
  return {
    profile: result,
    unchanged: before.length === after.length && before.every((v, i) => Object.is(v, after[i])),
    many: { dispatches: ms.length, unreadable: many.unreadable, maxMs: Math.max(...ms), minMs: Math.min(...ms), wallMs: many.wallMs },
  };
}

(window as unknown as { steps: { tune: typeof tune; profile: typeof profile } }).steps = { tune, profile };
document.querySelector('[data-testid=status]')!.textContent = 'ready';
