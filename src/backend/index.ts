import type { Backend, BackendName } from './backend.js';
import { CpuBackend } from './cpu/index.js';
import { WebGpuBackend } from './webgpu/index.js';

export const BACKENDS: readonly (BackendName | 'auto')[] = ['auto', 'webgpu', 'cpu'];

/**
 * The backend that runs the math:
 * - 'auto' (the default): WebGPU on a hardware GPU when there is one, else
 *   WebGPU on a software adapter (llvmpipe, SwiftShader: correct, and for
 *   small models slower than the CPU), else the CPU reference; `backend.chosen`
 *   says which and why;
 * - 'webgpu': WGSL kernels on a GPU adapter; throws a NoAdapterError that says
 *   what to install when there is none;
 * - 'cpu': the plain-TypeScript reference.
 *
 * @example
 * ```ts
 * const backend = await getBackend();          // 'auto'
 * console.log(backend.name, backend.chosen);  // e.g. webgpu, auto: the hardware GPU …
 * const model = sequential([dense({ units: 1, inputShape: [3] })], { backend });
 * ```
 */
export async function getBackend(name: BackendName | 'auto' = 'auto'): Promise<Backend> {
  if (name === 'cpu') return new CpuBackend();
  if (name === 'webgpu') return WebGpuBackend.create();
  if (name === 'auto') {
    try {
      const gpu = await WebGpuBackend.create();
      gpu.chosen = gpu.isSoftwareAdapter ? `auto: no hardware GPU; WebGPU on the software adapter ${gpu.adapterName}` : `auto: the hardware GPU ${gpu.adapterName}`;
      return gpu;
    } catch (e) {
      const cpu = new CpuBackend();
      cpu.chosen = `auto: no WebGPU adapter (${(e as Error).message.replace(/^webgpu: /, '')}); the CPU reference`;
      return cpu;
    }
  }
  throw new Error(`getBackend: unknown backend '${String(name)}'; valid: ${BACKENDS.join(', ')}`);
}
