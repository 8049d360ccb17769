// The WebGPU backend: each op records one dispatch of a WGSL kernel (shaders/)
// into the scheduler; nothing is submitted or read back until a result is
// asked for. Buffers come from a pool, pipelines from a cache.
import { formatShape, Tensor, type Shape } from '../../tensor.js';
import type {
  BatchRows,
  HeadLossOutputs,
  PreparedWork,
  StepAdvance,
  ActivationName,
  AdamOptions,
  Backend,
  ColumnSumsOptions,
  CopyOptions,
  Conv2dBackwardDataOptions,
  Conv2dBackwardFilterOptions,
  Conv2dOptions,
  DerivativeOf,
  DispatchProfile,
  DropoutOptions,
  LearningRate,
  LearningRateSchedule,
  LossName,
  Plan,
  LossOptions,
  LossOutputs,
  MatmulOptions,
  Pool2dBackwardOptions,
  Pool2dOptions,
  Pool2dOutputs,
  MetricsOptions,
  RegularizeOptions,
  RmspropOptions,
} from '../backend.js';
import { kernelTotals } from '../backend.js';
import { PassTimestamps } from './gpu-timer.js';
import {
  checkActivation,
  checkDropout,
  checkGather,
  checkSameRows,
  checkLossAdvance,
  headLossDims,
  checkCursor,
  checkLearningRate,
  checkOut,
  checkRegularize,
  checkScheduleRate,
  checkView,
  conv2dBackwardDataGeometry,
  conv2dBackwardFilterGeometry,
  conv2dGeometry,
  dropoutThreshold,
  outputShapeOf,
  pool2dBackwardGeometry,
  pool2dGeometry,
  type WindowGeometry,
  checkOptimizerArgs,
  copyRange,
  checkPositive,
  checkSameShape,
  checkShape,
  checkStep,
  checkValuesFit,
  defaultAccuracy,
  lossDims,
  matmulDims,
  matrixDims,
  metricsDims,
  ShapeError,
} from '../shapes.js';
import { acquireDevice, type GpuContext, type WebGpuDeviceOptions } from './device.js';
import { BufferLimitError, BufferPool, type PoolStats } from './buffers.js';
import { PipelineCache, type Constants, type KernelSource } from './pipelines.js';
import { Scheduler, type Command, type SchedulerStats } from './scheduler.js';
import { ACCURACY_CODE, ACTIVATION_CODE, LOSS_CODE, SHADERS, uniformData } from './kernels.js';
import { tiledFor, type MatmulTiling, type TilingName } from './matmul-tiling.js';
import { chooseGemm, gemmParams, type GemmChoice, type GemmForm, type GemmKernel } from './gemm.js';
import { bucketKey, GemmTuner, gemmRequest, tuningStoreFor, type GemmWork, type TuneReport, type TunerStats } from './autotune.js';

export { NoAdapterError, type WebGpuDeviceOptions } from './device.js';
export { BufferLimitError } from './buffers.js';
export { DeviceLostError, GpuValidationError } from './scheduler.js';
export type { TuneReport, TunedBucket, TunerStats, TuningClock } from './autotune.js';
export type { GemmDecision } from './gemm.js';

const STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
const UNIFORM = () => GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST;
/** Invocations per workgroup of the element-wise and row-wise kernels. */
const WG = 64;
/** Invocations of the one workgroup that computes a loss and reduces it (a power of two, within every adapter's limits). */
const REDUCE_WG = 128;
/** Cap on workgroups for grid-stride kernels: enough to fill any GPU, few enough for one dimension. */
const MAX_STRIDE_GROUPS = 1024;

/** Whether matmul_register's vec4 views fit the dimensions it loads along. */
function registerFits(M: number, N: number, K: number, o: MatmulOptions): boolean {
  if (o.transposeA && o.transposeB) return false;
  if (o.transposeA) return M % 4 === 0 && N % 4 === 0;
  if (o.transposeB) return K % 4 === 0;
  return K % 4 === 0 && N % 4 === 0;
}

/**
 * The largest product (rows × k × outputs) head-loss.wgsl computes in its one
 * workgroup; past it the GEMM kernels spread the product over the device and
 * the loss takes a dispatch of its own. On llvmpipe (one core per workgroup),
 * the MNIST head's product at batch 1 (1.3k multiply-adds) takes 89 µs fused
 * against 243 µs apart, at batch 32 (41k) 218 against 233, and at batch 128
 * (164k) 734 against 490. A GPU's workgroup runs on one of many compute
 * units: the hardware limit is an estimate for a real-GPU run to check.
 */
const HEAD_LOSS_FMAS = { software: 1 << 16, hardware: 1 << 24 };

export class GpuTensor extends Tensor {
  constructor(
    backend: WebGpuBackend,
    shape: Shape,
    readonly buffer: GPUBuffer,
    /** Where the values start in the buffer, in bytes (views of a larger tensor). */
    readonly offset = 0,
    /** Whether disposing this tensor gives its buffer back (false for views). */
    readonly ownsBuffer = true,
  ) {
    super(backend, shape);
  }
  /**
   * Bytes the kernels see: the values rounded up to 16, so that a kernel
   * reading them as vec4s sees the last ones (buffers come in multiples of 16,
   * and views start 256 bytes apart, so the rounding stays inside the buffer).
   */
  get bindingSize(): number {
    return Math.max(16, Math.ceil((this.size * 4) / 16) * 16);
  }
  get binding(): GPUBufferBinding {
    return { buffer: this.buffer, offset: this.offset, size: this.bindingSize };
  }
}

export interface WebGpuStats extends SchedulerStats {
  liveBuffers: number;
  buffersInUse: number;
  buffersCreated: number;
  bytesAllocated: number;
  peakBytesAllocated: number;
  pipelines: number;
}

export type MatmulKernel = GemmKernel;

export interface WebGpuTuning {
  /** Run every matmul and convolution with this GEMM kernel (where the shape allows it). */
  gemmKernel?: GemmKernel;
  /**
   * The tiled kernel's tile: 'small' 32×32 (the software adapter's), 'large'
   * 64×64 of 4×4 blocks (hardware GPUs' default), 'huge' 128×128 of 8×8 blocks.
   */
  gemmTile?: TilingName;
  /**
   * Time a few GEMM configurations per product shape before training and use
   * the fastest (default: on for hardware GPUs, off for software adapters,
   * whose rules already pick well). Setting gemmKernel or gemmTile turns it off.
   */
  autotune?: boolean;
  /**
   * Where tuning decisions persist, keyed by adapter and kernel sources: a
   * directory in Node (default $XDG_CACHE_HOME/webgpu-train or
   * ~/.cache/webgpu-train, through the Node entry), localStorage in browsers;
   * false keeps them in memory only.
   */
  tuningCache?: string | false;
}

/** A matmul's shape, for {@link WebGpuBackend.tuneMatmul}. */
export interface MatmulShape {
  M: number;
  N: number;
  K: number;
  transposeA?: boolean;
  transposeB?: boolean;
}

/** What a recording collects: the commands, and the buffers they bind that the plan owns. */
interface Recording {
  tensors: GpuTensor[];
  uniforms: GPUBuffer[];
}

