// The conv2d kernels (conv2d-forward.wgsl, conv2d-backward-data.wgsl and
// conv2d-backward-filter.wgsl, implicit GEMMs) against the CPU reference, on
// both GEMM kernels, over shapes that hit every edge: 1×1, 3×3 and 5×5 kernels, a rectangular one,
// stride 1 and 2, 'valid' and 'same', 1, 3, 4 and 17 channels, batch 1.
import { afterAll, describe, expect } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import { VIEW_ALIGNMENT, type ActivationName, type Padding } from '../../src/backend/backend.js';
import type { GemmKernel } from '../../src/backend/webgpu/gemm.js';
import type { WebGpuBackend } from '../../src/backend/webgpu/index.js';
import type { Backend } from '../../src/backend/backend.js';
import { Random } from '../../src/random.js';
import { ErrorReport } from '../helpers/compare.js';
import { gpuIt } from '../helpers/gpu.js';

const cpu = new CpuBackend();
const report = new ErrorReport('conv2d parity (webgpu vs cpu)');
afterAll(() => report.print());

interface Case {
  batch: number;
  size: [number, number];
  channels: number;
  kernel: [number, number];
  filters: number;
  strides: [number, number];
  padding: Padding;
}
const c = (batch: number, h: number, w: number, channels: number, kh: number, kw: number, filters: number, s: number | [number, number], padding: Padding): Case => ({
  batch,
  size: [h, w],
  channels,
  kernel: [kh, kw],
  filters,
  strides: typeof s === 'number' ? [s, s] : s,
  padding,
});

const CASES: Case[] = [
  c(1, 1, 1, 1, 1, 1, 1, 1, 'valid'),
  c(1, 5, 5, 1, 3, 3, 4, 1, 'valid'),
  c(2, 7, 9, 3, 3, 3, 5, 1, 'same'),
  c(2, 8, 8, 4, 3, 3, 8, 2, 'same'),
  c(1, 11, 10, 17, 5, 5, 3, 2, 'valid'),
  c(3, 13, 13, 4, 1, 1, 16, 1, 'valid'),
  c(2, 9, 7, 3, 5, 5, 17, 1, 'same'),
  c(1, 6, 6, 17, 3, 3, 4, 2, 'same'),
  c(2, 9, 8, 4, 2, 3, 4, [2, 1], 'same'),
  c(4, 28, 28, 1, 3, 3, 16, 1, 'valid'), // MNIST's first layer
  c(8, 13, 13, 16, 3, 3, 32, 1, 'valid'), // and its second
];
const describeCase = (k: Case) =>
  `x [${k.batch}, ${k.size.join(', ')}, ${k.channels}] * ${k.kernel.join('×')}×${k.filters} stride ${k.strides.join(',')} ${k.padding}`;

// Inputs uniform in [-1, 1): float32 sums of K products carry an error growing with √K.
const tolerance = (K: number) => ({ atol: 2e-6 * Math.sqrt(K), rtol: 1e-5, note: 'atol 2e-6·√K, rtol 1e-5' });

function inputs(k: Case) {
  const rng = new Random(k.batch * 7919 + k.size[0] * 131 + k.channels * 17 + k.filters + k.kernel[0] * 3 + k.strides[0]);
  const xShape = [k.batch, ...k.size, k.channels];
  const kShape = [...k.kernel, k.channels, k.filters];
  const x = rng.fill(xShape.reduce((a, b) => a * b, 1));
  const w = rng.fill(kShape.reduce((a, b) => a * b, 1));
  const bias = rng.fill(k.filters);
  return { rng, xShape, kShape, x, w, bias };
}

const ACTIVATION_OF = (name: ActivationName, v: number) =>
  name === 'relu' ? Math.max(v, 0) : name === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : name === 'tanh' ? Math.tanh(v) : v;

async function passes(b: Backend, k: Case, activation: ActivationName) {
  const { rng, xShape, kShape, x, w, bias } = inputs(k);
  const opts = { strides: k.strides, padding: k.padding };
  const xt = b.tensor(x, xShape);
  const kt = b.tensor(w, kShape);
  const y = b.conv2d(xt, kt, { ...opts, bias: b.tensor(bias, [k.filters]), activation });
  const dy = rng.fill(y.size);
  const below = Float32Array.from(rng.fill(x.length, -2, 2), (v) => ACTIVATION_OF(activation, v));
  const dyt = b.tensor(dy, y.shape);
  const dx = b.conv2dBackwardData(dyt, kt, { ...opts, inputShape: xShape });
  const dxFused = b.conv2dBackwardData(dyt, kt, { ...opts, inputShape: xShape, derivativeOf: { activation, output: b.tensor(below, xShape) } });
  const grads = b.conv2dBackwardFilter(xt, dyt, { ...opts, kernelSize: k.kernel, bias: true });
  return {
    y: await y.data(),
    dx: await dx.data(),
    dxFused: await dxFused.data(),
    dw: await grads.kernel.data(),
    db: await grads.bias!.data(),
    K: { forward: kShape[0]! * kShape[1]! * k.channels, data: k.kernel[0] * k.kernel[1] * k.filters, filter: y.size / k.filters },
  };
}

