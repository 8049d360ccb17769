// A WebGPU entry point (`navigator.gpu`) for TensorFlow.js in Node, backed by
// the same Dawn bindings our engine opens. A real GPU first (Dawn's default
// backends, core features); else Dawn's OpenGL ES backend, where the software
// adapter (llvmpipe) only offers the compatibility feature level, so TF.js's
// requestAdapter call is given `featureLevel: 'compatibility'`.
import { create, globals } from 'webgpu';

/** @returns {Promise<{ gpu: GPU, adapter: GPUAdapter } | undefined>} a GPU object whose requestAdapter finds an adapter. */
async function openGpu() {
  for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) globalThis[k] = v;
  // EGL must not look for a display server; set before the first create().
  process.env.EGL_PLATFORM ??= 'surfaceless';
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const core = create([]);
  const hardware = await core.requestAdapter();
  if (hardware) return { gpu: core, adapter: hardware };
  const gl = create(['backend=opengles']);
  const adapter = await gl.requestAdapter({ featureLevel: 'compatibility' });
  if (!adapter) return undefined;
  const request = gl.requestAdapter.bind(gl);
  const gpu = new Proxy(gl, {
    get(target, key) {
      if (key === 'requestAdapter') return (options = {}) => request({ ...options, featureLevel: 'compatibility' });
      const value = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { gpu, adapter };
}

/** "device (description)", as our engine names its adapter. */
function describe(adapter) {
  const { device, architecture, vendor, description } = adapter.info;
  const head = [device, architecture, vendor].map((s) => (s ?? '').replace(/-+$/, '')).find(Boolean) ?? 'unknown adapter';
  return description ? `${head} (${description})` : head;
}

/**
 * Sets `navigator.gpu` (Node 20 has no navigator; Node 21+ has one without
 * `gpu`). Must run before @tensorflow/tfjs-backend-webgpu is imported: it
 * registers its backend only when navigator.gpu exists at import time.
 * @returns {Promise<string | undefined>} the adapter's name, or undefined when there is none.
 */
export async function exposeNavigatorGpu() {
  const opened = await openGpu();
  if (!opened) return undefined;
  const { gpu, adapter } = opened;
  if (globalThis.navigator) Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
  else globalThis.navigator = { gpu };
  return describe(adapter);
}
