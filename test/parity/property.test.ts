// Property-based parity: shapes, transposes, activations, losses and
// convolution geometries drawn by fast-check, each op on the GPU compared
// with its CPU twin. A fixed seed in CI; PROPERTY_RUNS=500 (say) runs more,
// and PROPERTY_SEED another draw. A failure prints the shrunk case.
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import { ACTIVATIONS, LOSSES, type Backend, type LossName } from '../../src/backend/backend.js';
import { Random } from '../../src/random.js';
import { compare } from '../helpers/compare.js';
import { gpuIt } from '../helpers/gpu.js';

const cpu = new CpuBackend();
const RUNS = Number(process.env.PROPERTY_RUNS ?? 40);
const SEED = Number(process.env.PROPERTY_SEED ?? 20261128);
const params = { numRuns: RUNS, seed: SEED, endOnFailure: true };

/** Values for a shape, drawn from a seed (fast-check draws the seed; the values stay reproducible). */
const values = (seed: number, n: number, lo = -1, hi = 1) => new Random(seed).fill(n, lo, hi);

function within(got: Float32Array, want: Float32Array, atol: number, rtol: number, what: string): void {
  const c = compare(got, want, { atol, rtol });
  expect(c.worstRatio, `${what}: max |err| ${c.maxAbsError.toExponential(2)} at ${c.worstIndex}`).toBeLessThanOrEqual(1);
}

describe('property-based parity (webgpu vs cpu)', () => {
  gpuIt(`matmul in every form, with a fused epilogue (${RUNS} cases)`, async (gpu) => {
    const dim = fc.integer({ min: 1, max: 70 });
    await fc.assert(
      fc.asyncProperty(dim, dim, dim, fc.boolean(), fc.boolean(), fc.constantFrom(...ACTIVATIONS), fc.boolean(), fc.nat(), async (M, N, K, ta, tb, activation, bias, seed) => {
        const a = values(seed, M * K);
        const b = values(seed + 1, K * N);
        const bv = values(seed + 2, N);
        const run = (be: Backend) =>
          be.matmul(be.tensor(a, ta ? [K, M] : [M, K]), be.tensor(b, tb ? [N, K] : [K, N]), {
            transposeA: ta,
            transposeB: tb,
            activation,
            ...(bias ? { bias: be.tensor(bv, [N]) } : {}),
          }).data();
        within(await run(gpu), await run(cpu), 2e-6 * Math.sqrt(K) + 1e-6, 1e-5, `matmul M=${M} N=${N} K=${K} ta=${ta} tb=${tb} ${activation}${bias ? ' +bias' : ''}`);
      }),
      params,
    );
  }, 300_000);

  gpuIt(`losses with their gradients, from logits or probabilities (${RUNS} cases)`, async (gpu) => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 12 }), fc.constantFrom(...LOSSES), fc.boolean(), fc.nat(), async (rows, cols, name: LossName, logits, seed) => {
        const sparse = name === 'sparseCategoricalCrossentropy';
        const fromLogits = logits && name !== 'meanSquaredError';
        const pred = fromLogits || name === 'meanSquaredError' ? values(seed, rows * cols, -4, 4) : values(seed, rows * cols, 0.02, 0.98);
        const rng = new Random(seed + 1);
        const target = sparse
          ? Float32Array.from({ length: rows }, () => rng.int(cols))
          : name === 'categoricalCrossentropy'
            ? Float32Array.from({ length: rows * cols }, (_, i) => (i % cols === (Math.floor(i / cols) * 7) % cols ? 1 : 0))
            : values(seed + 1, rows * cols, 0, 1);
        const run = async (be: Backend) => {
          const out = be.loss(name, be.tensor(pred, [rows, cols]), be.tensor(target, sparse ? [rows] : [rows, cols]), { fromLogits });
          return { grad: await out.grad.data(), stats: await out.stats.data() };
        };
        const [g, c] = [await run(gpu), await run(cpu)];
        within(g.grad, c.grad, 1e-6, 1e-4, `${name} gradient ${rows}×${cols}${fromLogits ? ' (logits)' : ''}`);
        within(g.stats, c.stats, 1e-5, 1e-4, `${name} loss and accuracy ${rows}×${cols}`);
      }),
      params,
    );
  }, 300_000);

  gpuIt(`conv2d forward and both gradients over random geometries (${RUNS} cases)`, async (gpu) => {
    const geometry = fc
      .record({
        batch: fc.integer({ min: 1, max: 3 }),
        h: fc.integer({ min: 1, max: 12 }),
        w: fc.integer({ min: 1, max: 12 }),
        c: fc.integer({ min: 1, max: 9 }),
        f: fc.integer({ min: 1, max: 9 }),
        kh: fc.integer({ min: 1, max: 5 }),
        kw: fc.integer({ min: 1, max: 5 }),
        sh: fc.integer({ min: 1, max: 3 }),
        sw: fc.integer({ min: 1, max: 3 }),
        padding: fc.constantFrom('valid' as const, 'same' as const),
        seed: fc.nat(),
      })
      .filter((g) => g.padding === 'same' || (g.kh <= g.h && g.kw <= g.w));
    await fc.assert(
      fc.asyncProperty(geometry, async (g) => {
        const xShape = [g.batch, g.h, g.w, g.c];
        const kShape = [g.kh, g.kw, g.c, g.f];
        const x = values(g.seed, g.batch * g.h * g.w * g.c);
        const k = values(g.seed + 1, g.kh * g.kw * g.c * g.f);
        const opts = { strides: [g.sh, g.sw] as const, padding: g.padding };
        const run = async (be: Backend) => {
          const y = be.conv2d(be.tensor(x, xShape), be.tensor(k, kShape), opts);
          const dy = be.tensor(values(g.seed + 2, y.size), y.shape);
          const dx = be.conv2dBackwardData(dy, be.tensor(k, kShape), { ...opts, inputShape: xShape });
          const grads = be.conv2dBackwardFilter(be.tensor(x, xShape), dy, { ...opts, kernelSize: [g.kh, g.kw], bias: true });
          return { y: await y.data(), dx: await dx.data(), dk: await grads.kernel.data(), db: await grads.bias!.data(), pixels: y.size / g.f };
        };
        const [a, b] = [await run(gpu), await run(cpu)];
        const what = `x [${xShape}] * ${g.kh}×${g.kw}×${g.f} stride ${g.sh},${g.sw} ${g.padding}`;
        within(a.y, b.y, 2e-6 * Math.sqrt(g.kh * g.kw * g.c) + 1e-6, 1e-5, `conv2d forward ${what}`);
        within(a.dx, b.dx, 2e-6 * Math.sqrt(g.kh * g.kw * g.f) + 1e-6, 1e-5, `conv2d backward data ${what}`);
        within(a.dk, b.dk, 2e-6 * Math.sqrt(b.pixels) + 1e-6, 1e-5, `conv2d backward filter ${what}`);
        within(a.db, b.db, 2e-6 * Math.sqrt(b.pixels) + 1e-6, 1e-5, `conv2d backward bias ${what}`);
      }),
      params,
    );
  }, 300_000);
});
