// matmul.wgsl against the CPU reference, over shapes that hit every edge:
// 1×1, primes, non-multiples of the 32×32 tile, and a 512³ product.
import { afterAll, describe, expect, it } from 'vitest';
import { chooseGemm } from '../../src/backend/webgpu/gemm.js';
import { TILINGS } from '../../src/backend/webgpu/matmul-tiling.js';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import type { ActivationName } from '../../src/backend/backend.js';
import { Random } from '../../src/random.js';
import { ErrorReport } from '../helpers/compare.js';
import { gpuIt } from '../helpers/gpu.js';

const cpu = new CpuBackend();
const report = new ErrorReport('matmul parity (webgpu vs cpu)');
afterAll(() => report.print());

// [M, K, N]
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [7, 13, 31],
  [31, 7, 13],
  [127, 31, 7],
  [13, 127, 1],
  [1, 127, 13],
  [33, 65, 17],
  [64, 64, 64],
  [100, 784, 128],
  [512, 512, 512],
];
// The register kernel loads vec4s: every dimension a multiple of 4, but not of its 8×8 block.
const ALIGNED_SHAPES: [number, number, number][] = [
  [4, 4, 4],
  [12, 20, 36],
  [36, 12, 44],
  [100, 784, 128],
  [128, 128, 10 * 4],
  [516, 260, 132],
];
const FORMS = [
  { name: 'A·B', transposeA: false, transposeB: false },
  { name: 'A·Bᵀ', transposeA: false, transposeB: true },
  { name: 'Aᵀ·B', transposeA: true, transposeB: false },
] as const;

// Inputs are uniform in [-1, 1): float32 sums of K products carry an error
// that grows with K, so the absolute tolerance scales with √K.
const tolerance = (K: number) => ({ atol: 2e-6 * Math.sqrt(K), rtol: 1e-5, note: 'atol 2e-6·√K, rtol 1e-5' });

