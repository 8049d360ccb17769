// GEMM autotuning: for each bucket of products (the kernel instance, the form,
// M, N and K rounded up to powers of two), a small space of configurations is
// timed once on the adapter with real dispatches on scratch buffers, and the
// fastest is kept. Decisions live in memory per backend and, keyed by adapter
// and a hash of the kernel sources, in a persistent store (a JSON file in
// Node, localStorage in browsers), so a changed shader invalidates them.
//
// Tuning is asynchronous and happens before a plan is recorded, never inside
// one: a plan keeps the choices it was recorded with.
//
// Where the device has timestamp queries, each run is timed by the GPU's own
// clock (the pass's beginning and end, gpu-timer.ts); elsewhere by the wall
// clock from submission to completion, which also counts the submission.
import { chooseGemm, REGISTER_BLOCKS, type GemmChoice, type GemmDecision, type GemmForm, type GemmKernel, type GemmRequest } from './gemm.js';
import { GpuPassTimer } from './gpu-timer.js';
import { SHADERS } from './kernels.js';
import { TILINGS, type MatmulTiling, type TilingName } from './matmul-tiling.js';
import type { Constants, KernelSource } from './pipelines.js';

/** One product a recording asked for: what a timing run needs to repeat it on scratch buffers. */
export interface GemmWork {
  source: KernelSource;
  form: GemmForm;
  M: number;
  N: number;
  K: number;
  /** The kernel the rules pick. */
  kernel: GemmKernel;
  /** Whether the register forms' vec4 loads fit this shape. */
  register: boolean;
  /** Whether the reduction may be split. */
  split: boolean;
  /** Whether the instance's loads may skip their edge checks on whole tiles (see GemmRequest.edgeFree). */
  edgeFree?: boolean;
  /** The instance's own constants (epilogue, vector loads). */
  constants: Constants;
  /** The instance's uniforms after GemmParams. */
  instanceUniforms: ReadonlyArray<readonly ['u32' | 'f32', number]>;
  /** Bytes bound at each binding index the product uses. */
  bindingBytes: ReadonlyMap<number, number>;
}

/** A bucket's decision, with what it was measured at (milliseconds per product). */
export interface TunedBucket {
  key: string;
  decision: GemmDecision;
  /** The winner's time, and the rules' own choice's, per product. */
  ms: number;
  ruleMs: number;
  /** Which clock `ms` and `ruleMs` were read from: the GPU's timestamps, or the wall clock around each submission. */
  clock?: TuningClock;
  /** Each distinct candidate timed: its median by `clock`, and by the wall clock (after timing on this backend; not persisted). */
  timings?: { decision: GemmDecision; ms: number; wallMs: number }[];
}

/** 'gpu': the pass's timestamps (timestamp queries); 'wall': submission to completion, as the host sees it. */
export type TuningClock = 'gpu' | 'wall';

/** What one tuning pass did. */
export interface TuneReport {
  /** Buckets the recording asked for, with their decisions. */
  buckets: TunedBucket[];
  /** Buckets timed in this pass (the rest were known, from memory or the persistent store). */
  timed: number;
  /** Wall time of the pass, in milliseconds. */
  ms: number;
  /** The clock this backend times with: the GPU's timestamps where the device has them, else the wall clock. */
  clock: TuningClock;
}

/** Where decisions persist between runs. Failures to read or write are not errors: tuning runs again. */
export interface TuningStore {
  load(adapter: string, sourceHash: string): Promise<Record<string, TunedBucket> | undefined>;
  save(adapter: string, sourceHash: string, buckets: Record<string, TunedBucket>): Promise<void>;
}

/** Makes the Node store (a directory; the default cache directory when undefined): registered by the Node entry. */
export type TuningStoreFactory = (directory: string | undefined) => TuningStore;
let nodeStoreFactory: TuningStoreFactory | undefined;
/** One store per option, so that each is read once per tuner. */
const stores = new Map<string, TuningStore>();

