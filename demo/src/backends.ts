// One backend of each kind per page. A WebGPU device is expensive to open and
// holds the compiled pipelines, so it is opened once and shared by every model.
//
// Which backend the page starts on is measured rather than assumed: on a
// hardware GPU WebGPU wins, but a software adapter (SwiftShader, llvmpipe)
// runs the WGSL on the same CPU cores as the reference backend, and for the
// page's small models pays a fixed cost per dispatch on top; there the page
// starts on the CPU and says why.
import { getBackend, NoAdapterError, type Backend, type BackendName, type WebGpuBackend } from '../../src/index.js';

let gpu: Promise<WebGpuBackend> | undefined;
let cpu: Backend | undefined;
/** Whether a model has trained on the WebGPU device yet: the first run compiles its shaders. */
let gpuTrained = false;

export type GpuProbe = { ok: true; adapter: string; software: boolean } | { ok: false; reason: string; noWebGpu: boolean };

/** Opens the WebGPU device once; says why when this browser cannot. */
export async function probeWebGpu(): Promise<GpuProbe> {
  try {
    const b = await openGpu();
    return { ok: true, adapter: b.adapterName, software: isSoftware(b) };
  } catch (e) {
    const reason = (e as Error).message;
    return { ok: false, reason, noWebGpu: e instanceof NoAdapterError || !('gpu' in navigator) };
  }
}

/** A software adapter: the backend's own verdict (isFallbackAdapter or a known software name), or the name alone. */
function isSoftware(b: WebGpuBackend): boolean {
  return b.isSoftwareAdapter || /swiftshader|llvmpipe|lavapipe|softpipe/i.test(b.adapterName);
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

/** True the first time it is asked about a WebGPU run: that run compiles the shaders before its first epoch. */
export function firstGpuRun(name: BackendName): boolean {
  if (name !== 'webgpu' || gpuTrained) return false;
  gpuTrained = true;
  return true;
}

// ---- the default backend, and the words for why -----------------------------------------

/** Where a compare result measured in this browser is kept, so a later visit can quote it. */
const MEASURED_KEY = 'webgpu-train-demo-compare';

export interface Measured {
  /** WebGPU epochs/s ÷ CPU epochs/s. */
  ratio: number;
  /** What was timed, in words: "spiral, 300 samples, 16,16". */
  what: string;
  adapter: string;
}

export function rememberCompare(m: Measured): void {
  try {
    localStorage.setItem(MEASURED_KEY, JSON.stringify(m));
  } catch {
    // private mode or no storage: the page still quotes it until reloaded
  }
  lastMeasured = m;
}

let lastMeasured: Measured | undefined;

export function measuredCompare(adapter: string): Measured | undefined {
  if (!lastMeasured) {
    try {
      const m = JSON.parse(localStorage.getItem(MEASURED_KEY) ?? 'null') as Measured | null;
      if (m && typeof m.ratio === 'number' && Number.isFinite(m.ratio)) lastMeasured = m;
    } catch {
      // unreadable: as if never measured
    }
  }
  return lastMeasured?.adapter === adapter ? lastMeasured : undefined;
}

/** The README's benchmark figures (npm run bench, one run on each machine): MNIST 784-128-10, batch 128. */
export const BENCH = {
  software: 'Mesa llvmpipe on 2 CPU cores: 11,478 samples/s',
  hardware: 'an NVIDIA H100: 306,843 samples/s',
  ratio: 27,
  /** The demo's compare in headless Chromium on SwiftShader (test/e2e/demo.test.ts). */
  swiftshaderSpiral: '17× faster than WebGPU on SwiftShader for the spiral with 300 samples (304 vs 17.8 epochs/s)',
} as const;

const quote = (m: Measured): string =>
  m.ratio >= 1
    ? `measured here by "compare" (${m.what}): WebGPU ${m.ratio.toFixed(1)}× faster than the CPU.`
    : `measured here by "compare" (${m.what}): the CPU ${(1 / m.ratio).toFixed(1)}× faster than WebGPU.`;

/** The backend the page starts on, and one line saying why. */
export function defaultBackend(probe: GpuProbe): { backend: BackendName; reason: string } {
  if (!probe.ok) {
    return {
      backend: 'cpu',
      reason:
        `Everything here trains on the CPU reference backend instead. What a GPU adds, from the project's benchmark (README, npm run bench, one run each): ` +
        `an MNIST 784-128-10 network trained at ${BENCH.hardware} through WebGPU, against ${BENCH.software} on a software WebGPU adapter: ${BENCH.ratio}× apart.`,
    };
  }
  const m = measuredCompare(probe.adapter);
  if (!probe.software) {
    return { backend: 'webgpu', reason: `WebGPU is the default: ${probe.adapter} is a hardware GPU.${m ? ` Last ${quote(m)}` : ''}` };
  }
  return {
    backend: 'cpu',
    reason:
      `The CPU backend is the default here: this browser's WebGPU adapter, ${probe.adapter}, is a software adapter that runs the shaders on the CPU cores, ` +
      `so for models this small every GPU dispatch is pure overhead and the plain CPU loops win. ` +
      (m
        ? `Last ${quote(m)} `
        : `The project measured the CPU ${BENCH.swiftshaderSpiral} (README, "The demo page"); "compare" measures both on your settings. `) +
      `WebGPU stays selectable; on a hardware GPU it is the default (README benchmarks: ${BENCH.hardware} vs ${BENCH.software}).`,
  };
}

/** The reason line after a compare: the measured figure replaces the guess. */
export function reasonAfterCompare(probe: GpuProbe, m: Measured): string {
  rememberCompare(m);
  return defaultBackend(probe).reason;
}