describe('matmul', () => {
  for (const kernel of ['tiled', 'naive', 'register'] as const) {
    for (const form of FORMS) {
      for (const [M, K, N] of kernel === 'register' ? ALIGNED_SHAPES : SHAPES) {
        // The naive baseline only needs to be right, not to run the largest case thrice.
        if (kernel === 'naive' && M * K * N > 1e7 && form.name !== 'A·B') continue;
        gpuIt(`${kernel} ${form.name} M=${M} K=${K} N=${N}`, async (gpu) => {
          const rng = new Random(M * 1_000_003 + K * 1009 + N);
          const aShape = form.transposeA ? [K, M] : [M, K];
          const bShape = form.transposeB ? [N, K] : [K, N];
          const a = rng.fill(M * K);
          const b = rng.fill(K * N);
          const want = await cpu.matmul(cpu.tensor(a, aShape), cpu.tensor(b, bShape), form).data();
          const ga = gpu.tensor(a, aShape);
          const gb = gpu.tensor(b, bShape);
          const gc = gpu.matmulWith(kernel, ga, gb, form);
          const got = await gc.data();
          report.check(`matmul_${kernel} ${form.name}`, `${M}×${K}·${K}×${N}`, got, want, tolerance(K));
          for (const t of [ga, gb, gc]) t.dispose();
        });
      }
    }
  }

  // The tiled kernel's other tiles: 64×64 of 4×4 blocks (hardware GPUs' default) and
  // 128×128 of 8×8 blocks, over edges of both and the fused epilogues.
  // 64³, 128×64×256 and 256×8×128 are whole tiles (the fast path without edge checks).
  const TILE_SHAPES: [number, number, number][] = [[1, 1, 1], [7, 13, 31], [33, 65, 17], [64, 64, 64], [128, 64, 256], [256, 8, 128], [130, 70, 260], [129, 9, 127]];
  for (const tile of ['large', 'huge'] as const) {
    for (const form of FORMS) {
      for (const [M, K, N] of TILE_SHAPES) {
        gpuIt(`tiled (${tile} tile) ${form.name} M=${M} K=${K} N=${N}`, async (gpu) => {
          const rng = new Random(M * 1_000_003 + K * 1009 + N + 17);
          const aShape = form.transposeA ? [K, M] : [M, K];
          const bShape = form.transposeB ? [N, K] : [K, N];
          const a = rng.fill(M * K);
          const b = rng.fill(K * N);
          const bias = rng.fill(N);
          const opts = (be: typeof cpu | typeof gpu) => ({ ...form, bias: be.tensor(bias, [N]), activation: 'tanh' as const });
          const want = await cpu.matmul(cpu.tensor(a, aShape), cpu.tensor(b, bShape), opts(cpu)).data();
          gpu.tuning.gemmTile = tile;
          try {
            const got = await gpu.matmulWith('tiled', gpu.tensor(a, aShape), gpu.tensor(b, bShape), opts(gpu)).data();
            report.check(`matmul_tiled ${tile} tile ${form.name} + bias + tanh`, `${M}×${K}·${K}×${N}`, got, want, tolerance(K));
          } finally {
            delete gpu.tuning.gemmTile;
          }
        });
      }
    }
  }

  it('whole tiles take the fast path without edge checks; any edge, a split or a convolution keeps them', () => {
    const tiled = TILINGS.huge;
    const base = { form: 'nn' as const, kernel: 'tiled' as const, tiled, split: false, software: false, edgeFree: true };
    expect(chooseGemm({ ...base, M: 128, N: 256, K: 64 }).constants.ALIGNED).toBe(true);
    expect(chooseGemm({ ...base, M: 128, N: 256, K: 60 }).constants.ALIGNED).toBeUndefined();
    expect(chooseGemm({ ...base, M: 130, N: 256, K: 64 }).constants.ALIGNED).toBeUndefined();
    expect(chooseGemm({ ...base, M: 128, N: 256, K: 64, edgeFree: false }).constants.ALIGNED).toBeUndefined();
    expect(chooseGemm({ ...base, M: 128, N: 128, K: 8192, split: true }).constants.ALIGNED).toBeUndefined();
    expect(chooseGemm({ ...base, M: 64, N: 64, K: 64, tiled: TILINGS.large }).constants.ALIGNED).toBe(true);
  });

  // Backward fusion: dZ = (dY·Wᵀ) ⊙ f'(Y) in the epilogue, on every kernel.
  for (const activation of ['relu', 'sigmoid', 'tanh'] as const) {
    for (const kernel of ['tiled', 'register'] as const) {
      gpuIt(`${kernel} A·Bᵀ fused with the ${activation} derivative`, async (gpu) => {
        const [M, K, N] = [36, 12, 44];
        const rng = new Random(3 * M + K);
        const dy = rng.fill(M * K);
        const w = rng.fill(N * K);
        // A forward output of the activation: relu ≥ 0 with zeros, sigmoid in (0, 1), tanh in (−1, 1).
        const y = Float32Array.from(rng.fill(M * N, -2, 2), (v) => (activation === 'relu' ? Math.max(v, 0) : activation === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : Math.tanh(v)));
        const opts = (b: typeof cpu | typeof gpu) => ({ transposeB: true, derivativeOf: { activation, output: b.tensor(y, [M, N]) } });
        const want = await cpu.matmul(cpu.tensor(dy, [M, K]), cpu.tensor(w, [N, K]), opts(cpu)).data();
        // The CPU twin itself: the unfused product times f'(y).
        const plain = await cpu.matmul(cpu.tensor(dy, [M, K]), cpu.tensor(w, [N, K]), { transposeB: true }).data();
        const unfused = await cpu.activationBackward(cpu.tensor(plain, [M, N]), cpu.tensor(y, [M, N]), activation).data();
        report.check(`matmul derivative (cpu twin vs unfused)`, activation, want, unfused, { atol: 1e-6, rtol: 1e-6 });
        const got = await gpu.matmulWith(kernel, gpu.tensor(dy, [M, K]), gpu.tensor(w, [N, K]), opts(gpu)).data();
        report.check(`matmul_${kernel} derivative epilogue`, activation, got, want, tolerance(K));
      });
    }
  }

  // Bias-gradient fusion: dW = xᵀ·dZ and db = Σ dZ (a row of ones appended to op(A)) in one pass, on every kernel.
  for (const kernel of ['tiled', 'naive', 'register'] as const) {
    for (const [M, K, N] of (kernel === 'register' ? [[4, 1, 4], [12, 20, 36], [784, 128, 128], [128, 32, 12]] : [[1, 1, 1], [7, 13, 31], [33, 65, 17], [784, 128, 10]]) as [number, number, number][]) {
      gpuIt(`${kernel} Aᵀ·B with the column sums of B M=${M} K=${K} N=${N}`, async (gpu) => {
        const rng = new Random(7 * M + 11 * K + N);
        const x = rng.fill(K * M);
        const dz = rng.fill(K * N);
        const cpuSums = cpu.zeros([N]);
        const want = await cpu.matmul(cpu.tensor(x, [K, M]), cpu.tensor(dz, [K, N]), { transposeA: true, columnSumsInto: cpuSums }).data();
        const wantSums = await cpuSums.data();
        // The CPU twin against the definition: Σ over k of dZ[k, n].
        const direct = Float32Array.from({ length: N }, (_, n) => Array.from({ length: K }, (_, k) => dz[k * N + n]!).reduce((a, b) => a + b, 0));
        report.check('matmul column sums (cpu twin vs definition)', `${K}×${N}`, wantSums, direct, { atol: 1e-5, rtol: 1e-6 });
        const sums = gpu.zeros([N]);
        const got = await gpu.matmulWith(kernel, gpu.tensor(x, [K, M]), gpu.tensor(dz, [K, N]), { transposeA: true, columnSumsInto: sums }).data();
        report.check(`matmul_${kernel} Aᵀ·B + column sums: product`, `${M}×${K}·${K}×${N}`, got, want, tolerance(K));
        report.check(`matmul_${kernel} Aᵀ·B + column sums: sums`, `${K}×${N}`, await sums.data(), wantSums, tolerance(K));
      });
    }
  }

  gpuIt('matmul picks the register kernel on software adapters when the shape allows, and it refuses others', async (gpu) => {
    const a = gpu.tensor(new Float32Array(7 * 13), [7, 13]);
    const b = gpu.tensor(new Float32Array(13 * 3), [13, 3]);
    const before = gpu.stats().dispatches;
    expect(() => gpu.matmulWith('register', a, b)).toThrow(/the register kernel needs vec4-aligned dimensions, got M=7 N=3 K=13/);
    expect(gpu.stats().dispatches).toBe(before);
    if (gpu.isSoftwareAdapter) {
      // The chosen kernel shows in the pipeline cache: a fitting shape compiles gemm_register_nn.
      const x = gpu.tensor(new Float32Array(8 * 8), [8, 8]);
      gpu.matmul(x, x);
      expect(gpu.pipelineKeys().some((k) => k.startsWith('matmul:gemm_register_nn:'))).toBe(true);
    }
  });

  // gpu.matmul chooses its kernel by adapter and shape: the epilogue is checked on both paths.
  const EPILOGUES: ActivationName[] = ['linear', 'relu', 'sigmoid', 'tanh'];
  for (const activation of EPILOGUES) {
    for (const [M, K, N] of [[7, 13, 31], [100, 784, 128], [33, 65, 1], [36, 12, 44]] as const) {
      gpuIt(`fused bias + ${activation} M=${M} K=${K} N=${N}`, async (gpu) => {
        const rng = new Random(7 * M + N);
        const a = rng.fill(M * K);
        const b = rng.fill(K * N);
        const bias = rng.fill(N);
        const want = await cpu.matmul(cpu.tensor(a, [M, K]), cpu.tensor(b, [K, N]), { bias: cpu.tensor(bias, [N]), activation }).data();
        const got = await gpu.matmul(gpu.tensor(a, [M, K]), gpu.tensor(b, [K, N]), { bias: gpu.tensor(bias, [N]), activation }).data();
        report.check(`matmul bias+${activation}`, `${M}×${K}·${K}×${N}`, got, want, tolerance(K));
      });
    }
  }
});