/** Registers how a directory becomes a tuning store (the Node entry registers its file store). */
export function registerTuningStore(factory: TuningStoreFactory): void {
  nodeStoreFactory = factory;
  stores.clear();
}

/**
 * The store for a `tuningCache` option: none for false; a directory through
 * the registered Node store; by default that store's default directory, or
 * localStorage in a browser; none where neither exists.
 */
export function tuningStoreFor(option: string | false | undefined): TuningStore | undefined {
  if (option === false) return undefined;
  const id = option ?? '';
  let store = stores.get(id);
  if (!store) {
    const local = (globalThis as { localStorage?: Storage }).localStorage;
    store = nodeStoreFactory ? nodeStoreFactory(option) : option === undefined && local ? localStorageTuningStore(local) : undefined;
    if (store) stores.set(id, store);
  }
  return store;
}

/** Bumped when the candidate space or the meaning of a decision changes. */
const TUNER_VERSION = 1;
/** Identifies the file format. */
export const TUNING_FORMAT = 'webgpu-train gemm tuning';

/** A hash of every GEMM kernel's source and of the tuner's version: decisions made for other sources are ignored. */
export function gemmSourceHash(): string {
  const text = [TUNER_VERSION, SHADERS.matmul.code, SHADERS.conv2dForward.code, SHADERS.conv2dBackwardData.code, SHADERS.conv2dBackwardFilter.code].join('\u0000');
  return hash53(text).toString(16).padStart(14, '0');
}

/** cyrb53: a fast 53-bit string hash (not cryptographic; it only tells sources apart). */
export function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

const pow2ceil = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(n, 1)));

/** The bucket a product falls in: instance, form, M×N×K rounded up to powers of two, and the vector loads it can use. */
export function bucketKey(w: Pick<GemmWork, 'source' | 'form' | 'M' | 'N' | 'K' | 'register' | 'constants'>): string {
  const vec = Object.keys(w.constants)
    .filter((k) => k.endsWith('_VEC4') && w.constants[k] === true)
    .sort()
    .map((k) => k.slice(0, 1).toLowerCase())
    .join('');
  return `${w.source.name}:${w.form}:${pow2ceil(w.M)}x${pow2ceil(w.N)}x${pow2ceil(w.K)}:${w.register ? 'r' : '-'}${vec}`;
}

/** The request chooseGemm gets for a product under a decision (the rules' own choice without one). */
export function gemmRequest(
  base: { M: number; N: number; K: number; form: GemmForm; kernel: GemmKernel; split: boolean; edgeFree?: boolean },
  decision: GemmDecision | undefined,
  tiled: (name?: TilingName) => MatmulTiling,
  software: boolean,
): GemmRequest {
  return {
    M: base.M,
    N: base.N,
    K: base.K,
    form: base.form,
    kernel: decision?.kernel ?? base.kernel,
    tiled: tiled(decision?.tile),
    split: base.split && decision?.split !== false,
    software,
    ...(decision?.maxBlock ? { maxBlock: decision.maxBlock } : {}),
    ...(base.edgeFree ? { edgeFree: true } : {}),
  };
}

/**
 * The configurations tried for a product: the rules' own choice first, the
 * tiled kernel with each tile, the register forms with each largest block
 * where their loads fit, and each of these without its split where the
 * reduction may be split.
 */
export function gemmCandidates(w: Pick<GemmWork, 'kernel' | 'register' | 'split'>): GemmDecision[] {
  let list: GemmDecision[] = [{ kernel: w.kernel }];
  for (const tile of Object.keys(TILINGS) as TilingName[]) list.push({ kernel: 'tiled', tile });
  if (w.register) for (const maxBlock of REGISTER_BLOCKS) list.push({ kernel: 'register', maxBlock });
  if (w.split) list = list.flatMap((d) => [d, { ...d, split: false }]);
  return list;
}