class GpuPlan implements Plan {
  #disposed = false;
  constructor(
    readonly backend: WebGpuBackend,
    readonly list: readonly Command[],
    private readonly release: () => void,
  ) {}
  get commands(): number {
    return this.list.length;
  }
  get disposed(): boolean {
    return this.#disposed;
  }
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.release();
  }
}

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly adapterName: string;
  /** How this backend was picked, when getBackend('auto') picked it. */
  chosen: string | undefined;
  readonly isSoftwareAdapter: boolean;
  /** The adapter's optional features, sorted ('subgroups', 'shader-f16', …): what kernels could ask for. */
  readonly adapterFeatures: readonly string[];
  /** The Dawn toggles the device was opened with in Node ('-name': turned off; docs/dawn.md); empty in a browser. */
  readonly dawnToggles: readonly string[];
  readonly limits: GPUSupportedLimits;
  /** What one kernel binding may see: every tensor fits one. */
  readonly maxTensorBytes: number;
  private readonly device: GPUDevice;
  private readonly pool: BufferPool;
  private readonly pipelines: PipelineCache;
  private readonly scheduler: Scheduler;
  /**
   * Bound where a kernel declares a binding a dispatch does not use: one for
   * every read-only binding, one per writable binding index (writable
   * bindings of one dispatch must not alias), one uniform block.
   */
  private readonly placeholders = new Map<string, GPUBuffer>();
  /** The tiled kernel's shape: the adapter's, or the one tuning names (read each time: tests and benchmarks change tuning). */
  private get tiled(): MatmulTiling {
    return tiledFor(this.isSoftwareAdapter, this.limits, this.tuning.gemmTile);
  }
  private recording: Recording | undefined;
  /** While collecting a recording's products for tuning: nothing is dispatched, tensors are shapes only. */
  private collecting: GemmWork[] | undefined;
  /** The buffer behind collected tensors (never bound). */
  private phantomBuffer: GPUBuffer | undefined;
  private readonly tuner: GemmTuner;
  /** Tensors created while recording a plan: the plan releases them, not dispose(). */
  private readonly planOwned = new WeakSet<GpuTensor>();

  /**
   * Kernel choices that override the adapter's defaults, for measuring
   * kernels and for testing every path on one adapter. Takes effect for ops
   * recorded after it is set.
   */
  readonly tuning: WebGpuTuning;

  /**
   * Opens a GPU device: the browser's `navigator.gpu`, or in Node Dawn's (the `webgpu` package), a hardware GPU first, then a software adapter.
   *
   * `tuning` chooses kernels; `device` how the device is opened (Dawn's
   * toggles in Node, docs/dawn.md).
   *
   * @throws NoAdapterError when there is no adapter, saying what to install.
   * @example
   * ```ts
   * const gpu = await WebGpuBackend.create();
   * console.log(gpu.adapterName, gpu.isSoftwareAdapter);
   * ```
   */
  static async create(tuning: WebGpuTuning = {}, device: WebGpuDeviceOptions = {}): Promise<WebGpuBackend> {
    return new WebGpuBackend(await acquireDevice(device), tuning);
  }

  private constructor(
    private readonly ctx: GpuContext,
    tuning: WebGpuTuning,
  ) {
    this.tuning = { ...tuning };
    this.device = ctx.device;
    this.adapterName = ctx.adapterName;
    this.isSoftwareAdapter = ctx.isSoftware;
    this.adapterFeatures = ctx.features;
    this.dawnToggles = ctx.dawnToggles;
    this.limits = ctx.device.limits;
    this.maxTensorBytes = this.limits.maxStorageBufferBindingSize;
    this.pool = new BufferPool(this.device, this.limits.maxBufferSize, () => this.scheduler.hasPendingWork);
    this.pipelines = new PipelineCache(this.device);
    this.scheduler = new Scheduler(this.device, this.pool, this.pipelines, () => ctx.lostReason);
    // Checked at creation: a tile this device cannot hold fails here, not in the middle of training.
    tiledFor(ctx.isSoftware, this.limits, tuning.gemmTile);
    this.tuner = new GemmTuner({
      device: this.device,
      adapterName: this.adapterName,
      software: this.isSoftwareAdapter,
      tiled: (name) => tiledFor(this.isSoftwareAdapter, this.limits, name),
      pipeline: (source, entryPoint, constants) => {
        // A candidate that fails to compile is dropped by the tuner, not reported at the next flush.
        const before = this.pipelines.errors.length;
        const pipeline = this.pipelines.get(source, entryPoint, constants);
        const errors = this.pipelines.errors.splice(before);
        return { pipeline, error: Promise.all(errors).then((m) => m.find((e) => e !== undefined)) };
      },
      layout: (source) => this.pipelines.layout(source),
      placeholder: (source, binding) => this.placeholder(source, binding),
      reduceSplits: (M, N) => ({ constants: { SPLIT_K: true, WG }, workgroups: this.strided(M * N).groups }),
      uniforms: (w, choice) => uniformData([...gemmParams(w.M, w.N, w.K, choice), ...w.instanceUniforms]),
    });
  }

  // ---- tuning -------------------------------------------------------------------------------

  /** Whether fit tunes the GEMM kernels before recording: the autotune option, else on for hardware GPUs only. */
  get autotune(): boolean {
    if (this.tuning.gemmKernel !== undefined || this.tuning.gemmTile !== undefined) return false;
    return this.tuning.autotune ?? !this.isSoftwareAdapter;
  }

  /**
   * Tunes the GEMM kernels for the products `build` would record: `build`
   * runs once with nothing dispatched (tensors it makes are shapes only), and
   * each bucket of its products (kernel instance, form, M, N, K rounded up to
   * powers of two) not yet decided is timed over a few configurations. Later
   * recordings use the decisions. Does nothing when {@link WebGpuBackend.autotune} is off,
   * unless `force` is set. Never call it while a plan is being recorded.
   *
   * @example
   * ```ts
   * const gpu = await WebGpuBackend.create({ autotune: true });
   * const x = gpu.zeros([256, 784]);
   * const w = gpu.zeros([784, 128]);
   * const report = await gpu.tuneFor(() => void gpu.matmul(x, w));
   * console.log(report.buckets.map((b) => `${b.key}: ${JSON.stringify(b.decision)}`));
   * ```
   */
  async tuneFor(build: () => void, options: { force?: boolean } = {}): Promise<TuneReport> {
    if (!this.autotune && !options.force) return { buckets: [], timed: 0, ms: 0, clock: this.tuner.clock };
    const work = this.collect(build);
    return this.tuner.tune(work, tuningStoreFor(this.tuning.tuningCache));
  }

  /** {@link WebGpuBackend.tuneFor} over matmuls of these shapes (plain, with no epilogue): tuned even when autotune is off. */
  async tuneMatmul(shapes: readonly MatmulShape[]): Promise<TuneReport> {
    return this.tuneFor(() => {
      for (const s of shapes) {
        const a = this.zeros(s.transposeA ? [s.K, s.M] : [s.M, s.K]);
        const b = this.zeros(s.transposeB ? [s.N, s.K] : [s.K, s.N]);
        this.matmul(a, b, { transposeA: !!s.transposeA, transposeB: !!s.transposeB });
      }
    }, { force: true });
  }

  /** The tuning decisions in memory, by bucket. */
  tunedDecisions(): TuneReport['buckets'] {
    return this.tuner.entries();
  }

  /** Sets a bucket's decision by hand (for tools and tests; bucket keys as in {@link WebGpuBackend.tunedDecisions}); applies to products recorded afterwards. */
  setTunedDecision(key: string, decision: TuneReport['buckets'][number]['decision']): void {
    this.tuner.set(key, decision);
  }

  /** Forgets the tuning decisions in memory (the persistent store keeps its own). */
  clearTunedDecisions(): void {
    this.tuner.clear();
  }

  /** Counters of the tuner: timing runs, buckets timed and loaded, time spent. */
  tuningStats(): TunerStats {
    return { ...this.tuner.stats };
  }

  /** Runs `build` with nothing dispatched, and returns the GEMM products it asked for. */
  private collect(build: () => void): GemmWork[] {
    if (this.recording || this.collecting) throw new Error('tuneFor: tuning cannot start while a plan is being recorded');
    this.scheduler.checkAlive();
    const work: GemmWork[] = [];
    this.collecting = work;
    try {
      build();
    } finally {
      this.collecting = undefined;
    }
    return work;
  }

  /** Counters since the backend was made: submissions, readbacks, dispatches, and the buffer pool's memory. */
  stats(): WebGpuStats {
    const p: PoolStats = this.pool.snapshot();
    return {
      ...this.scheduler.stats,
      liveBuffers: p.live,
      buffersInUse: p.inUse,
      buffersCreated: p.created,
      bytesAllocated: p.bytesAllocated,
      peakBytesAllocated: p.peakBytesAllocated,
      pipelines: this.pipelines.size,
    };
  }

  /** Which kernels and specializations have been compiled (for tests and profiling). */
  pipelineKeys(): string[] {
    return this.pipelines.keys();
  }

  // ---- memory -------------------------------------------------------------------------------

  private own(t: Tensor, op: string): GpuTensor {
    if (!(t instanceof GpuTensor) || t.backend !== this) {
      throw new Error(`${op}: ${t} belongs to another backend (${t.backend.name}), not webgpu`);
    }
    if (t.disposed) throw new Error(`${op}: ${t} was disposed`);
    return t;
  }

  private allocate(shape: Shape, what: string): GpuTensor {
    this.scheduler.checkAlive();
    if (this.collecting) {
      this.phantomBuffer ??= this.device.createBuffer({ size: 16, usage: STORAGE(), label: 'collected tensors' });
      return new GpuTensor(this, shape, this.phantomBuffer, 0, false);
    }
    const bytes = shape.reduce((n, d) => n * d, 1) * 4;
    if (bytes > this.limits.maxStorageBufferBindingSize) {
      throw new BufferLimitError(
        `${what}: a tensor of shape ${formatShape(shape)} needs ${bytes} bytes, over this adapter's ` +
          `maxStorageBufferBindingSize of ${this.limits.maxStorageBufferBindingSize} bytes`,
      );
    }
    const t = new GpuTensor(this, shape, this.pool.acquire(bytes, STORAGE(), `a tensor ${formatShape(shape)}`));
    if (this.recording) {
      this.recording.tensors.push(t);
      this.planOwned.add(t);
    }
    return t;
  }

  tensor(values: Float32Array | readonly number[], shape: Shape): Tensor {
    checkValuesFit(values, shape, 'tensor');
    const t = this.allocate(shape, 'tensor');
    if (values.length > 0 && !this.collecting) this.device.queue.writeBuffer(t.buffer, 0, Float32Array.from(values));
    return t;
  }

  zeros(shape: Shape): Tensor {
    checkShape(shape, 'zeros');
    const t = this.allocate(shape, 'zeros');
    // Pooled buffers hold old values; zero the bytes the tensor covers.
    if (t.size > 0 && !this.collecting) this.device.queue.writeBuffer(t.buffer, 0, new Float32Array(t.size));
    return t;
  }

  write(t: Tensor, values: Float32Array): void {
    const g = this.own(t, 'write');
    if (this.recording || this.collecting) throw new Error('write: tensors cannot be written while a plan is being recorded');
    if (values.length !== g.size) throw new ShapeError(`write: ${values.length} values for ${t} of ${g.size}`);
    // queue.writeBuffer lands before any later submit: recorded work that reads
    // the old values must be submitted first.
    if (this.scheduler.hasPendingWork) this.scheduler.submit();
    if (values.length > 0) this.device.queue.writeBuffer(g.buffer, g.offset, values as Float32Array<ArrayBuffer>);
  }

  view(base: Tensor, shape: Shape, offset = 0): Tensor {
    const g = this.own(base, 'view');
    checkView(base, shape, offset);
    return new GpuTensor(this, shape, g.buffer, g.offset + offset * 4, false);
  }

  async read(t: Tensor): Promise<Float32Array> {
    const g = this.own(t, 'read');
    if (this.collecting) throw new Error('read: results cannot be read while a plan is being recorded');
    const values = await this.scheduler.read(g.buffer, g.offset, g.bindingSize);
    return values.length === g.size ? values : values.slice(0, g.size);
  }

  dispose(t: Tensor): void {
    if (t instanceof GpuTensor && t.backend === this && t.ownsBuffer && !this.planOwned.has(t)) this.pool.release(t.buffer);
  }

  // ---- dispatch -----------------------------------------------------------------------------

  private placeholder(source: KernelSource, binding: number): GPUBuffer {
    const kind = source.bindings.get(binding)!;
    const key = kind === 'read_write' ? `rw${binding}` : kind;
    let buffer = this.placeholders.get(key);
    if (!buffer) {
      // 256 bytes: more than any kernel's uniform block or smallest array needs.
      const usage = kind === 'uniform' ? UNIFORM() : STORAGE();
      buffer = this.device.createBuffer({ size: 256, usage, label: `placeholder ${key}` });
      this.placeholders.set(key, buffer);
    }
    return buffer;
  }

  /**
   * Records one dispatch of `entryPoint`. Bindings the caller leaves out are
   * bound to placeholders: the kernel's layout lists every binding it declares.
   */
  private run(
    source: KernelSource,
    entryPoint: string,
    constants: Constants,
    bindings: Record<number, GpuTensor | undefined>,
    uniform: ArrayBuffer | undefined,
    workgroups: readonly [number, number?, number?],
  ): void {
    if (this.collecting) return;
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (workgroups.some((w) => (w ?? 1) > max)) {
      throw new Error(`${source.name}.${entryPoint}: ${workgroups.join('×')} workgroups exceed maxComputeWorkgroupsPerDimension ${max}`);
    }
    const pipeline = this.pipelines.get(source, entryPoint, constants);
    let uniformBuffer: GPUBuffer | undefined;
    if (uniform) {
      uniformBuffer = this.pool.acquire(uniform.byteLength, UNIFORM(), 'uniforms');
      this.device.queue.writeBuffer(uniformBuffer, 0, uniform);
    }
    const entries: GPUBindGroupEntry[] = [];
    for (const binding of source.bindings.keys()) {
      const t = bindings[binding];
      let resource: GPUBufferBinding;
      if (binding === source.uniformBinding && uniformBuffer) resource = { buffer: uniformBuffer, size: uniform!.byteLength };
      else if (t) resource = t.binding;
      else resource = { buffer: this.placeholder(source, binding) };
      entries.push({ binding, resource });
    }
    const bindGroup = this.device.createBindGroup({ layout: this.pipelines.layout(source), entries });
    const [x, y = 1, z = 1] = workgroups;
    this.scheduler.dispatch({ pipeline, bindGroup, workgroups: [x, y, z], label: `${source.name}.${entryPoint}` });
    // A plan keeps its uniforms; otherwise reusable after the submission that reads it (see BufferPool).
    if (uniformBuffer && this.recording) this.recording.uniforms.push(uniformBuffer);
    else if (uniformBuffer) this.pool.release(uniformBuffer);
  }

  /** Workgroup count and stride for a grid-stride loop over n items. */
  private strided(n: number): { groups: number; stride: number } {
    const groups = Math.min(Math.max(1, Math.ceil(n / WG)), MAX_STRIDE_GROUPS);
    return { groups, stride: groups * WG };
  }

  // ---- ops ----------------------------------------------------------------------------------

  matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
    return this.matmulOf(this.chooseMatmul(a, b, options), a, b, options, this.tuning.gemmKernel === undefined && this.tuning.gemmTile === undefined);
  }

  /**
   * Software adapters run the register-blocked kernel where the shape allows
   * its vec4 loads (see matmul.wgsl); GPUs, and other shapes, the tiled one.
   */
  private chooseMatmul(a: Tensor, b: Tensor, options: MatmulOptions): MatmulKernel {
    const { M, N, K } = matmulDims(a, b, options);
    const fits = registerFits(M, N, K, options);
    const forced = this.tuning.gemmKernel;
    if (forced === 'naive') return 'naive';
    if (forced === 'tiled' || (forced === 'register' && !fits)) return 'tiled';
    if (forced === 'register') return 'register';
    return this.isSoftwareAdapter && fits ? 'register' : 'tiled';
  }

  /** matmul with a chosen kernel: 'naive' (one output per invocation) exists as a baseline. */
  matmulWith(kernel: MatmulKernel, a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
    return this.matmulOf(kernel, a, b, options, false);
  }

  /** A matmul with the rules' kernel; `tunable`: a tuning decision for its bucket may replace it. */
  private matmulOf(kernel: MatmulKernel, a: Tensor, b: Tensor, options: MatmulOptions, tunable: boolean): Tensor {
    const { M, N, K } = matmulDims(a, b, options);
    if (kernel === 'register' && !registerFits(M, N, K, options)) {
      throw new Error(`matmul: the register kernel needs vec4-aligned dimensions, got M=${M} N=${N} K=${K}`);
    }
    const ga = this.own(a, 'matmul');
    const gb = this.own(b, 'matmul');
    const bias = options.bias ? this.own(options.bias, 'matmul') : undefined;
    const forwardOutput = options.derivativeOf ? this.own(options.derivativeOf.output, 'matmul') : undefined;
    const c = options.out ? this.own(options.out, 'matmul') : this.allocate([M, N], 'matmul');
    const sums = options.columnSumsInto ? this.own(options.columnSumsInto, 'matmul') : undefined;
    const batch = options.rowsOfA && this.batchRows(options.rowsOfA, a, 'matmul');
    if (N === 0) return c;
    if (M === 0 && !sums) return c;
    const form: GemmForm = options.transposeA ? 'tn' : options.transposeB ? 'nt' : 'nn';
    const constants: Constants = {
      TRANSPOSE_A: !!options.transposeA,
      TRANSPOSE_B: !!options.transposeB,
      HAS_BIAS: !!bias,
      ACTIVATION: ACTIVATION_CODE[options.activation ?? 'linear'],
      DERIVATIVE: options.derivativeOf ? ACTIVATION_CODE[options.derivativeOf.activation] : 0,
      ONES_ROW: !!sums,
      BATCH_ROWS: !!batch,
    };
    // With the bias gradient fused in, op(A) has one more row: the ones whose products are Σ_k B[k, :].
    const rows = sums ? M + 1 : M;
    const register = registerFits(M, N, K, options);
    const bindings = { 0: ga, 1: gb, 2: bias ?? forwardOutput, 3: c, 5: sums, ...batch?.bindings };
    this.gemm(SHADERS.matmul, { M: rows, N, K, form, kernel, split: false, register, tunable, edgeFree: true }, constants, bindings, (batch?.at ?? [0, 0, 0, 0]).map((v) => ['u32', v] as const));
    return c;
  }

  /**
   * One product through the GEMM template: the kernel and blocks for this
   * shape, and with a split reduction a second dispatch that adds the splits.
   */
  private gemm(
    source: KernelSource,
    r: { M: number; N: number; K: number; form: GemmForm; kernel: GemmKernel; split: boolean; register: boolean; tunable: boolean; edgeFree?: boolean },
    constants: Constants,
    bindings: Record<number, GpuTensor | undefined>,
    instanceUniforms: ReadonlyArray<readonly ['u32' | 'f32', number]>,
  ): GemmChoice | undefined {
    if (this.collecting) {
      if (!r.tunable) return undefined;
      const bindingBytes = new Map<number, number>();
      for (const [i, t] of Object.entries(bindings)) if (t) bindingBytes.set(Number(i), t.bindingSize);
      this.collecting.push({ source, ...r, constants, instanceUniforms, bindingBytes });
      return undefined;
    }
    let decision = r.tunable ? this.tuner.decision(bucketKey({ source, ...r, constants })) : undefined;
    // A decision set by hand may name a kernel this shape cannot take: the rules decide then.
    if (decision?.kernel === 'register' && !r.register) decision = undefined;
    const tiled = decision ? (name?: TilingName) => tiledFor(this.isSoftwareAdapter, this.limits, name) : () => this.tiled;
    const choice = chooseGemm(gemmRequest(r, decision, tiled, this.isSoftwareAdapter));
    const uniform = uniformData([...gemmParams(r.M, r.N, r.K, choice), ...instanceUniforms]);
    const partials = choice.splits > 1 ? this.allocate([choice.splits * r.M * r.N], 'gemm partial sums') : undefined;
    this.run(source, choice.entryPoint, { ...constants, ...choice.constants }, { ...bindings, 7: partials }, uniform, choice.workgroups);
    if (partials) {
      const { groups } = this.strided(r.M * r.N);
      this.run(source, 'gemm_reduce_splits', { ...constants, SPLIT_K: true, WG }, { ...bindings, 7: partials }, uniform, [groups]);
      // Inside a plan the plan owns it; otherwise it is reusable after the next submission.
      if (!this.recording) this.pool.release(partials.buffer);
    }
    return choice;
  }

  /**
   * The register kernel on software adapters (their loads are cheap in vec4s),
   * the tiled one on GPUs; the fields every convolution's GEMM request shares.
   */
  private convKernel(): { kernel: GemmKernel; register: true; tunable: boolean } {
    const forced = this.tuning.gemmKernel;
    const kernel = forced ?? (this.isSoftwareAdapter ? 'register' : 'tiled');
    return { kernel, register: true, tunable: forced === undefined && this.tuning.gemmTile === undefined };
  }

  conv2d(x: Tensor, kernel: Tensor, options: Conv2dOptions = {}): Tensor {
    const g = conv2dGeometry(x, kernel, options);
    const gx = this.own(x, 'conv2d');
    const gk = this.own(kernel, 'conv2d');
    const bias = options.bias ? this.own(options.bias, 'conv2d') : undefined;
    const y = this.allocate(outputShapeOf(g), 'conv2d');
    if (y.size === 0) return y;
    const M = g.batch * g.outH * g.outW;
    const constants: Constants = {
      HAS_BIAS: !!bias,
      ACTIVATION: ACTIVATION_CODE[options.activation ?? 'linear'],
      CHANNELS_VEC4: g.inC % 4 === 0,
      FILTERS_VEC4: g.outC % 4 === 0,
    };
    const r = { M, N: g.outC, K: g.kH * g.kW * g.inC, form: 'nn' as const, ...this.convKernel(), split: false };
    this.gemm(SHADERS.conv2dForward, r, constants, { 0: gx, 1: gk, 2: bias, 3: y }, geometryFields(g));
    return y;
  }

  conv2dBackwardData(dy: Tensor, kernel: Tensor, options: Conv2dBackwardDataOptions): Tensor {
    const g = conv2dBackwardDataGeometry(dy, kernel, options);
    const gdy = this.own(dy, 'conv2dBackwardData');
    const gk = this.own(kernel, 'conv2dBackwardData');
    const below = options.derivativeOf ? this.own(options.derivativeOf.output, 'conv2dBackwardData') : undefined;
    const dx = this.allocate(options.inputShape, 'conv2dBackwardData');
    if (dx.size === 0) return dx;
    const constants: Constants = {
      DERIVATIVE: options.derivativeOf ? ACTIVATION_CODE[options.derivativeOf.activation] : 0,
      FILTERS_VEC4: g.outC % 4 === 0,
      UNIT_STRIDE: g.strideH === 1 && g.strideW === 1,
    };
    const r = { M: g.batch * g.inH * g.inW, N: g.inC, K: g.kH * g.kW * g.outC, form: 'nt' as const, ...this.convKernel(), split: false };
    this.gemm(SHADERS.conv2dBackwardData, r, constants, { 0: gdy, 1: gk, 2: below, 3: dx }, geometryFields(g));
    return dx;
  }

  conv2dBackwardFilter(x: Tensor, dy: Tensor, options: Conv2dBackwardFilterOptions): { kernel: Tensor; bias?: Tensor } {
    const g = conv2dBackwardFilterGeometry(x, dy, options);
    const gx = this.own(x, 'conv2dBackwardFilter');
    const gdy = this.own(dy, 'conv2dBackwardFilter');
    const withBias = options.bias ?? false;
    const kernel = options.out ? this.own(options.out.kernel, 'conv2dBackwardFilter') : this.allocate([g.kH, g.kW, g.inC, g.outC], 'conv2dBackwardFilter');
    const bias = withBias ? (options.out?.bias ? this.own(options.out.bias, 'conv2dBackwardFilter') : this.allocate([g.outC], 'conv2dBackwardFilter')) : undefined;
    const taps = g.kH * g.kW * g.inC;
    const K = g.batch * g.outH * g.outW;
    const constants: Constants = { HAS_BIAS: withBias, CHANNELS_VEC4: g.inC % 4 === 0, FILTERS_VEC4: g.outC % 4 === 0 };
    // The reduction runs over every output pixel of the batch while the output
    // is a few hundred values: split it until the device has work for every core.
    const r = { M: taps + (withBias ? 1 : 0), N: g.outC, K, form: 'tn' as const, ...this.convKernel(), split: true };
    this.gemm(SHADERS.conv2dBackwardFilter, r, constants, { 0: gx, 1: gdy, 3: kernel, 5: bias }, geometryFields(g));
    return bias ? { kernel, bias } : { kernel };
  }

  pool2d(x: Tensor, options: Pool2dOptions & { keepArgmax?: boolean }): Pool2dOutputs {
    const g = pool2dGeometry(x, options);
    const gx = this.own(x, 'pool2d');
    const output = this.allocate(outputShapeOf(g), 'pool2d');
    const keep = options.kind === 'max' && !!options.keepArgmax;
    const argmax = keep ? this.allocate(outputShapeOf(g), 'pool2d') : undefined;
    if (output.size > 0) {
      const pixels = g.batch * g.outH * g.outW;
      const { groups, stride } = this.strided(pixels);
      const uniform = uniformData([...geometryFields(g), ['u32', pixels], ['u32', stride]]);
      this.run(SHADERS.pool, 'pool_forward', { MAX: options.kind === 'max', CHANNELS_VEC4: g.inC % 4 === 0, WG }, { 0: gx, 1: output, 2: argmax }, uniform, [groups]);
    }
    return argmax ? { output, argmax } : { output };
  }

  pool2dBackward(dy: Tensor, options: Pool2dBackwardOptions): Tensor {
    const g = pool2dBackwardGeometry(dy, options);
    const gdy = this.own(dy, 'pool2dBackward');
    const argmax = options.kind === 'max' ? this.own(options.argmax!, 'pool2dBackward') : undefined;
    const below = options.derivativeOf ? this.own(options.derivativeOf.output, 'pool2dBackward') : undefined;
    const dx = this.allocate(options.inputShape, 'pool2dBackward');
    if (dx.size > 0) {
      const pixels = g.batch * g.inH * g.inW;
      const { groups, stride } = this.strided(pixels);
      const uniform = uniformData([...geometryFields(g), ['u32', pixels], ['u32', stride]]);
      const constants = { MAX: options.kind === 'max', DERIVATIVE: derivativeCode(options.derivativeOf), CHANNELS_VEC4: g.inC % 4 === 0, WG };
      this.run(SHADERS.pool, 'pool_backward', constants, { 4: gdy, 5: argmax, 6: dx, 7: below }, uniform, [groups]);
    }
    return dx;
  }

  dropout(x: Tensor, options: DropoutOptions): Tensor {
    checkDropout('dropout', x, options);
    return this.dropoutPass('dropout_forward', this.own(x, 'dropout'), options);
  }

  dropoutBackward(dy: Tensor, options: DropoutOptions): Tensor {
    checkDropout('dropoutBackward', dy, options);
    return this.dropoutPass('dropout_backward', this.own(dy, 'dropoutBackward'), options);
  }

  private dropoutPass(entry: string, x: GpuTensor, o: DropoutOptions): Tensor {
    const out = this.allocate(x.shape, entry);
    if (out.size === 0) return out;
    const step = this.own(o.step, entry);
    const below = o.derivativeOf ? this.own(o.derivativeOf.output, entry) : undefined;
    const { groups, stride } = this.strided(out.size);
    const uniform = uniformData([
      ['u32', out.size],
      ['u32', stride],
      ['u32', o.seed],
      ['u32', dropoutThreshold(o.rate)],
      ['f32', 1 / (1 - o.rate)],
    ]);
    const constants = { DERIVATIVE: derivativeCode(o.derivativeOf), WG };
    this.run(SHADERS.dropout, entry, constants, { 0: x, 1: below, 2: out, 3: step }, uniform, [groups]);
    return out;
  }

  activation(x: Tensor, name: ActivationName): Tensor {
    checkActivation('activation', name);
    const gx = this.own(x, 'activation');
    const out = this.allocate(x.shape, 'activation');
    this.elementwise('activation_forward', name, { 0: gx, 2: out }, gx.size);
    return out;
  }

  activationBackward(dy: Tensor, y: Tensor, name: ActivationName): Tensor {
    checkActivation('activationBackward', name);
    checkSameShape('activationBackward', 'dy', dy, 'y', y);
    const gdy = this.own(dy, 'activationBackward');
    const gy = this.own(y, 'activationBackward');
    const out = this.allocate(dy.shape, 'activationBackward');
    this.elementwise('activation_backward', name, { 0: gdy, 1: gy, 2: out }, gdy.size);
    return out;
  }

  private elementwise(entry: string, name: ActivationName, bindings: Record<number, GpuTensor>, n: number): void {
    if (n === 0) return;
    const { groups, stride } = this.strided(n);
    const uniform = uniformData([['u32', n], ['u32', 0], ['u32', 0], ['u32', stride]]);
    this.run(SHADERS.activation, entry, { ACTIVATION: ACTIVATION_CODE[name], WG }, bindings, uniform, [groups]);
  }

  softmax(x: Tensor): Tensor {
    const [rows, cols] = matrixDims('softmax', 'x', x);
    const gx = this.own(x, 'softmax');
    const out = this.allocate(x.shape, 'softmax');
    this.rowwise('softmax', { 0: gx, 2: out }, rows, cols);
    return out;
  }

  softmaxBackward(dy: Tensor, y: Tensor): Tensor {
    checkSameShape('softmaxBackward', 'dy', dy, 'y', y);
    const [rows, cols] = matrixDims('softmaxBackward', 'dy', dy);
    const gdy = this.own(dy, 'softmaxBackward');
    const gy = this.own(y, 'softmaxBackward');
    const out = this.allocate(dy.shape, 'softmaxBackward');
    this.rowwise('softmax_backward', { 0: gdy, 1: gy, 2: out }, rows, cols);
    return out;
  }

  private rowwise(entry: string, bindings: Record<number, GpuTensor>, rows: number, cols: number): void {
    if (rows * cols === 0) return;
    const { groups, stride } = this.strided(rows);
    const uniform = uniformData([['u32', rows * cols], ['u32', rows], ['u32', cols], ['u32', stride]]);
    this.run(SHADERS.activation, entry, { WG }, bindings, uniform, [groups]);
  }

  columnSums(x: Tensor, options: ColumnSumsOptions = {}): Tensor {
    const [rows, cols] = matrixDims('columnSums', 'x', x);
    const gx = this.own(x, 'columnSums');
    const into = options.accumulateInto;
    if (into && into.size !== cols) throw new ShapeError(`columnSums: accumulateInto ${into} must hold ${cols} values`);
    if (options.out) checkOut('columnSums', options.out, [cols]);
    const target = into ?? options.out;
    const out = target ? this.own(target, 'columnSums') : this.allocate([cols], 'columnSums');
    if (cols === 0) return out;
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    const groups = [Math.min(cols, max), Math.ceil(cols / max)] as const;
    const uniform = uniformData([['u32', rows], ['u32', cols], ['f32', options.scale ?? 1]]);
    this.run(SHADERS.reduce, 'column_sums', { ACCUMULATE: !!into, WG }, { 0: gx, 1: out }, uniform, groups);
    return out;
  }

  loss(name: LossName, prediction: Tensor, target: Tensor, options: LossOptions = {}): LossOutputs {
    const [rows] = lossDims(name, prediction, target, options.accumulateInto, options.targetRows);
    const stats = this.allocate([rows, 2], 'loss');
    const grad = this.scoreBatch('loss', name, this.own(prediction, 'loss'), target, options, { 3: stats });
    return { grad, stats };
  }

  /**
   * One dispatch of loss.wgsl or head-loss.wgsl (their shared part is
   * lib/loss.wgsl): the loss of every row, its gradient, the sums, and the
   * step's bookkeeping when its state is one buffer (else a dispatch more).
   * `kernel` holds the entry's own bindings and its four head fields.
   */
  private scoreBatch(
    entry: 'loss' | 'head_loss',
    name: LossName,
    prediction: GpuTensor,
    target: Tensor,
    options: LossOptions,
    kernel: { 3: GpuTensor; 6?: GpuTensor; fields?: ReadonlyArray<readonly ['u32', number]> },
  ): GpuTensor {
    const [rows, cols] = lossDims(name, prediction, target, options.accumulateInto, options.targetRows);
    const gt = this.own(target, entry);
    const batch = options.targetRows && this.batchRows(options.targetRows, target, entry);
    const totals = options.accumulateInto ? this.own(options.accumulateInto, entry) : undefined;
    const advance = options.advance;
    if (advance) checkLossAdvance(options);
    // The bookkeeping rides in this dispatch when its state is one buffer (and the cursor the one the targets are read at).
    const state = advance && rows * cols > 0 ? this.stepState(advance, options.targetRows) : undefined;
    const grad = this.allocate(prediction.shape, entry);
    if (rows * cols > 0) {
      const perElement = name === 'meanSquaredError' || name === 'binaryCrossentropy';
      const gradScale = perElement ? 1 / (rows * cols) : 1 / rows;
      // Reducing into totals takes one workgroup: it sums every row itself.
      const wg = totals ? REDUCE_WG : WG;
      const { groups, stride } = totals ? { groups: 1, stride: wg } : this.strided(rows);
      const constants = {
        LOSS: LOSS_CODE[name],
        FROM_LOGITS: !!options.fromLogits,
        ACCURACY: ACCURACY_CODE[options.accuracy ?? defaultAccuracy(name, cols)],
        REDUCE: !!totals,
        BATCH_ROWS: !!batch,
        ADVANCE: !!state,
        ADVANCE_STEP: state?.stepAt !== undefined,
        SCHEDULE: scheduleCode(state && advance?.schedule?.schedule),
        WG: wg,
      };
      const at = batch?.at ?? [0, 0, 0, 0];
      const uniform = uniformData([
        ['u32', rows], ['u32', cols], ['f32', gradScale], ['u32', stride],
        ['u32', at[0]], ['u32', at[1]], ['u32', state?.cursorAt ?? at[2]], ['u32', at[3]],
        ['u32', state?.stepAt ?? 0], ['u32', state?.rateAt ?? 0], ...(kernel.fields ?? [['u32', 0], ['u32', 0], ['u32', 0], ['u32', 0]]),
        ['u32', 0], ['u32', 0],
        ...scheduleFields(advance?.schedule?.schedule),
      ]);
      const bindings = { 0: prediction, 1: gt, 2: grad, 3: kernel[3], 5: totals, 6: kernel[6], ...batch?.bindings, ...(state ? { 9: state.span } : {}) };
      this.run(entry === 'loss' ? SHADERS.loss : SHADERS.headLoss, entry, constants, bindings, uniform, [groups]);
    }
    if (advance && !state) {
      if (advance.step) this.advanceStep(advance.step, advance.schedule, { cursor: advance.cursor, rows: advance.rows });
      else this.advanceCursor(advance.cursor, advance.rows);
    }
    return grad;
  }

  headLoss(name: LossName, x: Tensor, kernel: Tensor, bias: Tensor | undefined, target: Tensor, options: LossOptions): HeadLossOutputs {
    const [rows, K, cols] = headLossDims(x, kernel, bias, options);
    const [gx, gk] = [this.own(x, 'headLoss'), this.own(kernel, 'headLoss')];
    const gb = bias && this.own(bias, 'headLoss');
    const weights = this.sameBufferSpan([gk, gb]);
    const limit = this.isSoftwareAdapter ? HEAD_LOSS_FMAS.software : HEAD_LOSS_FMAS.hardware;
    // One workgroup does the whole product: only a small one, with W and b in one binding.
    if (!weights || rows * K * cols > limit || rows * cols === 0) {
      const prediction = this.matmul(x, kernel, bias ? { bias } : {});
      return { prediction, grad: this.loss(name, prediction, target, options).grad };
    }
    const prediction = this.allocate([rows, cols], 'headLoss');
    const fields = [['u32', K], ['u32', weights.at[0]!], ['u32', weights.at[1] ?? 0], ['u32', gb ? 1 : 0]] as const;
    const grad = this.scoreBatch('head_loss', name, prediction, target, options, { 3: gx, 6: weights.span, fields });
    return { prediction, grad };
  }

  /** One binding over tensors that are views of one buffer, and each one's element index in it; undefined when they are not. */
  private sameBufferSpan(tensors: readonly (GpuTensor | undefined)[]): { span: GpuTensor; at: (number | undefined)[] } | undefined {
    const parts = tensors.filter((t): t is GpuTensor => t !== undefined);
    if (parts.some((t) => t.buffer !== parts[0]!.buffer)) return undefined;
    const start = Math.min(...parts.map((t) => t.offset));
    const end = Math.max(...parts.map((t) => t.offset + t.bindingSize));
    const span = new GpuTensor(this, [(end - start) / 4], parts[0]!.buffer, start, false);
    return { span, at: tensors.map((t) => t && (t.offset - start) / 4) };
  }

  /**
   * The cursor, step and rate of a StepAdvance as one binding, when they are
   * views of one buffer (a model keeps them so), with each one's element
   * index in it; undefined when they are not, or when the targets are read at
   * another cursor.
   */
  private stepState(a: StepAdvance, rows: BatchRows | undefined): { span: GpuTensor; cursorAt: number; stepAt?: number; rateAt?: number } | undefined {
    if (rows && rows.cursor !== a.cursor) return undefined;
    const one = this.sameBufferSpan([a.cursor, a.step, a.schedule?.rate].map((t) => t && this.own(t, 'loss advance')));
    if (!one) return undefined;
    const [cursorAt, stepAt, rateAt] = one.at;
    return { span: one.span, cursorAt: cursorAt!, ...(stepAt !== undefined ? { stepAt } : {}), ...(rateAt !== undefined ? { rateAt } : {}) };
  }

  /** One update over a flat tensor; a learning-rate tensor is read by the kernel at every step. */
  private optimizerStep(entry: string, bindings: Record<number, GpuTensor>, n: number, hyper: OptimizerUniforms, learningRate: LearningRate): void {
    if (n === 0) return;
    const rate = typeof learningRate === 'number' ? undefined : this.own(learningRate, entry);
    const { groups, stride } = this.strided(n);
    const uniform = optimizerUniforms({ ...hyper, n, stride, learningRate: typeof learningRate === 'number' ? learningRate : 0 });
    this.run(SHADERS.optimizer, entry, { WG, RATE_TENSOR: !!rate }, { ...bindings, 6: rate }, uniform, [groups]);
  }

  sgd(param: Tensor, grad: Tensor, learningRate: LearningRate): void {
    checkOptimizerArgs('sgd', param, grad, {});
    checkLearningRate('sgd', learningRate);
    const p = this.own(param, 'sgd');
    this.optimizerStep('sgd', { 0: p, 1: this.own(grad, 'sgd') }, p.size, {}, learningRate);
  }

  momentum(param: Tensor, grad: Tensor, velocity: Tensor, learningRate: LearningRate, momentum: number): void {
    checkOptimizerArgs('momentum', param, grad, { velocity });
    checkLearningRate('momentum', learningRate);
    const p = this.own(param, 'momentum');
    const bindings = { 0: p, 1: this.own(grad, 'momentum'), 2: this.own(velocity, 'momentum') };
    this.optimizerStep('momentum', bindings, p.size, { momentum }, learningRate);
  }

  adam(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, step: Tensor, options: AdamOptions): void {
    checkOptimizerArgs('adam', param, grad, { m, v });
    checkStep('adam', step);
    checkLearningRate('adam', options.learningRate);
    const p = this.own(param, 'adam');
    const bindings = { 0: p, 1: this.own(grad, 'adam'), 2: this.own(m, 'adam'), 3: this.own(v, 'adam'), 4: this.own(step, 'adam') };
    const { beta1, beta2, epsilon, weightDecay } = options;
    this.optimizerStep('adam', bindings, p.size, { beta1, beta2, epsilon, weightDecay: weightDecay ?? 0 }, options.learningRate);
  }

  rmsprop(param: Tensor, grad: Tensor, meanSquare: Tensor, options: RmspropOptions): void {
    checkOptimizerArgs('rmsprop', param, grad, { meanSquare });
    checkLearningRate('rmsprop', options.learningRate);
    const p = this.own(param, 'rmsprop');
    const bindings = { 0: p, 1: this.own(grad, 'rmsprop'), 2: this.own(meanSquare, 'rmsprop') };
    this.optimizerStep('rmsprop', bindings, p.size, { rho: options.rho, epsilon: options.epsilon }, options.learningRate);
  }

  metrics(prediction: Tensor, target: Tensor, totals: Tensor, options: MetricsOptions = {}): void {
    const [rows, cols] = metricsDims(prediction, target, totals, options.sparse ?? false);
    const bindings = { 0: this.own(prediction, 'metrics'), 1: this.own(target, 'metrics'), 2: this.own(totals, 'metrics') };
    if (rows * cols === 0) return;
    const constants = { OUTPUT: options.fromLogits === 'sigmoid' ? 1 : options.fromLogits === 'softmax' ? 2 : 0, SPARSE: !!options.sparse, WG: REDUCE_WG };
    this.run(SHADERS.metrics, 'metrics', constants, bindings, uniformData([['u32', rows], ['u32', cols]]), [1]);
  }

  regularize(param: Tensor, grad: Tensor | undefined, totals: Tensor, options: RegularizeOptions): void {
    checkRegularize(param, grad, totals, options);
    const p = this.own(param, 'regularize');
    if (p.size === 0) return;
    const bindings = { 0: p, 1: grad && this.own(grad, 'regularize'), 2: this.own(totals, 'regularize') };
    const uniform = uniformData([['u32', p.size], ['f32', options.rows], ['f32', options.l1], ['f32', options.l2]]);
    this.run(SHADERS.regularize, 'regularize', { GRADIENT: !!grad, WG: REDUCE_WG }, bindings, uniform, [1]);
  }

  advanceStep(step: Tensor, schedule?: { rate: Tensor; schedule: LearningRateSchedule }, cursor?: { cursor: Tensor; rows: number }): void {
    checkStep('advanceStep', step);
    if (schedule) checkScheduleRate('advanceStep', schedule);
    if (cursor) checkCursor('advanceStep', cursor.cursor);
    const bindings = { 4: this.own(step, 'advanceStep'), 6: schedule && this.own(schedule.rate, 'advanceStep'), 7: cursor && this.own(cursor.cursor, 'advanceStep') };
    const code = scheduleCode(schedule?.schedule);
    const uniform = optimizerUniforms({ ...(schedule ? { schedule: schedule.schedule } : {}), cursorRows: cursor?.rows ?? 0 });
    this.run(SHADERS.optimizer, 'advance_step', { SCHEDULE: code, CURSOR: !!cursor }, bindings, uniform, [1]);
  }

  gatherRows(src: Tensor, indices: Tensor, cursor: Tensor, rows: number): Tensor {
    return this.gather([src], indices, cursor, rows)[0]!;
  }

  gatherBatch(x: Tensor, y: Tensor, indices: Tensor, cursor: Tensor, rows: number): [Tensor, Tensor] {
    checkSameRows('gatherBatch', x, y);
    const [xb, yb] = this.gather([x, y], indices, cursor, rows);
    return [xb!, yb!];
  }

  /** One gather_rows dispatch over one matrix, or two (PAIR) sharing the permutation and cursor. */
  private gather(sources: Tensor[], indices: Tensor, cursor: Tensor, rows: number): GpuTensor[] {
    const cols = sources.map((src) => checkGather(src, indices, cursor, rows)[1]);
    const outs = cols.map((c) => this.allocate([rows, c], 'gatherRows'));
    const work = rows * cols.reduce((a, b) => a + b, 0);
    if (work === 0) return outs;
    const bindings = {
      0: this.own(sources[0]!, 'gatherRows'),
      1: this.own(indices, 'gatherRows'),
      2: this.own(cursor, 'gatherRows'),
      3: outs[0],
      5: sources[1] && this.own(sources[1], 'gatherRows'),
      6: outs[1],
    };
    const { groups, stride } = this.strided(work);
    const dataRows = Math.min(...sources.map((src) => src.shape[0]!));
    const uniform = uniformData([['u32', rows], ['u32', cols[0]!], ['u32', indices.size], ['u32', stride], ['u32', cols[1] ?? 0], ['u32', dataRows]]);
    this.run(SHADERS.gather, 'gather_rows', { WG, PAIR: sources.length === 2 }, bindings, uniform, [groups]);
    return outs;
  }

  /** The bindings and BatchAt fields of lib/batch-rows.wgsl, shared by every kernel that reads a batch of `data` in place. */
  private batchRows(r: BatchRows, data: Tensor, op: string): { bindings: { 8: GpuTensor; 9: GpuTensor }; at: [number, number, number, number] } {
    return { bindings: { 8: this.own(r.indices, op), 9: this.own(r.cursor, op) }, at: [r.indices.size, data.shape[0]!, 0, r.behind ?? 0] };
  }

  advanceCursor(cursor: Tensor, rows: number): void {
    const c = this.own(cursor, 'advanceCursor');
    // The whole Dims block: its first field is the rows the cursor moves by.
    this.run(SHADERS.gather, 'advance_cursor', {}, { 2: c }, uniformData([['u32', rows], ['u32', 0], ['u32', 0], ['u32', 0], ['u32', 0]]), [1]);
  }

  copy(src: Tensor, dst: Tensor, options: CopyOptions = {}): void {
    const { srcOffset, dstOffset, count } = copyRange(src, dst, options);
    const s = this.own(src, 'copy');
    const d = this.own(dst, 'copy');
    if (count === 0 || this.collecting) return;
    this.scheduler.copy({ src: s.buffer, dst: d.buffer, srcOffset: s.offset + srcOffset * 4, dstOffset: d.offset + dstOffset * 4, bytes: count * 4 });
  }

  record(build: () => void): Plan {
    this.scheduler.checkAlive();
    if (this.collecting) {
      // Tuning's dry run of a recording: the products are collected, nothing is kept.
      build();
      return new GpuPlan(this, [], () => {});
    }
    const recording: Recording = { tensors: [], uniforms: [] };
    this.recording = recording;
    this.scheduler.beginCapture();
    let commands: Command[];
    try {
      build();
    } catch (e) {
      this.recording = undefined;
      this.scheduler.endCapture();
      this.releaseRecording(recording);
      throw e;
    }
    this.recording = undefined;
    commands = this.scheduler.endCapture();
    return new GpuPlan(this, commands, () => this.releaseRecording(recording));
  }

  private releaseRecording(r: Recording): void {
    for (const t of r.tensors) {
      this.planOwned.delete(t);
      this.pool.release(t.buffer);
    }
    for (const u of r.uniforms) this.pool.release(u);
  }

  replay(plan: Plan): void {
    this.checkPlan(plan, 'replay');
    this.scheduler.replay((plan as GpuPlan).list);
  }

  /**
   * Runs these plans once, after everything asked for so far, with each
   * dispatch in a compute pass of its own, and says how long each took: by
   * the GPU's timestamps where the device has timestamp queries, else by the
   * wall clock around each dispatch submitted alone (which also counts the
   * submission). The plans' work is done for real; profiling is for tools,
   * never inside training.
   *
   * @example
   * ```ts
   * const step = gpu.record(() => void gpu.matmul(x, w));
   * const profile = await gpu.profile([step, step]);
   * for (const k of profile.kernels) console.log(k.kernel, k.count, k.ms.toFixed(3), `${(100 * k.share).toFixed(0)}%`);
   * ```
   */
  async profile(plans: readonly Plan[]): Promise<DispatchProfile> {
    for (const plan of plans) this.checkPlan(plan, 'profile');
    const commands = plans.flatMap((p) => (p as GpuPlan).list);
    const count = commands.filter((c) => 'dispatch' in c).length;
    const stamps = count > 0 ? PassTimestamps.create(this.device, count) : undefined;
    try {
      const { dispatches: timed, wallMs } = await this.scheduler.profile(commands, stamps);
      const dispatches = timed.map((d) => ({ kernel: d.kernel, ms: d.ms ?? 0 }));
      return {
        clock: stamps ? 'gpu' : 'wall',
        dispatches,
        kernels: kernelTotals(dispatches),
        ms: dispatches.reduce((sum, d) => sum + d.ms, 0),
        wallMs,
        unreadable: timed.filter((d) => d.ms === undefined).length,
      };
    } finally {
      stamps?.destroy();
    }
  }

  private checkPlan(plan: Plan, op: string): void {
    if (!(plan instanceof GpuPlan) || plan.backend !== this) throw new Error(`${op}: this plan was recorded by another backend`);
    if (plan.disposed) throw new Error(`${op}: this plan was disposed`);
  }

  prepare(plans: readonly Plan[]): PreparedWork {
    for (const plan of plans) this.checkPlan(plan, 'prepare');
    return this.scheduler.prepare(plans.flatMap((p) => (p as GpuPlan).list));
  }

  /** Destroys pooled buffers nobody holds (after submitting pending work). */
  trim(): void {
    this.scheduler.submit();
    this.pool.recycle();
    this.pool.trim();
  }

  flush(): Promise<void> {
    return this.scheduler.flush();
  }

  destroy(): void {
    this.pool.trim();
    for (const b of this.placeholders.values()) b.destroy();
    this.placeholders.clear();
    this.phantomBuffer?.destroy();
    this.ctx.release();
  }
}

