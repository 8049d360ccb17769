// Bad input fails early and says what is wrong: the op, the shapes, the
// limit. On the GPU backend nothing is dispatched or allocated first.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/index.js';
import type { Backend } from '../src/backend/backend.js';
import { WebGpuBackend, DeviceLostError, BufferLimitError } from '../src/backend/webgpu/index.js';
import { gpuIt } from './helpers/gpu.js';
import { gpuRequired } from './helpers/required.js';

const cpu = new CpuBackend();

/** The same bad calls on either backend. */
function badCalls(b: Backend): [string, () => unknown, RegExp][] {
  const m34 = b.tensor(new Float32Array(12), [3, 4]);
  const m52 = b.tensor(new Float32Array(10), [5, 2]);
  const m47 = b.zeros([4, 7]);
  const v3 = b.zeros([3]);
  return [
    ['matmul inner dimensions', () => b.matmul(m34, m52), /matmul: inner dimensions differ: a \[3, 4\] has 4 columns, b \[5, 2\] has 5 rows/],
    ['matmul transposed', () => b.matmul(m34, m52, { transposeB: true }), /matmul: .*b \[5, 2\] \(transposed\) has 2 rows/],
    ['matmul bias', () => b.matmul(m34, m47, { bias: v3 }), /matmul: bias must have shape \[7\].*got \[3\]/],
    ['matmul on a vector', () => b.matmul(v3, m34), /matmul: both operands must be matrices, got a \[3\] and b \[3, 4\]/],
    ['activation name', () => b.activation(m34, 'gelu' as never), /unknown activation 'gelu'; valid: linear, relu, sigmoid, tanh/],
    ['activation backward shapes', () => b.activationBackward(m34, m52, 'relu'), /activationBackward: dy \[3, 4\] and y \[5, 2\] must have the same shape/],
    ['softmax backward shapes', () => b.softmaxBackward(m34, m52), /softmaxBackward: dy \[3, 4\] and y \[5, 2\]/],
    ['loss shapes', () => b.loss('meanSquaredError', m34, m52), /loss meanSquaredError: prediction \[3, 4\] and target \[5, 2\] must have the same shape/],
    ['sparse labels', () => b.loss('sparseCategoricalCrossentropy', m34, m52), /labels must have shape \[3\] or \[3, 1\].*got \[5, 2\]/],
    ['loss name', () => b.loss('hinge' as never, m34, m34), /unknown loss 'hinge'; valid: meanSquaredError, binaryCrossentropy/],
    ['optimizer shapes', () => b.sgd(m34, m52, 0.1), /sgd: param \[3, 4\] and grad \[5, 2\] must have the same shape/],
    ['learning rate', () => b.sgd(m34, m34, -1), /sgd: learningRate must be a positive number, got -1/],
    ['adam step', () => b.adam(v3, v3, v3, v3, v3, { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }), /adam: step must hold one value, got shape \[3\]/],
    ['values and shape', () => b.tensor([1, 2, 3], [2, 2]), /tensor: 3 values do not fill shape \[2, 2\] \(4 values\)/],
    ['bad shape', () => b.zeros([2, -1]), /zeros: shape \[2, -1\] has a dimension that is not a non-negative integer/],
    ['column sums into', () => b.columnSums(m34, { accumulateInto: v3 }), /columnSums: accumulateInto .* must hold 4 values/],
  ];
}

describe('bad input on the cpu backend', () => {
  for (const [what, call, message] of badCalls(cpu)) {
    it(what, () => expect(call).toThrow(message));
  }
});

describe('bad input on the webgpu backend', () => {
  gpuIt('every bad call throws a named error before anything is dispatched', async (gpu) => {
    for (const [what, call, message] of badCalls(gpu)) {
      const before = gpu.stats();
      expect(call, what).toThrow(message);
      const after = gpu.stats();
      expect(after.dispatches, `${what}: dispatches`).toBe(before.dispatches);
      expect(after.buffersInUse, `${what}: buffers in use`).toBe(before.buffersInUse);
    }
  });

  gpuIt('a tensor over maxStorageBufferBindingSize is refused, naming the limit', (gpu) => {
    const limit = gpu.limits.maxStorageBufferBindingSize;
    const before = gpu.stats().buffersCreated;
    const rows = Math.ceil(limit / 4 / 1024) + 1;
    expect(() => gpu.zeros([rows, 1024])).toThrow(BufferLimitError);
    expect(() => gpu.zeros([rows, 1024])).toThrow(new RegExp(`shape \\[${rows}, 1024\\] needs \\d+ bytes, over this adapter's maxStorageBufferBindingSize of ${limit} bytes`));
    expect(gpu.stats().buffersCreated).toBe(before);
  });

  gpuIt('a tensor of another backend is named', (gpu) => {
    const a = gpu.zeros([2, 2]);
    expect(() => gpu.matmul(a, cpu.zeros([2, 2]))).toThrow(/matmul: Tensor\(\[2, 2\], cpu\) belongs to another backend \(cpu\), not webgpu/);
    expect(() => cpu.activation(a, 'relu')).toThrow(/activation: Tensor\(\[2, 2\], webgpu\) belongs to another backend \(webgpu\), not cpu/);
  });

  gpuIt('a disposed tensor is named', (gpu) => {
    const a = gpu.zeros([2, 2]);
    a.dispose();
    expect(() => gpu.activation(a, 'relu')).toThrow(/activation: Tensor\(\[2, 2\], webgpu\) was disposed/);
  });

  it('a lost device gives a clear error on the next call, and a pending read does not hang', async (ctx) => {
    let own: WebGpuBackend;
    try {
      own = await WebGpuBackend.create();
    } catch (e) {
      if (gpuRequired) throw e;
      return ctx.skip(`no WebGPU adapter: ${(e as Error).message}`);
    }
    const x = own.tensor([1, -2, 3], [3]);
    const y = own.activation(x, 'relu');
    own.destroy();
    expect(() => own.activation(x, 'relu')).toThrow(DeviceLostError);
    expect(() => own.activation(x, 'relu')).toThrow(/the GPU device is lost \(this backend was destroyed\); create a new backend/);
    await expect(y.data()).rejects.toThrow(DeviceLostError);
  });
});