/** What the tuner needs of the backend: its device, pipelines and placeholders. */
export interface TunerHost {
  readonly device: GPUDevice;
  readonly adapterName: string;
  readonly software: boolean;
  tiled(name?: TilingName): MatmulTiling;
  /** A pipeline from the backend's cache, and its compile error, if any. */
  pipeline(source: KernelSource, entryPoint: string, constants: Constants): { pipeline: GPUComputePipeline; error: Promise<string | undefined> };
  layout(source: KernelSource): GPUBindGroupLayout;
  placeholder(source: KernelSource, binding: number): GPUBuffer;
  /** The constants and workgroups of the dispatch that adds split partial sums. */
  reduceSplits(M: number, N: number): { constants: Constants; workgroups: number };
  /** Packs GemmParams and the instance uniforms. */
  uniforms(w: GemmWork, choice: GemmChoice): ArrayBuffer;
}

/** Milliseconds one timing run aims at: products shorter than this repeat within the run. */
const RUN_MS = 4;
const MAX_REPEATS = 64;
/** Timed runs per candidate, after a warm-up; the median counts. */
const RUNS = 5;
const LONG_RUNS = 3;
const LONG_MS = 40;
/** A candidate this many times slower than the best so far after one run is not timed further. */
const PRUNE = 2;
/** A candidate whose warm-up took longer than RUN_MS and this many times the fastest warm-up is not timed further. */
const PRUNE_WARM = 4;
/** The rules' choice is kept unless another is at least this much faster (timings are noisy). */
const MARGIN = 0.05;

const STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
const UNIFORM = () => GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST;

/** Counters for tests and profiling. */
export interface TunerStats {
  /** Timing runs submitted (warm-ups included). */
  timingRuns: number;
  /** Of those, the runs the GPU's timestamps measured (the rest only had the wall clock). */
  timestampRuns: number;
  /** Buckets timed on this backend. */
  bucketsTimed: number;
  /** Buckets read from the persistent store. */
  bucketsLoaded: number;
  /** Milliseconds spent tuning. */
  ms: number;
}

export class GemmTuner {
  private readonly buckets = new Map<string, TunedBucket>();
  /** Stores already read into memory. */
  private readonly loaded = new WeakSet<TuningStore>();
  readonly stats: TunerStats = { timingRuns: 0, timestampRuns: 0, bucketsTimed: 0, bucketsLoaded: 0, ms: 0 };
  private readonly sourceHash = gemmSourceHash();
  /** The GPU clock, where the device has timestamp queries (made at the first timing). */
  private timer: GpuPassTimer | null | undefined;

  constructor(private readonly host: TunerHost) {}

  /** The clock timings are read from now: the GPU's where the device has timestamp queries. */
  get clock(): TuningClock {
    this.timer ??= GpuPassTimer.for(this.host.device) ?? null;
    return this.timer ? 'gpu' : 'wall';
  }

  /** The decision for a bucket, if one was made. */
  decision(key: string): GemmDecision | undefined {
    return this.buckets.get(key)?.decision;
  }

  /** Every decision made or loaded so far. */
  entries(): TunedBucket[] {
    return [...this.buckets.values()];
  }

  /** Sets a bucket's decision by hand (tools and tests); it applies to products recorded afterwards. */
  set(key: string, decision: GemmDecision): void {
    this.buckets.set(key, { key, decision, ms: NaN, ruleMs: NaN });
  }

  /** Forgets every decision in memory. */
  clear(): void {
    this.buckets.clear();
  }

