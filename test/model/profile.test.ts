// Profiling: Backend.profile runs plans with each dispatch timed on its own
// (the GPU's timestamps where the device has them, as in Chromium:
// test/e2e/tuning.test.ts; the wall clock around each dispatch here on
// llvmpipe), and Sequential.profileSteps times training steps of a model,
// leaving its weights, optimizer state and step count as they were.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import { kernelTotals } from '../../src/backend/backend.js';
import { adam, dense, sequential, tensor, type Backend, type WebGpuBackend } from '../../src/index.js';
import { Random } from '../../src/random.js';
import { gpuIt } from '../helpers/gpu.js';

const rng = new Random(11);
const ROWS = 256;
const x = Array.from({ length: ROWS }, () => Array.from(rng.fill(64)));
const y = x.map((row) => {
  const k = row.indexOf(Math.max(...row)) % 10;
  return Array.from({ length: 10 }, (_, j) => (j === k ? 1 : 0));
});

function mlp(backend: Backend) {
  const m = sequential([dense({ units: 32, activation: 'relu', inputShape: [64] }), dense({ units: 10, activation: 'softmax' })], { backend, seed: 5 });
  m.compile({ optimizer: adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}
const flat = async (m: ReturnType<typeof mlp>) => (await m.getWeights()).flatMap((w) => Array.from(w));

describe('profiling', () => {
  it('sums kernels, the longest first, with their shares', () => {
    const totals = kernelTotals([
      { kernel: 'matmul.gemm_register', ms: 1 },
      { kernel: 'loss.main', ms: 0.5 },
      { kernel: 'matmul.gemm_register', ms: 2 },
      { kernel: 'adam.main', ms: 0.5 },
    ]);
    expect(totals).toEqual([
      { kernel: 'matmul.gemm_register', count: 2, ms: 3, share: 0.75 },
      { kernel: 'adam.main', count: 1, ms: 0.5, share: 0.125 },
      { kernel: 'loss.main', count: 1, ms: 0.5, share: 0.125 },
    ]);
    expect(kernelTotals([])).toEqual([]);
  });

  gpuIt('times each dispatch of plans and does their work', async (gpu: WebGpuBackend) => {
    const a = gpu.tensor(Float32Array.from({ length: 64 * 48 }, (_, i) => Math.sin(i)), [64, 48]);
    const b = gpu.tensor(Float32Array.from({ length: 48 * 32 }, (_, i) => Math.cos(i)), [48, 32]);
    const out = gpu.zeros([64, 32]);
    const plan = gpu.record(() => gpu.copy(gpu.matmul(a, b), out));
    const before = gpu.stats().dispatches;
    const profile = await gpu.profile([plan, plan]);
    const clock = gpu.adapterFeatures.includes('timestamp-query') ? 'gpu' : 'wall';
    console.log(`[profile] ${clock} clock: ${profile.dispatches.map((d) => `${d.kernel} ${d.ms.toFixed(3)} ms`).join(', ')}; wall ${profile.wallMs.toFixed(2)} ms`);
    expect(profile.clock).toBe(clock);
    expect(profile.dispatches.map((d) => d.kernel)).toEqual([expect.stringMatching(/^matmul\./), expect.stringMatching(/^matmul\./)]);
    expect(gpu.stats().dispatches - before).toBe(2);
    expect(profile.unreadable).toBe(0);
    for (const d of profile.dispatches) expect(d.ms).toBeGreaterThan(0);
    expect(profile.ms).toBeCloseTo(profile.dispatches[0]!.ms + profile.dispatches[1]!.ms, 9);
    expect(profile.ms).toBeLessThanOrEqual(profile.wallMs);
    expect(profile.kernels).toEqual(kernelTotals(profile.dispatches));
    // The copy ran too: out holds the product.
    const cpu = new CpuBackend();
    const want = await cpu.matmul(cpu.tensor(await a.data(), [64, 48]), cpu.tensor(await b.data(), [48, 32])).data();
    const got = await out.data();
    expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!)))).toBeLessThan(1e-5);
    plan.dispose();
    for (const t of [a, b, out]) t.dispose();
  });

  gpuIt('profileSteps times training steps, kernel by kernel, and leaves the model as it was', async (gpu: WebGpuBackend) => {
    const m = mlp(gpu);
    const twin = mlp(gpu);
    const start = await flat(m);
    const profile = await m.profileSteps(x, y, { batchSize: 32, steps: 4 });
    console.log(
      `[profile] ${profile.steps} steps of ${profile.batchSize}, ${profile.dispatchesPerStep} dispatches each, ${profile.msPerStep.toFixed(3)} ms a step (${profile.clock} clock):\n` +
        profile.kernels.map((k) => `  ${k.kernel} ×${k.count}: ${k.ms.toFixed(3)} ms (${(100 * k.share).toFixed(1)}%)`).join('\n'),
    );
    expect(profile.steps).toBe(4);
    expect(profile.batchSize).toBe(32);
    expect(profile.dispatchesPerStep).toBe(m.dispatchesPerStep(32));
    expect(profile.dispatches).toHaveLength(4 * profile.dispatchesPerStep);
    // Each step runs the same kernels in the same order.
    const step = profile.dispatches.slice(0, profile.dispatchesPerStep).map((d) => d.kernel);
    for (let s = 1; s < 4; s++) expect(profile.dispatches.slice(s * step.length, (s + 1) * step.length).map((d) => d.kernel)).toEqual(step);
    expect(step.some((k) => k.startsWith('optimizer.'))).toBe(true);
    expect(profile.kernels.reduce((sum, k) => sum + k.share, 0)).toBeCloseTo(1, 9);
    expect(profile.msPerStep).toBeCloseTo(profile.ms / 4, 9);
    // The steps trained for real, and were undone: the weights are bit for bit those before,
    // and training afterwards is the same as a twin's that was never profiled (Adam's moments and step restored).
    expect(await flat(m)).toEqual(start);
    const h1 = await m.fit(x, y, { epochs: 2, batchSize: 32 });
    const h2 = await twin.fit(x, y, { epochs: 2, batchSize: 32 });
    expect(h1.loss).toEqual(h2.loss);
    expect(await flat(m)).toEqual(await flat(twin));
    m.dispose();
    twin.dispose();
  });

  gpuIt('profileSteps says in one line what it cannot do', async (gpu: WebGpuBackend) => {
    const m = mlp(gpu);
    await expect(m.profileSteps(x, y, { batchSize: 32, steps: 9 })).rejects.toThrow(/^profileSteps: 9 steps of 32 samples need 288 samples, but x has 256$/);
    await expect(m.profileSteps(x, y, { steps: 0 })).rejects.toThrow(/^profileSteps: steps must be a positive integer, got 0$/);
    await expect(m.profileSteps(x, y.slice(1))).rejects.toThrow(/^profileSteps: x has 256 samples but y has 255$/);
    m.dispose();
    // A batch whose layer output is over the adapter's binding limit: refused before any upload, named as profileSteps.
    const rows = Math.ceil(gpu.maxTensorBytes / (1024 * 4)) + 1;
    const big = sequential([dense({ units: 1024, inputShape: [1] }), dense({ units: 1 })], { backend: gpu });
    big.compile({ optimizer: 'sgd', loss: 'mse' });
    const column = new Float32Array(rows);
    await expect(big.profileSteps(tensor(column, [rows, 1]), tensor(column, [rows, 1]), { batchSize: rows, steps: 1 })).rejects.toThrow(
      new RegExp(`^profileSteps: with batchSize ${rows}, layer 'dense(_\\d+)?' outputs \\[${rows}, 1024\\] .*, over the webgpu backend's limit of .* per tensor; use a smaller batchSize$`),
    );
    big.dispose();
    const onCpu = mlp(new CpuBackend());
    await expect(onCpu.profileSteps(x, y)).rejects.toThrow(/^profileSteps: the cpu backend has no dispatches to time; profile on the webgpu backend$/);
  });
});
