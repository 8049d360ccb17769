import type { Backend, BackendName } from './backend.js';
import { CpuBackend } from './cpu/index.js';
import { WebGpuBackend } from './webgpu/index.js';

export const BACKENDS: readonly BackendName[] = ['cpu', 'webgpu'];

/**
 * The backend that runs the math: 'webgpu' (WGSL kernels on a GPU adapter;
 * throws a NoAdapterError that says what to install when there is none) or
 * 'cpu' (the plain-TypeScript reference).
 */
export async function getBackend(name: BackendName = 'webgpu'): Promise<Backend> {
  if (name === 'cpu') return new CpuBackend();
  if (name === 'webgpu') return WebGpuBackend.create();
  throw new Error(`getBackend: unknown backend '${String(name)}'; valid: ${BACKENDS.join(', ')}`);
}
