// Finite-difference checks of every backward op on the CPU backend: the oracle
// is tied to the math, not only the GPU to the oracle. For a scalar
// L = Σ w ⊙ f(x) with random weights w, the backward op fed dY = w must give
// ∂L/∂x ≈ (L(x + h) − L(x − h)) / 2h, element by element.
import { afterAll, describe, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/index.js';
import { ACTIVATIONS, LOSSES, type LossName } from '../src/backend/backend.js';
import { Random } from '../src/random.js';
import { ErrorReport } from './helpers/compare.js';

const cpu = new CpuBackend();
const report = new ErrorReport('finite-difference gradient checks (cpu, central differences, h = 1e-3)');
afterAll(() => report.print());

const H = 1e-3;
// float32 forward values and an O(h²) truncation error bound what agreement to expect.
const TOL = { atol: 1e-3, rtol: 1e-2 };

async function read(t: { data(): Promise<Float32Array> }): Promise<Float32Array> {
  return t.data();
}

/** Central differences of a scalar function of x, one element at a time. */
async function numericGradient(f: (x: Float32Array) => Promise<number>, x: Float32Array): Promise<Float32Array> {
  const g = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i]!;
    x[i] = keep + H;
    const up = await f(x);
    x[i] = keep - H;
    const down = await f(x);
    x[i] = keep;
    g[i] = (up - down) / (2 * H);
  }
  return g;
}

const weighted = (y: Float32Array, w: Float32Array) => y.reduce((s, v, i) => s + v * w[i]!, 0);

