// The WebGPU backend: each op records one dispatch of a WGSL kernel (shaders/)
// into the scheduler; nothing is submitted or read back until a result is
// asked for. Buffers come from a pool, pipelines from a cache.
import { formatShape, Tensor, type Shape } from '../../tensor.js';
import type {
  ActivationName,
  AdamOptions,
  Backend,
  ColumnSumsOptions,
  CopyOptions,
  LossName,
  Plan,
  LossOptions,
  LossOutputs,
  MatmulOptions,
} from '../backend.js';
import {
  checkActivation,
  checkGather,
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
  ShapeError,
} from '../shapes.js';
import { acquireDevice, type GpuContext } from './device.js';
import { BufferLimitError, BufferPool, type PoolStats } from './buffers.js';
import { PipelineCache, type Constants, type KernelSource } from './pipelines.js';
import { Scheduler, type Command, type SchedulerStats } from './scheduler.js';
import { ACCURACY_CODE, ACTIVATION_CODE, LOSS_CODE, SHADERS, uniformData } from './kernels.js';
import { MATMUL_BLOCK, NAIVE_DEFAULT, registerBlock, REGISTER_DEFAULT, tiledFor, type MatmulTiling } from './matmul-tiling.js';

export { NoAdapterError } from './device.js';
export { BufferLimitError } from './buffers.js';
export { DeviceLostError, GpuValidationError } from './scheduler.js';

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

export class GpuTensor extends Tensor {
  constructor(backend: WebGpuBackend, shape: Shape, readonly buffer: GPUBuffer) {
    super(backend, shape);
  }
  /** Bytes the kernels see (the pooled buffer may be larger). */
  get bindingSize(): number {
    return Math.max(4, this.size * 4);
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

export type MatmulKernel = 'tiled' | 'register' | 'naive';

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
  readonly isSoftwareAdapter: boolean;
  readonly limits: GPUSupportedLimits;
  private readonly device: GPUDevice;
  private readonly pool: BufferPool;
  private readonly pipelines: PipelineCache;
  private readonly scheduler: Scheduler;
  /** Bound where a kernel declares an input it does not use under its specialization. */
  private readonly placeholder: GPUBuffer;
  private readonly tiled: MatmulTiling;
  private recording: Recording | undefined;
  /** Tensors created while recording a plan: the plan releases them, not dispose(). */
  private readonly planOwned = new WeakSet<GpuTensor>();

  static async create(): Promise<WebGpuBackend> {
    return new WebGpuBackend(await acquireDevice());
  }

  private constructor(private readonly ctx: GpuContext) {
    this.device = ctx.device;
    this.adapterName = ctx.adapterName;
    this.isSoftwareAdapter = ctx.isSoftware;
    this.limits = ctx.device.limits;
    this.pool = new BufferPool(this.device, this.limits.maxBufferSize, () => this.scheduler.hasPendingWork);
    this.pipelines = new PipelineCache(this.device);
    this.scheduler = new Scheduler(this.device, this.pool, this.pipelines, () => ctx.lostReason);
    this.placeholder = this.device.createBuffer({ size: 16, usage: STORAGE(), label: 'placeholder' });
    this.tiled = tiledFor(ctx.isSoftware, this.limits);
  }

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
    if (values.length > 0) this.device.queue.writeBuffer(t.buffer, 0, Float32Array.from(values));
    return t;
  }

  zeros(shape: Shape): Tensor {
    checkShape(shape, 'zeros');
    const t = this.allocate(shape, 'zeros');
    // Pooled buffers hold old values; zero the bytes the tensor covers.
    if (t.size > 0) this.device.queue.writeBuffer(t.buffer, 0, new Float32Array(t.size));
    return t;
  }

  write(t: Tensor, values: Float32Array): void {
    const g = this.own(t, 'write');
    if (this.recording) throw new Error('write: tensors cannot be written while a plan is being recorded');
    if (values.length !== g.size) throw new ShapeError(`write: ${values.length} values for ${t} of ${g.size}`);
    // queue.writeBuffer lands before any later submit: recorded work that reads
    // the old values must be submitted first.
    if (this.scheduler.hasPendingWork) this.scheduler.submit();
    if (values.length > 0) this.device.queue.writeBuffer(g.buffer, 0, values as Float32Array<ArrayBuffer>);
  }

  async read(t: Tensor): Promise<Float32Array> {
    const g = this.own(t, 'read');
    const values = await this.scheduler.read(g.buffer, g.bindingSize);
    return values.length === g.size ? values : values.slice(0, g.size);
  }

  dispose(t: Tensor): void {
    if (t instanceof GpuTensor && t.backend === this && !this.planOwned.has(t)) this.pool.release(t.buffer);
  }

  // ---- dispatch -----------------------------------------------------------------------------