  /** Times the buckets of `work` not yet decided, and saves new decisions to the store. */
  async tune(work: readonly GemmWork[], store: TuningStore | undefined): Promise<TuneReport> {
    const start = performance.now();
    if (store && !this.loaded.has(store)) {
      this.loaded.add(store);
      const saved = await store.load(this.host.adapterName, this.sourceHash).catch(() => undefined);
      for (const [key, b] of Object.entries(saved ?? {})) {
        if (!this.buckets.has(key) && validBucket(b)) {
          this.buckets.set(key, stored(key, b));
          this.stats.bucketsLoaded++;
        }
      }
    }
    const byKey = new Map<string, GemmWork>();
    for (const w of work) {
      const key = bucketKey(w);
      if (!byKey.has(key)) byKey.set(key, w);
    }
    let timed = 0;
    for (const [key, w] of byKey) {
      if (this.buckets.has(key)) continue;
      this.buckets.set(key, await this.tuneOne(key, w));
      timed++;
      this.stats.bucketsTimed++;
    }
    if (timed > 0 && store) {
      const all: Record<string, TunedBucket> = {};
      for (const [key, b] of this.buckets) if (Number.isFinite(b.ms)) all[key] = stored(key, b);
      await store.save(this.host.adapterName, this.sourceHash, all).catch(() => undefined);
    }
    const ms = performance.now() - start;
    this.stats.ms += ms;
    return { buckets: [...byKey.keys()].map((k) => this.buckets.get(k)!), timed, ms, clock: this.clock };
  }