interface OptimizerUniforms {
  n?: number;
  stride?: number;
  learningRate?: number;
  momentum?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
  rho?: number;
  schedule?: LearningRateSchedule;
  cursorRows?: number;
}

/** The Hyper block of optimizer.wgsl, field by field (a piecewise schedule's boundaries and values at the end). */
function optimizerUniforms(h: OptimizerUniforms): ArrayBuffer {
  return uniformData([
    ['u32', h.n ?? 0],
    ['u32', h.stride ?? 0],
    ['f32', h.learningRate ?? 0],
    ['f32', h.momentum ?? 0],
    ['f32', h.beta1 ?? 0],
    ['f32', h.beta2 ?? 0],
    ['f32', h.epsilon ?? 0],
    ['f32', h.weightDecay ?? 0],
    ['f32', h.rho ?? 0],
    ['u32', h.cursorRows ?? 0],
    ['u32', 0],
    ['u32', 0],
    ...scheduleFields(h.schedule),
  ]);
}

/** lib/schedule.wgsl's SCHEDULE code. */
function scheduleCode(s: LearningRateSchedule | undefined): number {
  return !s ? 0 : s.kind === 'exponentialDecay' ? 1 : 2;
}

/** The Schedule block of lib/schedule.wgsl, field by field (16-byte aligned where it starts). */
function scheduleFields(s: LearningRateSchedule | undefined): ReadonlyArray<readonly ['u32' | 'f32', number]> {
  const exp = s?.kind === 'exponentialDecay' ? s : undefined;
  const pieces = s?.kind === 'piecewiseConstant' ? s : undefined;
  return [
    ['f32', exp?.decaySteps ?? 1],
    ['f32', exp?.decayRate ?? 1],
    ['u32', exp?.staircase ? 1 : 0],
    ['u32', pieces?.boundaries.length ?? 0],
    ...Array.from({ length: 8 }, (_, i) => ['f32', pieces?.boundaries[i] ?? 0] as const),
    ...Array.from({ length: 12 }, (_, i) => ['f32', pieces?.values[i] ?? 0] as const),
  ];
}

/** ConvGeometry of lib/conv.wgsl, field by field. */
function geometryFields(g: WindowGeometry): ReadonlyArray<readonly ['u32', number]> {
  return [
    g.batch, g.inH, g.inW, g.inC,
    g.outH, g.outW, g.outC, 0,
    g.kH, g.kW, g.strideH, g.strideW,
    g.padTop, g.padLeft, 0, 0,
  ].map((v) => ['u32', v] as const);
}

function derivativeCode(d: DerivativeOf | undefined): number {
  return d ? ACTIVATION_CODE[d.activation] : 0;
}
