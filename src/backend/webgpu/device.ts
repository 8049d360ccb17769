// Getting a GPUDevice: in a browser from navigator.gpu; in Node from Dawn (the
// npm package `webgpu`), a real GPU first (Vulkan/Metal/D3D, core features),
// then Dawn's OpenGL ES backend in compatibility mode, which is how Mesa's
// llvmpipe software rasterizer gives a WebGPU adapter on machines without a GPU.
// In Node, Dawn's toggles (docs/dawn.md) are chosen here too.

export interface GpuContext {
  device: GPUDevice;
  /** Human-readable adapter name, e.g. "llvmpipe-llvm-15-0-6-256-bits (OpenGL ES 3.2 Mesa 22.3.6)". */
  adapterName: string;
  /** True for software adapters (llvmpipe, SwiftShader): they run WGSL on CPU cores. */
  isSoftware: boolean;
  /** The adapter's optional features, sorted (e.g. 'shader-f16', 'subgroups', 'timestamp-query'). */
  features: string[];
  /** The Dawn toggles this device was opened with in Node ('-name': turned off); empty in a browser. */
  dawnToggles: string[];
  /** Set when the device is lost; every later call fails with it. */
  lostReason: string | undefined;
  /** Drops the device and the Dawn instance so Node can exit. */
  release(): void;
}

/** No WebGPU adapter could be had (no GPU, no software driver, or no `webgpu` package in Node); the message says why and what to install. `getBackend('cpu')` always works. */
export class NoAdapterError extends Error {
  override name = 'NoAdapterError';
}

const SOFTWARE_ADAPTER_HELP =
  'On Linux without a GPU, install Mesa\'s software drivers (as root: ' +
  'apt-get install -y mesa-vulkan-drivers libvulkan1 libegl1 libegl-mesa0 libgles2, ' +
  'or run scripts/setup-gpu.sh) to get the llvmpipe adapter; or use the cpu backend.';

/** Limits we ask for: everything the adapter offers for these (compat devices start low). */
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
] as const;

function requiredLimits(adapter: GPUAdapter): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) limits[name] = adapter.limits[name];
  return limits;
}

function describe(adapter: GPUAdapter): { name: string; isSoftware: boolean } {
  const info = adapter.info;
  const parts = [info.device, info.architecture, info.vendor].map((s) => (s ?? '').replace(/-+$/, '')).filter(Boolean);
  const head = parts[0] ?? 'unknown adapter';
  const name = info.description ? `${head} (${info.description})` : head;
  const isSoftware = info.isFallbackAdapter || /llvmpipe|swiftshader|lavapipe|softpipe/i.test(`${name} ${info.architecture}`);
  return { name, isSoftware };
}

/** Optional features we open the device with where the adapter has them: timestamp queries time the GEMM tuner's runs on the GPU's clock. */
const WANTED_FEATURES: readonly GPUFeatureName[] = ['timestamp-query'];

async function openDevice(adapter: GPUAdapter, release: () => void, dawnToggles: string[] = []): Promise<GpuContext> {
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits: requiredLimits(adapter), requiredFeatures });
  const { name, isSoftware } = describe(adapter);
  const ctx: GpuContext = {
    device,
    adapterName: name,
    isSoftware,
    features: [...adapter.features].sort(),
    dawnToggles,
    lostReason: undefined,
    release: () => {
      ctx.lostReason ??= 'this backend was destroyed';
      device.destroy();
      release();
    },
  };
  void device.lost.then((info) => {
    // destroy() also resolves `lost`; only an unexpected loss is an error.
    if (info.reason !== 'destroyed') ctx.lostReason = info.message || String(info.reason);
    else ctx.lostReason ??= 'the device was destroyed';
  });
  return ctx;
}

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