  private async tuneOne(key: string, w: GemmWork): Promise<TunedBucket> {
    const { device } = this.host;
    // Distinct choices only: candidates that come out the same are timed once.
    const seen = new Set<string>();
    const tried: { decision: GemmDecision; choice: GemmChoice }[] = [];
    for (const decision of gemmCandidates(w)) {
      const choice = chooseGemm(gemmRequest(w, decision, (t) => this.host.tiled(t), this.host.software));
      const id = JSON.stringify([choice.entryPoint, choice.constants, choice.workgroups, choice.splits]);
      if (seen.has(id)) continue;
      seen.add(id);
      tried.push({ decision, choice });
    }
    const scratch = new Map<number, GPUBuffer>();
    for (const [binding, bytes] of w.bindingBytes) {
      scratch.set(binding, device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 16) * 16), usage: STORAGE(), label: `tuning scratch ${binding}` }));
    }
    const made: GPUBuffer[] = [...scratch.values()];
    try {
      await device.queue.onSubmittedWorkDone();
      // Every candidate compiled and run once first (a warm-up); the rules' choice sizes the runs.
      const live: { decision: GemmDecision; run: Dispatches; samples: Sample[]; warm: number }[] = [];
      let repeats = 0;
      for (const { decision, choice } of tried) {
        const run = await this.prepare(w, choice, scratch, made);
        if (!run) continue;
        const sample = await this.timeRun(run, 1);
        const warm = sample.gpu ?? sample.wall;
        if (repeats === 0) repeats = Math.max(1, Math.min(MAX_REPEATS, Math.round(RUN_MS / Math.max(warm, 1e-3))));
        live.push({ decision, run, samples: [sample], warm });
      }
      // A product long enough that its warm-up is mostly work: those far behind are dropped already.
      const fastestWarm = Math.min(...live.map((c) => c.warm));
      let timed = live.filter((c, i) => i === 0 || c.warm <= RUN_MS || c.warm <= PRUNE_WARM * fastestWarm);
      for (const c of timed) c.samples = [];
      // Rounds over the candidates in turn, so that a change in the machine's load falls on all of them;
      // after the first, those far behind are dropped.
      // Products of tens of milliseconds vary little from run to run: fewer runs.
      const runs = fastestWarm > LONG_MS ? LONG_RUNS : RUNS;
      for (let r = 0; r < runs; r++) {
        for (const c of timed) {
          const { gpu, wall } = await this.timeRun(c.run, repeats);
          c.samples.push({ ...(gpu !== undefined ? { gpu: gpu / repeats } : {}), wall: wall / repeats });
        }
        if (r === 0) {
          const first = (c: (typeof timed)[number]) => c.samples[0]!.gpu ?? c.samples[0]!.wall;
          const fastest = Math.min(...timed.map(first));
          timed = timed.filter((c, i) => i === 0 || first(c) <= PRUNE * fastest);
        }
      }
      // One clock for the whole bucket: the GPU's only if it read every run, so that no two candidates are compared across clocks.
      const clock: TuningClock = live.every((c) => c.samples.every((t) => t.gpu !== undefined)) ? 'gpu' : 'wall';
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const timings = live.map((c) => ({ decision: c.decision, ms: median(c.samples.map((t) => (clock === 'gpu' ? t.gpu! : t.wall))), wallMs: median(c.samples.map((t) => t.wall)) }));
      // The rules' choice (the first) stays unless another is clearly faster.
      const rule = live[0]?.decision === tried[0]!.decision ? timings[0] : undefined;
      const fastest = timings.reduce<(typeof timings)[number] | undefined>((a, t) => (a && a.ms <= t.ms ? a : t), undefined);
      const winner = rule && (!fastest || fastest.ms >= rule.ms * (1 - MARGIN)) ? rule : (fastest ?? { decision: tried[0]!.decision, ms: NaN });
      return { key, decision: winner.decision, ms: winner.ms, ruleMs: rule?.ms ?? NaN, clock, timings };
    } finally {
      for (const b of made) b.destroy();
    }
  }

  /** The encoded work of one product under a choice, or undefined when its pipelines do not compile. */
  private async prepare(w: GemmWork, choice: GemmChoice, scratch: Map<number, GPUBuffer>, made: GPUBuffer[]): Promise<Dispatches | undefined> {
    const { device } = this.host;
    const uniformData = this.host.uniforms(w, choice);
    const uniform = device.createBuffer({ size: uniformData.byteLength, usage: UNIFORM(), label: 'tuning uniforms' });
    made.push(uniform);
    device.queue.writeBuffer(uniform, 0, uniformData);
    let partials: GPUBuffer | undefined;
    if (choice.splits > 1) {
      partials = device.createBuffer({ size: choice.splits * w.M * w.N * 4, usage: STORAGE(), label: 'tuning partial sums' });
      made.push(partials);
    }
    const entries: GPUBindGroupEntry[] = [];
    for (const binding of w.source.bindings.keys()) {
      let resource: GPUBufferBinding;
      if (binding === w.source.uniformBinding) resource = { buffer: uniform, size: uniformData.byteLength };
      else if (binding === 7 && partials) resource = { buffer: partials };
      else resource = { buffer: scratch.get(binding) ?? this.host.placeholder(w.source, binding) };
      entries.push({ binding, resource });
    }
    const main = this.host.pipeline(w.source, choice.entryPoint, { ...w.constants, ...choice.constants });
    const passes: Dispatches = [{ pipeline: main.pipeline, workgroups: choice.workgroups }];
    const errors = [main.error];
    if (partials) {
      const reduce = this.host.reduceSplits(w.M, w.N);
      const p = this.host.pipeline(w.source, 'gemm_reduce_splits', { ...w.constants, ...reduce.constants });
      passes.push({ pipeline: p.pipeline, workgroups: [reduce.workgroups, 1, 1] });
      errors.push(p.error);
    }
    device.pushErrorScope('validation');
    const bindGroup = device.createBindGroup({ layout: this.host.layout(w.source), entries });
    const bindError = device.popErrorScope();
    const failed = (await Promise.all([...errors, bindError.then((e) => e?.message)])).some((m) => m !== undefined);
    if (failed) return undefined;
    for (const p of passes) p.bindGroup = bindGroup;
    return passes;
  }

  /** Submits `repeats` copies of the product in one pass and waits for the GPU: milliseconds by the GPU's clock where it has one, and by the wall clock. */
  private async timeRun(run: Dispatches, repeats: number): Promise<Sample> {
    const encode = (pass: GPUComputePassEncoder) => {
      for (let i = 0; i < repeats; i++) {
        for (const d of run) {
          pass.setPipeline(d.pipeline);
          pass.setBindGroup(0, d.bindGroup!);
          pass.dispatchWorkgroups(...d.workgroups);
        }
      }
    };
    this.stats.timingRuns++;
    if (this.clock === 'gpu') {
      const { gpuMs, wallMs } = await this.timer!.time(encode);
      if (gpuMs === undefined) return { wall: wallMs };
      this.stats.timestampRuns++;
      return { gpu: gpuMs, wall: wallMs };
    }
    const { device } = this.host;
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encode(pass);
    pass.end();
    const start = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return { wall: performance.now() - start };
  }
}

