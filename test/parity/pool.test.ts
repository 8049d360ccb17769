// pool.wgsl (max and average pooling, forward and backward) against the CPU
// reference: non-overlapping and overlapping windows, 'valid' and 'same',
// odd sizes, 1 and 17 channels, and ties (first max wins on both backends).
import { afterAll, describe, expect } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import type { ActivationName, Backend, Padding, PoolKind } from '../../src/backend/backend.js';
import { Random } from '../../src/random.js';
import { ErrorReport } from '../helpers/compare.js';
import { gpuIt } from '../helpers/gpu.js';

const cpu = new CpuBackend();
const report = new ErrorReport('pool parity (webgpu vs cpu)');
afterAll(() => report.print());

const CASES: { shape: [number, number, number, number]; pool: [number, number]; strides: [number, number]; padding: Padding; ties?: boolean }[] = [
  { shape: [1, 1, 1, 1], pool: [1, 1], strides: [1, 1], padding: 'valid' },
  { shape: [2, 26, 26, 16], pool: [2, 2], strides: [2, 2], padding: 'valid' },
  { shape: [2, 11, 11, 3], pool: [2, 2], strides: [2, 2], padding: 'valid' },
  { shape: [1, 7, 9, 17], pool: [3, 3], strides: [2, 2], padding: 'same' },
  { shape: [2, 6, 5, 4], pool: [3, 3], strides: [1, 1], padding: 'same' },
  { shape: [1, 9, 9, 1], pool: [3, 2], strides: [2, 1], padding: 'valid' },
  { shape: [2, 8, 8, 3], pool: [2, 2], strides: [1, 1], padding: 'valid', ties: true },
];

const TOL = { atol: 1e-6, rtol: 1e-5 };

async function run(b: Backend, kind: PoolKind, k: (typeof CASES)[number], activation: ActivationName) {
  const rng = new Random(k.shape.reduce((a, d) => a * 31 + d, 7));
  const size = k.shape.reduce((a, d) => a * d, 1);
  // Ties: small integers, so windows often hold their max twice.
  const x = k.ties ? Float32Array.from(rng.fill(size), (v) => Math.round(v * 2)) : rng.fill(size);
  const opts = { kind, poolSize: k.pool, strides: k.strides, padding: k.padding } as const;
  const xt = b.tensor(x, k.shape);
  const { output, argmax } = b.pool2d(xt, { ...opts, keepArgmax: true });
  const dy = b.tensor(rng.fill(output.size), output.shape);
  const below = b.tensor(Float32Array.from(x, (v) => (activation === 'relu' ? Math.max(v, 0) : activation === 'tanh' ? Math.tanh(v) : v)), k.shape);
  const dx = b.pool2dBackward(dy, { ...opts, inputShape: k.shape, ...(argmax ? { argmax } : {}) });
  const dxFused = b.pool2dBackward(dy, { ...opts, inputShape: k.shape, ...(argmax ? { argmax } : {}), derivativeOf: { activation, output: below } });
  return { y: await output.data(), argmax: argmax && (await argmax.data()), dx: await dx.data(), dxFused: await dxFused.data() };
}

describe('pool2d', () => {
  for (const kind of ['max', 'avg'] as const) {
    for (const k of CASES) {
      const name = `${kind} ${k.pool.join('×')} stride ${k.strides.join(',')} ${k.padding} on [${k.shape.join(', ')}]${k.ties ? ' with ties' : ''}`;
      gpuIt(name, async (gpu) => {
        const activation: ActivationName = k.shape[3] % 2 ? 'relu' : 'tanh';
        const want = await run(cpu, kind, k, activation);
        const got = await run(gpu, kind, k, activation);
        report.check(`pool_forward ${kind}`, name, got.y, want.y, TOL);
        if (kind === 'max') report.check('pool_forward argmax', name, got.argmax!, want.argmax!, { atol: 0, rtol: 0 });
        report.check(`pool_backward ${kind}`, name, got.dx, want.dx, TOL);
        report.check(`pool_backward ${kind} fused with f'`, name, got.dxFused, want.dxFused, TOL);
      });
    }
  }

  gpuIt('max pooling backward needs the argmax; bad windows fail before any dispatch', async (gpu) => {
    const before = gpu.stats().dispatches;
    const x = gpu.zeros([1, 4, 4, 2]);
    expect(() => gpu.pool2dBackward(gpu.zeros([1, 2, 2, 2]), { kind: 'max', poolSize: [2, 2], strides: [2, 2], inputShape: [1, 4, 4, 2] })).toThrow(
      /max pooling needs the forward pass's argmax/,
    );
    expect(() => gpu.pool2d(x, { kind: 'max', poolSize: [5, 5] })).toThrow(/a 5×5 window does not fit in 4×4 images/);
    expect(() => gpu.pool2d(x, { kind: 'min' as PoolKind, poolSize: [2, 2] })).toThrow(/kind must be 'max' or 'avg'/);
    expect(gpu.stats().dispatches).toBe(before);
  });
});