async function loadDawn(): Promise<DawnModule> {
  // A computed specifier keeps bundlers from pulling the native module into browser builds.
  const specifier = 'webgpu';
  try {
    return (await import(/* @vite-ignore */ specifier)) as DawnModule;
  } catch (e) {
    // Dawn (about 130 MB of native binaries) is an optional peer dependency, installed only by those who train on the GPU in Node.
    if ((e as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && (e as Error).message.includes("'webgpu'")) {
      throw new NoAdapterError("webgpu: the WebGPU backend in Node needs Dawn's bindings, the npm package 'webgpu', which is not installed: npm install webgpu (or use the cpu backend)");
    }
    throw new NoAdapterError(`webgpu: could not load Dawn's Node bindings (npm package 'webgpu'; npm install webgpu): ${(e as Error).message}`);
  }
}

const DAWN_BACKENDS = ['vulkan', 'metal', 'd3d12', 'opengles', 'opengl'];

/** The environment variable that overrides {@link DEFAULT_DAWN_TOGGLES}. */
export const DAWN_TOGGLES_ENV = 'WEBGPU_TRAIN_DAWN_TOGGLES';

/**
 * The Dawn toggles a device is opened with in Node unless
 * WEBGPU_TRAIN_DAWN_TOGGLES says otherwise (what each does and what was
 * measured: docs/dawn.md). disable_robustness drops Dawn's clamping of every
 * array index: safe only because each of our kernels stays in bounds by
 * construction, so a kernel that relies on clamping must never be added.
 * disable_workgroup_init (no zero-fill of workgroup memory) is safe for our
 * kernels too but measured no faster, so it is left to the variable.
 */
export const DEFAULT_DAWN_TOGGLES: readonly string[] = ['disable_robustness'];

/** Dawn's spelling of a toggle name (Toggles.cpp): lower-case words joined by underscores. */
const TOGGLE_NAME = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/**
 * Reads a WEBGPU_TRAIN_DAWN_TOGGLES value: toggle names separated by commas,
 * each one turned on, or off when written '-name' (one Dawn turns on by
 * itself, such as timestamp_quantization); 'none' or nothing at all opens
 * the device with Dawn's own defaults. Unset: {@link DEFAULT_DAWN_TOGGLES}.
 * Dawn ignores names it does not know without a word, so a misspelt one
 * changes nothing: check the name against Dawn's list.
 *
 * @returns the toggles in order, '-name' for those turned off.
 * @throws Error, one line naming the variable and what is wrong, for a malformed value.
 */
export function parseDawnToggles(value: string | undefined): string[] {
  if (value === undefined) return [...DEFAULT_DAWN_TOGGLES];
  const trimmed = value.trim();
  if (trimmed === '' || trimmed === 'none') return [];
  return checkDawnToggles(
    trimmed.split(',').map((t) => t.trim()),
    `${DAWN_TOGGLES_ENV}='${value}'`,
    "give names like disable_robustness separated by commas, '-name' to turn one off, or 'none'",
  );
}

/** Toggles as a list (WebGpuDeviceOptions.dawnToggles), checked as the variable's are. */
export function checkDawnToggleList(toggles: readonly string[]): string[] {
  if (!Array.isArray(toggles)) throw new Error(`webgpu: dawnToggles must be an array of toggle names, got ${typeof toggles}`);
  return checkDawnToggles(
    toggles.map((t) => (typeof t === 'string' ? t : String(t))),
    `dawnToggles ${JSON.stringify(toggles)}`,
    "give names like 'disable_robustness', '-name' to turn one off, or [] for Dawn's defaults",
  );
}

/** Each a toggle name, or '-name'; none both on and off. `where` names the setting in the error. */
function checkDawnToggles(toggles: string[], where: string, hint: string): string[] {
  for (const t of toggles) {
    if (!TOGGLE_NAME.test(t.startsWith('-') ? t.slice(1) : t)) {
      const what = t === '' ? 'an empty name' : `'${t}' is not a Dawn toggle name`;
      throw new Error(`webgpu: ${where}: ${what}; ${hint}`);
    }
  }
  const on = toggles.filter((t) => !t.startsWith('-'));
  const off = toggles.filter((t) => t.startsWith('-')).map((t) => t.slice(1));
  const both = on.find((t) => off.includes(t));
  if (both) throw new Error(`webgpu: ${where}: '${both}' is both turned on and off`);
  return toggles;
}

/** How to open the device, beside the kernel tuning (WebGpuBackend.create). */
export interface WebGpuDeviceOptions {
  /**
   * In Node (Dawn): the toggles to open the device with, each 'name' (on) or
   * '-name' (off); [] for Dawn's own defaults. Default: the
   * WEBGPU_TRAIN_DAWN_TOGGLES variable, else `['disable_robustness']`. In a
   * browser the page gets the browser's Dawn as it is: this is not used.
   */
  dawnToggles?: readonly string[];
}

/** The flags of Dawn's `create()` that set these toggles (its Node bindings pass them to every device). */
function dawnToggleFlags(toggles: readonly string[]): string[] {
  const on = toggles.filter((t) => !t.startsWith('-'));
  const off = toggles.filter((t) => t.startsWith('-')).map((t) => t.slice(1));
  const flags: string[] = [];
  if (on.length) flags.push(`enable-dawn-features=${on.join(',')}`);
  if (off.length) flags.push(`disable-dawn-features=${off.join(',')}`);
  return flags;
}

async function acquireInNode(options: WebGpuDeviceOptions): Promise<GpuContext> {
  // Checked before Dawn is loaded: a malformed value fails the same way on every machine.
  const toggles = options.dawnToggles !== undefined ? checkDawnToggleList(options.dawnToggles) : parseDawnToggles(process.env[DAWN_TOGGLES_ENV]);
  const dawn = await loadDawn();
  // Dawn's Node bindings expose GPUBufferUsage, GPUMapMode, ... as module exports.
  for (const [k, v] of Object.entries(dawn.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  // EGL must not look for a display server; set before the first create().
  process.env.EGL_PLATFORM ??= 'surfaceless';
  process.env.XDG_RUNTIME_DIR ??= '/tmp';

  const attempts: string[] = [];
  const flags = dawnToggleFlags(toggles);
  // WEBGPU_TRAIN_DAWN_BACKEND=opengles (say) skips the real-GPU probe. Dawn's
  // 'null' backend is refused: it offers an adapter that computes nothing.
  const forced = process.env.WEBGPU_TRAIN_DAWN_BACKEND;
  if (forced !== undefined && !DAWN_BACKENDS.includes(forced)) {
    throw new NoAdapterError(`webgpu: WEBGPU_TRAIN_DAWN_BACKEND='${forced}' is not one of ${DAWN_BACKENDS.join(', ')}`);
  }
  if (!forced) {
    let gpu: GPU | undefined = dawn.create(flags);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter) return openDevice(adapter, () => (gpu = undefined), toggles);
    attempts.push('Dawn default backends (core): no adapter');
  }
  for (const backend of forced ? [forced] : ['opengles', 'opengl']) {
    let gpu: GPU | undefined = dawn.create([`backend=${backend}`, ...flags]);
    const adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' });
    if (adapter) return openDevice(adapter, () => (gpu = undefined), toggles);
    attempts.push(`Dawn backend=${backend} (compatibility): no adapter`);
  }
  throw new NoAdapterError(`webgpu: no WebGPU adapter found (${attempts.join('; ')}). ${SOFTWARE_ADAPTER_HELP}`);
}

async function acquireInBrowser(gpu: GPU): Promise<GpuContext> {
  const adapter =
    (await gpu.requestAdapter({ powerPreference: 'high-performance' })) ??
    (await gpu.requestAdapter({ featureLevel: 'compatibility' }));
  if (!adapter) {
    throw new NoAdapterError(
      'webgpu: this browser exposes WebGPU but offered no adapter (on machines without a GPU, Chromium needs --enable-unsafe-webgpu); use the cpu backend.',
    );
  }
  return openDevice(adapter, () => {});
}

export async function acquireDevice(options: WebGpuDeviceOptions = {}): Promise<GpuContext> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return acquireInBrowser(nav.gpu);
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (isNode) return acquireInNode(options);
  throw new NoAdapterError('webgpu: this browser has no WebGPU (navigator.gpu is missing); use the cpu backend.');
}
