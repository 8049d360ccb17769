// activation.wgsl against the CPU reference: forward and backward of each
// element-wise activation, and the row-wise softmax and its backward pass.
import { afterAll, describe } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import { ACTIVATIONS } from '../../src/backend/backend.js';
import { Random } from '../../src/random.js';
import { ErrorReport } from '../helpers/compare.js';
import { gpuIt } from '../helpers/gpu.js';

const cpu = new CpuBackend();
const report = new ErrorReport('activation parity (webgpu vs cpu)');
afterAll(() => report.print());

// [rows, cols]; 300×1000 has more elements than the grid-stride kernels have invocations.
const SHAPES: [number, number][] = [[1, 1], [7, 13], [31, 127], [127, 10], [33, 65], [512, 600], [300, 1000]];
const TOL = { atol: 1e-6, rtol: 1e-5 };

describe('activation', () => {
  for (const name of ACTIVATIONS) {
    for (const [rows, cols] of SHAPES) {
      gpuIt(`${name} forward + backward ${rows}×${cols}`, async (gpu) => {
        const rng = new Random(rows * 31 + cols);
        // Wide enough to reach both saturated tails of sigmoid and tanh.
        const x = rng.fill(rows * cols, -12, 12);
        const dy = rng.fill(rows * cols);
        const shape = [rows, cols];
        const yCpu = cpu.activation(cpu.tensor(x, shape), name);
        const yGpu = gpu.activation(gpu.tensor(x, shape), name);
        report.check(`activation_forward ${name}`, `${rows}×${cols}`, await yGpu.data(), await yCpu.data(), TOL);
        const dxCpu = cpu.activationBackward(cpu.tensor(dy, shape), yCpu, name);
        const dxGpu = gpu.activationBackward(gpu.tensor(dy, shape), yGpu, name);
        report.check(`activation_backward ${name}`, `${rows}×${cols}`, await dxGpu.data(), await dxCpu.data(), TOL);
      });
    }
  }

  for (const [rows, cols] of SHAPES) {
    gpuIt(`softmax forward + backward ${rows}×${cols}`, async (gpu) => {
      const rng = new Random(rows * 7 + cols);
      // Large logits: without the max subtracted, exp would overflow.
      const x = rng.fill(rows * cols, -80, 80);
      const dy = rng.fill(rows * cols);
      const shape = [rows, cols];
      const yCpu = cpu.softmax(cpu.tensor(x, shape));
      const yGpu = gpu.softmax(gpu.tensor(x, shape));
      report.check('softmax', `${rows}×${cols}`, await yGpu.data(), await yCpu.data(), TOL);
      const dxCpu = cpu.softmaxBackward(cpu.tensor(dy, shape), yCpu);
      const dxGpu = gpu.softmaxBackward(gpu.tensor(dy, shape), yGpu);
      report.check('softmax_backward', `${rows}×${cols}`, await dxGpu.data(), await dxCpu.data(), TOL);
    });
  }
});