describe('conv2d', () => {
  for (const kernel of ['register', 'tiled'] as GemmKernel[]) {
    for (const k of CASES) {
      const activation: ActivationName = (['relu', 'sigmoid', 'tanh', 'linear'] as const)[(k.filters + k.channels) % 4]!;
      gpuIt(`${kernel}: ${describeCase(k)}, ${activation}`, async (gpu) => {
        gpu.tuning.gemmKernel = kernel;
        try {
          const want = await passes(cpu, k, activation);
          const got = await passes(gpu, k, activation);
          report.check(`conv2d forward (bias + activation), ${kernel}`, describeCase(k), got.y, want.y, tolerance(want.K.forward));
          report.check(`conv2d backward data, ${kernel}`, describeCase(k), got.dx, want.dx, tolerance(want.K.data));
          report.check(`conv2d backward data fused with f', ${kernel}`, describeCase(k), got.dxFused, want.dxFused, tolerance(want.K.data));
          report.check(`conv2d backward filter, ${kernel}`, describeCase(k), got.dw, want.dw, tolerance(want.K.filter));
          report.check(`conv2d backward bias (same pass), ${kernel}`, describeCase(k), got.db, want.db, tolerance(want.K.filter));
        } finally {
          delete gpu.tuning.gemmKernel;
        }
      });
    }
  }

  gpuIt('the filter gradient writes into views of one flat gradient buffer, next to other parameters', async (gpu: WebGpuBackend) => {
    const k = c(2, 9, 9, 4, 3, 3, 8, 1, 'same');
    const { xShape, x } = inputs(k);
    const dyShape = [2, 9, 9, 8];
    const dy = new Random(5).fill(2 * 9 * 9 * 8);
    const kernelSize = 3 * 3 * 4 * 8;
    const biasOffset = Math.ceil(kernelSize / VIEW_ALIGNMENT) * VIEW_ALIGNMENT;
    const flat = gpu.tensor(new Float32Array(biasOffset + VIEW_ALIGNMENT).fill(7), [biasOffset + VIEW_ALIGNMENT]);
    const out = { kernel: gpu.view(flat, [3, 3, 4, 8], 0), bias: gpu.view(flat, [8], biasOffset) };
    gpu.conv2dBackwardFilter(gpu.tensor(x, xShape), gpu.tensor(dy, dyShape), { padding: 'same', kernelSize: [3, 3], bias: true, out });
    const all = await flat.data();
    const want = cpu.conv2dBackwardFilter(cpu.tensor(x, xShape), cpu.tensor(dy, dyShape), { padding: 'same', kernelSize: [3, 3], bias: true });
    report.check('conv2d backward filter into views', 'kernel view', all.subarray(0, kernelSize), await want.kernel.data(), tolerance(2 * 81));
    report.check('conv2d backward filter into views', 'bias view', all.subarray(biasOffset, biasOffset + 8), await want.bias!.data(), tolerance(2 * 81));
    // The padding between the views is untouched.
    expect(Array.from(all.subarray(kernelSize, biasOffset)).every((v) => v === 7)).toBe(true);
    expect(Array.from(all.subarray(biasOffset + 8)).every((v) => v === 7)).toBe(true);
  });

  gpuIt('bad shapes fail before anything is dispatched, naming the op and the shapes', async (gpu) => {
    const before = gpu.stats().dispatches;
    const x = gpu.zeros([2, 5, 5, 3]);
    expect(() => gpu.conv2d(x, gpu.zeros([3, 3, 4, 8]))).toThrow(/conv2d: the kernel \[3, 3, 4, 8\] takes 4 input channels, the images have 3/);
    expect(() => gpu.conv2d(gpu.zeros([5, 5, 3]), gpu.zeros([3, 3, 3, 8]))).toThrow(/conv2d: x must be NHWC images/);
    expect(() => gpu.conv2d(x, gpu.zeros([7, 7, 3, 8]))).toThrow(/a 7×7 window does not fit in 5×5 images with padding 'valid'/);
    expect(() => gpu.conv2d(x, gpu.zeros([3, 3, 3, 8]), { strides: [0, 1] })).toThrow(/strides must be two positive integers/);
    expect(() => gpu.conv2d(x, gpu.zeros([3, 3, 3, 8]), { bias: gpu.zeros([3]) })).toThrow(/bias must have shape \[8\]/);
    expect(() => gpu.conv2dBackwardData(gpu.zeros([2, 4, 4, 8]), gpu.zeros([3, 3, 3, 8]), { inputShape: [2, 5, 5, 3] })).toThrow(
      /conv2dBackwardData: dy must have conv2d's output shape \[2, 3, 3, 8\], got \[2, 4, 4, 8\]/,
    );
    expect(gpu.stats().dispatches).toBe(before);
  });
});
