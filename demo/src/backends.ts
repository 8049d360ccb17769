// One backend of each kind per page. A WebGPU device is expensive to open and
// holds the compiled pipelines, so it is opened once and shared by every model.
import { getBackend, NoAdapterError, type Backend, type BackendName, type WebGpuBackend } from '../../src/index.js';

let gpu: Promise<WebGpuBackend> | undefined;
let cpu: Backend | undefined;

export type GpuProbe = { ok: true; adapter: string } | { ok: false; reason: string; noWebGpu: boolean };

/** Opens the WebGPU device once; says why when this browser cannot. */
export async function probeWebGpu(): Promise<GpuProbe> {
  try {
    const b = await openGpu();
    return { ok: true, adapter: b.adapterName };
  } catch (e) {
    const reason = (e as Error).message;
    return { ok: false, reason, noWebGpu: e instanceof NoAdapterError || !('gpu' in navigator) };
  }
}

function openGpu(): Promise<WebGpuBackend> {
  gpu ??= (getBackend('webgpu') as Promise<WebGpuBackend>).catch((e: unknown) => {
    gpu = undefined;
    throw e;
  });
  return gpu;
}

export async function backendFor(name: BackendName): Promise<Backend> {
  if (name === 'webgpu') return openGpu();
  cpu ??= await getBackend('cpu');
  return cpu;
}