describe('gradient checks (finite differences)', () => {
  it('matmul: dA = dC·Bᵀ and dB = Aᵀ·dC (the transposed forms backprop uses)', async () => {
    const [M, K, N] = [5, 7, 3];
    const rng = new Random(1);
    const a = rng.fill(M * K);
    const b = rng.fill(K * N);
    const w = rng.fill(M * N);
    const L = async (av: Float32Array, bv: Float32Array) => weighted(await read(cpu.matmul(cpu.tensor(av, [M, K]), cpu.tensor(bv, [K, N]))), w);
    const dC = cpu.tensor(w, [M, N]);
    const dA = await read(cpu.matmul(dC, cpu.tensor(b, [K, N]), { transposeB: true }));
    const dB = await read(cpu.matmul(cpu.tensor(a, [M, K]), dC, { transposeA: true }));
    report.check('matmul backward dA = dC·Bᵀ', 'dA', dA, await numericGradient((x) => L(x, b), a), TOL);
    report.check('matmul backward dB = Aᵀ·dC', 'dB', dB, await numericGradient((x) => L(a, x), b), TOL);
  });

  it('column_sums is the gradient of a bias added to every row', async () => {
    const [M, N] = [6, 4];
    const rng = new Random(2);
    const x = rng.fill(M * 3);
    const wts = rng.fill(3 * N);
    const bias = rng.fill(N);
    const w = rng.fill(M * N);
    const L = async (bv: Float32Array) =>
      weighted(await read(cpu.matmul(cpu.tensor(x, [M, 3]), cpu.tensor(wts, [3, N]), { bias: cpu.tensor(bv, [N]) })), w);
    const dBias = await read(cpu.columnSums(cpu.tensor(w, [M, N])));
    report.check('column_sums as bias gradient', 'dBias', dBias, await numericGradient(L, bias), TOL);
  });

  for (const name of ACTIVATIONS) {
    it(`activation_backward ${name}`, async () => {
      const rng = new Random(3);
      // Keep relu's inputs away from its kink at 0, where no derivative exists.
      const x = Float32Array.from(rng.fill(40, -3, 3), (v) => (Math.abs(v) < 0.1 ? v + 0.3 : v));
      const w = rng.fill(40);
      const L = async (xv: Float32Array) => weighted(await read(cpu.activation(cpu.tensor(xv, [40]), name)), w);
      const y = cpu.activation(cpu.tensor(x, [40]), name);
      const dx = await read(cpu.activationBackward(cpu.tensor(w, [40]), y, name));
      report.check(`activation_backward ${name}`, name, dx, await numericGradient(L, x), TOL);
    });
  }

  it('softmax_backward', async () => {
    const [rows, cols] = [4, 6];
    const rng = new Random(4);
    const x = rng.fill(rows * cols, -3, 3);
    const w = rng.fill(rows * cols);
    const L = async (xv: Float32Array) => weighted(await read(cpu.softmax(cpu.tensor(xv, [rows, cols]))), w);
    const y = cpu.softmax(cpu.tensor(x, [rows, cols]));
    const dx = await read(cpu.softmaxBackward(cpu.tensor(w, [rows, cols]), y));
    report.check('softmax_backward', 'softmax', dx, await numericGradient(L, x), TOL);
  });

  const cases = LOSSES.flatMap((name): { name: LossName; fromLogits: boolean }[] =>
    name === 'meanSquaredError' ? [{ name, fromLogits: false }] : [{ name, fromLogits: false }, { name, fromLogits: true }],
  );
  for (const { name, fromLogits } of cases) {
    it(`loss gradient: ${name}${fromLogits ? ' (from logits)' : ''}`, async () => {
      const [rows, cols] = [5, 4];
      const rng = new Random(5);
      // Probabilities stay inside (0, 1) away from the clamp, where the loss is smooth.
      const pred = fromLogits || name === 'meanSquaredError' ? rng.fill(rows * cols, -3, 3) : rng.fill(rows * cols, 0.1, 0.9);
      let target: Float32Array;
      let targetShape = [rows, cols];
      if (name === 'sparseCategoricalCrossentropy') {
        target = Float32Array.from({ length: rows }, () => rng.int(cols));
        targetShape = [rows];
      } else if (name === 'categoricalCrossentropy') {
        target = new Float32Array(rows * cols);
        for (let r = 0; r < rows; r++) target[r * cols + rng.int(cols)] = 1;
      } else {
        target = rng.fill(rows * cols, 0, 1);
      }
      const t = cpu.tensor(target, targetShape);
      const meanLoss = async (p: Float32Array) => {
        const stats = await read(cpu.loss(name, cpu.tensor(p, [rows, cols]), t, { fromLogits }).stats);
        return stats.reduce((s, v, i) => (i % 2 === 0 ? s + v : s), 0) / rows;
      };
      const grad = await read(cpu.loss(name, cpu.tensor(pred, [rows, cols]), t, { fromLogits }).grad);
      report.check(`loss gradient ${name}${fromLogits ? ' (logits)' : ''}`, name, grad, await numericGradient(meanLoss, pred), TOL);
    });
  }

  // conv2d: L = Σ w ⊙ conv2d(x, k) + b; its three backward passes against central differences.
  const CONV_CASES = [
    { x: [2, 5, 6, 3], k: [3, 3], f: 4, strides: [1, 1], padding: 'valid' },
    { x: [1, 7, 7, 2], k: [3, 2], f: 3, strides: [2, 2], padding: 'same' },
    { x: [1, 6, 5, 1], k: [5, 5], f: 2, strides: [1, 2], padding: 'same' },
  ] as const;
  for (const k of CONV_CASES) {
    it(`conv2d backward data, filter and bias: x [${k.x.join(', ')}] * ${k.k.join('×')}×${k.f} stride ${k.strides.join(',')} ${k.padding}`, async () => {
      const rng = new Random(6);
      const kShape = [...k.k, k.x[3], k.f];
      const x = rng.fill(k.x.reduce((a: number, b) => a * b, 1));
      const kernel = rng.fill(kShape.reduce((a: number, b) => a * b, 1));
      const bias = rng.fill(k.f);
      const opts = { strides: k.strides, padding: k.padding };
      const forward = (xv: Float32Array, kv: Float32Array, bv: Float32Array) =>
        cpu.conv2d(cpu.tensor(xv, k.x), cpu.tensor(kv, kShape), { ...opts, bias: cpu.tensor(bv, [k.f]) });
      const y = forward(x, kernel, bias);
      const w = rng.fill(y.size);
      const dy = cpu.tensor(w, y.shape);
      const dx = await read(cpu.conv2dBackwardData(dy, cpu.tensor(kernel, kShape), { ...opts, inputShape: k.x }));
      const grads = cpu.conv2dBackwardFilter(cpu.tensor(x, k.x), dy, { ...opts, kernelSize: k.k, bias: true });
      report.check('conv2d backward data', 'dx', dx, await numericGradient(async (v) => weighted(await read(forward(v, kernel, bias)), w), x), TOL);
      report.check('conv2d backward filter', 'dKernel', await read(grads.kernel), await numericGradient(async (v) => weighted(await read(forward(x, v, bias)), w), kernel), TOL);
      report.check('conv2d backward bias', 'dBias', await read(grads.bias!), await numericGradient(async (v) => weighted(await read(forward(x, kernel, v)), w), bias), TOL);
    });
  }

  for (const kind of ['max', 'avg'] as const) {
    for (const p of [{ pool: [2, 2], strides: [2, 2], padding: 'valid' }, { pool: [3, 3], strides: [2, 2], padding: 'same' }, { pool: [3, 2], strides: [1, 1], padding: 'same' }] as const) {
      it(`pool_backward ${kind} ${p.pool.join('×')} stride ${p.strides.join(',')} ${p.padding}`, async () => {
        const shape = [2, 7, 6, 3];
        const rng = new Random(7);
        // Distinct values at least 1e-2 apart, so a step of h never changes which one is the max.
        const n = shape.reduce((a, b) => a * b, 1);
        const x = Float32Array.from(rng.permutation(n), (v) => v * 1e-2 - n * 5e-3);
        const opts = { kind, poolSize: p.pool, strides: p.strides, padding: p.padding };
        const { output, argmax } = cpu.pool2d(cpu.tensor(x, shape), { ...opts, keepArgmax: true });
        const w = rng.fill(output.size);
        const L = async (v: Float32Array) => weighted(await read(cpu.pool2d(cpu.tensor(v, shape), opts).output), w);
        const dx = await read(cpu.pool2dBackward(cpu.tensor(w, output.shape), { ...opts, inputShape: shape, ...(argmax ? { argmax } : {}) }));
        report.check(`pool_backward ${kind}`, kind, dx, await numericGradient(L, x), TOL);
      });
    }
  }

  it('dropout_backward: the same mask as the forward pass, scaled by 1 / (1 − rate)', async () => {
    const rng = new Random(8);
    const x = rng.fill(300);
    const w = rng.fill(300);
    const opts = { rate: 0.4, seed: 11, step: cpu.tensor([5], [1]) };
    const L = async (v: Float32Array) => weighted(await read(cpu.dropout(cpu.tensor(v, [300]), opts)), w);
    const dx = await read(cpu.dropoutBackward(cpu.tensor(w, [300]), opts));
    report.check('dropout_backward', 'dropout', dx, await numericGradient(L, x), TOL);
  });
});