  private run(
    source: KernelSource,
    entryPoint: string,
    constants: Constants,
    bindings: Record<number, GpuTensor | GPUBuffer>,
    uniform: ArrayBuffer | undefined,
    workgroups: readonly [number, number?],
  ): void {
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (workgroups[0] > max || (workgroups[1] ?? 1) > max) {
      throw new Error(`${source.name}.${entryPoint}: ${workgroups.join('×')} workgroups exceed maxComputeWorkgroupsPerDimension ${max}`);
    }
    const pipeline = this.pipelines.get(source, entryPoint, constants);
    const entries: GPUBindGroupEntry[] = [];
    for (const [binding, b] of Object.entries(bindings)) {
      const resource = b instanceof GpuTensor ? { buffer: b.buffer, size: b.bindingSize } : { buffer: b };
      entries.push({ binding: Number(binding), resource });
    }
    let uniformBuffer: GPUBuffer | undefined;
    if (uniform) {
      uniformBuffer = this.pool.acquire(uniform.byteLength, UNIFORM(), 'uniforms');
      this.device.queue.writeBuffer(uniformBuffer, 0, uniform);
      entries.push({ binding: source.uniformBinding, resource: { buffer: uniformBuffer, size: uniform.byteLength } });
    }
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    this.scheduler.dispatch({ pipeline, bindGroup, workgroups, label: `${source.name}.${entryPoint}` });
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
    return this.matmulWith(this.chooseMatmul(a, b, options), a, b, options);
  }

  /**
   * Software adapters run the register-blocked kernel where the shape allows
   * its vec4 loads (see matmul.wgsl); GPUs, and other shapes, the tiled one.
   */
  private chooseMatmul(a: Tensor, b: Tensor, options: MatmulOptions): MatmulKernel {
    const { M, N, K } = matmulDims(a, b, options);
    const fits = registerFits(M, N, K, options);
    // WEBGPU_TRAIN_MATMUL=register|tiled overrides the choice, for measuring kernels on new adapters.
    const forced = typeof process !== 'undefined' ? process.env?.WEBGPU_TRAIN_MATMUL : undefined;
    if (forced === 'tiled' || (forced === 'register' && !fits)) return 'tiled';
    if (forced === 'register') return 'register';
    return this.isSoftwareAdapter && fits ? 'register' : 'tiled';
  }

  /** matmul with a chosen kernel: 'naive' (one output per invocation) exists as a baseline. */
  matmulWith(kernel: MatmulKernel, a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
    const { M, N, K } = matmulDims(a, b, options);
    if (kernel === 'register' && !registerFits(M, N, K, options)) {
      throw new Error(`matmul: the register kernel needs vec4-aligned dimensions, got M=${M} N=${N} K=${K}`);
    }
    const ga = this.own(a, 'matmul');
    const gb = this.own(b, 'matmul');
    const bias = options.bias ? this.own(options.bias, 'matmul') : undefined;
    const forwardOutput = options.derivativeOf ? this.own(options.derivativeOf.output, 'matmul') : undefined;
    const c = this.allocate([M, N], 'matmul');
    if (M * N === 0) return c;
    const tiling = kernel === 'tiled' ? this.tiled : kernel === 'register' ? REGISTER_DEFAULT : NAIVE_DEFAULT;
    const constants: Constants = {
      TRANSPOSE_A: !!options.transposeA,
      TRANSPOSE_B: !!options.transposeB,
      HAS_BIAS: !!bias,
      ACTIVATION: ACTIVATION_CODE[options.activation ?? 'linear'],
      DERIVATIVE: options.derivativeOf ? ACTIVATION_CODE[options.derivativeOf.activation] : 0,
      WG_X: tiling.wgX,
      WG_Y: tiling.wgY,
      ...(kernel === 'tiled' ? { TILE_K: tiling.tileK } : {}),
    };
    const block = kernel === 'register' ? registerBlock(M, N, tiling) : 0;
    if (block) Object.assign(constants, { REG_ROWS: block, REG_COLS: block });
    const perInvocation = kernel === 'tiled' ? MATMUL_BLOCK : kernel === 'register' ? block : 1;
    const groups = [Math.ceil(N / (tiling.wgX * perInvocation)), Math.ceil(M / (tiling.wgY * perInvocation))] as const;
    this.run(
      SHADERS.matmul,
      `matmul_${kernel}`,
      constants,
      { 0: ga, 1: gb, 2: bias ?? forwardOutput ?? this.placeholder, 3: c },
      uniformData([['u32', M], ['u32', N], ['u32', K]]),
      groups,
    );
    return c;
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
    const out = into ? this.own(into, 'columnSums') : this.allocate([cols], 'columnSums');
    if (cols === 0) return out;
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    const groups = [Math.min(cols, max), Math.ceil(cols / max)] as const;
    const uniform = uniformData([['u32', rows], ['u32', cols], ['f32', options.scale ?? 1]]);
    this.run(SHADERS.reduce, 'column_sums', { ACCUMULATE: !!into, WG }, { 0: gx, 1: out }, uniform, groups);
    return out;
  }