type Dispatches = { pipeline: GPUComputePipeline; workgroups: [number, number, number]; bindGroup?: GPUBindGroup }[];
/** One timing: milliseconds by the GPU's timestamps (where read) and by the wall clock. */
type Sample = { gpu?: number; wall: number };

const KERNELS: readonly GemmKernel[] = ['register', 'tiled', 'naive'];

/** What of a bucket is kept between runs: the decision and its times, not each candidate's timings. */
const stored = (key: string, b: TunedBucket): TunedBucket => ({ key, decision: b.decision, ms: b.ms, ruleMs: b.ruleMs, ...(b.clock ? { clock: b.clock } : {}) });

/** Whether a stored bucket is one this version could have written. */
export function validBucket(b: unknown): b is TunedBucket {
  if (typeof b !== 'object' || b === null) return false;
  const { decision, ms, ruleMs } = b as Partial<TunedBucket>;
  if (typeof decision !== 'object' || decision === null || !KERNELS.includes(decision.kernel)) return false;
  if (decision.tile !== undefined && !(decision.tile in TILINGS)) return false;
  if (decision.maxBlock !== undefined && !REGISTER_BLOCKS.includes(decision.maxBlock)) return false;
  if (decision.split !== undefined && typeof decision.split !== 'boolean') return false;
  const { clock } = b as Partial<TunedBucket>;
  if (clock !== undefined && clock !== 'gpu' && clock !== 'wall') return false;
  return typeof ms === 'number' && typeof ruleMs === 'number';
}

/** The file or localStorage contents: one adapter's decisions for one set of kernel sources. */
export interface TuningFile {
  format: string;
  adapter: string;
  sourceHash: string;
  buckets: Record<string, TunedBucket>;
}

/** The decisions in a stored text, or undefined when it is unreadable or made for another adapter or other sources. */
export function parseTuningFile(text: string, adapter: string, sourceHash: string): Record<string, TunedBucket> | undefined {
  let file: Partial<TuningFile>;
  try {
    file = JSON.parse(text) as Partial<TuningFile>;
  } catch {
    return undefined;
  }
  if (typeof file !== 'object' || file === null) return undefined;
  if (file.format !== TUNING_FORMAT || file.adapter !== adapter || file.sourceHash !== sourceHash) return undefined;
  if (typeof file.buckets !== 'object' || file.buckets === null) return undefined;
  const out: Record<string, TunedBucket> = {};
  for (const [key, b] of Object.entries(file.buckets)) if (validBucket(b)) out[key] = b;
  return out;
}

export function tuningFileText(adapter: string, sourceHash: string, buckets: Record<string, TunedBucket>): string {
  const file: TuningFile = { format: TUNING_FORMAT, adapter, sourceHash, buckets };
  return JSON.stringify(file, null, 1);
}

/** A tuning store in a page's localStorage: one entry per adapter. */
export function localStorageTuningStore(storage: Pick<Storage, 'getItem' | 'setItem'>): TuningStore {
  const keyOf = (adapter: string) => `webgpu-train:gemm-tuning:${adapter}`;
  return {
    async load(adapter, sourceHash) {
      try {
        const text = storage.getItem(keyOf(adapter));
        return text === null ? undefined : parseTuningFile(text, adapter, sourceHash);
      } catch {
        return undefined;
      }
    },
    async save(adapter, sourceHash, buckets) {
      try {
        storage.setItem(keyOf(adapter), tuningFileText(adapter, sourceHash, buckets));
      } catch {
        // Full or blocked storage: the decisions stay in memory.
      }
    },
  };
}