  loss(name: LossName, prediction: Tensor, target: Tensor, options: LossOptions = {}): LossOutputs {
    const [rows, cols] = lossDims(name, prediction, target, options.accumulateInto);
    const gp = this.own(prediction, 'loss');
    const gt = this.own(target, 'loss');
    const totals = options.accumulateInto ? this.own(options.accumulateInto, 'loss') : undefined;
    const grad = this.allocate(prediction.shape, 'loss');
    const stats = this.allocate([rows, 2], 'loss');
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
        WG: wg,
      };
      const uniform = uniformData([['u32', rows], ['u32', cols], ['f32', gradScale], ['u32', stride]]);
      const bindings = { 0: gp, 1: gt, 2: grad, 3: stats, 5: totals ?? this.placeholder };
      this.run(SHADERS.loss, 'loss', constants, bindings, uniform, [groups]);
    }
    return { grad, stats };
  }

  private optimizerStep(entry: string, bindings: Record<number, GpuTensor>, n: number, hyper: Partial<AdamOptions> & { momentum?: number }): void {
    if (n === 0) return;
    const { groups, stride } = this.strided(n);
    const uniform = uniformData([
      ['u32', n],
      ['u32', stride],
      ['f32', hyper.learningRate ?? 0],
      ['f32', hyper.momentum ?? 0],
      ['f32', hyper.beta1 ?? 0],
      ['f32', hyper.beta2 ?? 0],
      ['f32', hyper.epsilon ?? 0],
    ]);
    this.run(SHADERS.optimizer, entry, { WG }, bindings, uniform, [groups]);
  }

  sgd(param: Tensor, grad: Tensor, learningRate: number): void {
    checkOptimizerArgs('sgd', param, grad, {});
    checkPositive('sgd', 'learningRate', learningRate);
    const p = this.own(param, 'sgd');
    this.optimizerStep('sgd', { 0: p, 1: this.own(grad, 'sgd') }, p.size, { learningRate });
  }

  momentum(param: Tensor, grad: Tensor, velocity: Tensor, learningRate: number, momentum: number): void {
    checkOptimizerArgs('momentum', param, grad, { velocity });
    checkPositive('momentum', 'learningRate', learningRate);
    const p = this.own(param, 'momentum');
    const bindings = { 0: p, 1: this.own(grad, 'momentum'), 2: this.own(velocity, 'momentum') };
    this.optimizerStep('momentum', bindings, p.size, { learningRate, momentum });
  }

  adam(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, step: Tensor, options: AdamOptions): void {
    checkOptimizerArgs('adam', param, grad, { m, v });
    checkStep('adam', step);
    checkPositive('adam', 'learningRate', options.learningRate);
    const p = this.own(param, 'adam');
    const bindings = { 0: p, 1: this.own(grad, 'adam'), 2: this.own(m, 'adam'), 3: this.own(v, 'adam'), 4: this.own(step, 'adam') };
    this.optimizerStep('adam', bindings, p.size, options);
  }

  advanceStep(step: Tensor): void {
    checkStep('advanceStep', step);
    this.run(SHADERS.optimizer, 'advance_step', {}, { 4: this.own(step, 'advanceStep') }, undefined, [1]);
  }

  gatherRows(src: Tensor, indices: Tensor, cursor: Tensor, rows: number): Tensor {
    const [, cols] = checkGather(src, indices, cursor, rows);
    const bindings = { 0: this.own(src, 'gatherRows'), 1: this.own(indices, 'gatherRows'), 2: this.own(cursor, 'gatherRows') };
    const out = this.allocate([rows, cols], 'gatherRows');
    if (rows * cols === 0) return out;
    const { groups, stride } = this.strided(rows * cols);
    const uniform = uniformData([['u32', rows], ['u32', cols], ['u32', indices.size], ['u32', stride]]);
    this.run(SHADERS.gather, 'gather_rows', { WG }, { ...bindings, 3: out }, uniform, [groups]);
    return out;
  }

  advanceCursor(cursor: Tensor, rows: number): void {
    const c = this.own(cursor, 'advanceCursor');
    this.run(SHADERS.gather, 'advance_cursor', {}, { 2: c }, uniformData([['u32', rows]]), [1]);
  }

  copy(src: Tensor, dst: Tensor, options: CopyOptions = {}): void {
    const { srcOffset, dstOffset, count } = copyRange(src, dst, options);
    const s = this.own(src, 'copy');
    const d = this.own(dst, 'copy');
    if (count === 0) return;
    this.scheduler.copy({ src: s.buffer, dst: d.buffer, srcOffset: srcOffset * 4, dstOffset: dstOffset * 4, bytes: count * 4 });
  }

  record(build: () => void): Plan {
    this.scheduler.checkAlive();
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
    if (!(plan instanceof GpuPlan) || plan.backend !== this) throw new Error('replay: this plan was recorded by another backend');
    if (plan.disposed) throw new Error('replay: this plan was disposed');
    this.scheduler.replay(plan.list);
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
    this.ctx.release();
  }
}
