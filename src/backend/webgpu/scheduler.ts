// Records dispatches into one command encoder and one compute pass, and
// submits them in a single queue submission only when results are needed
// (a readback, a flush) or a write must be ordered after them. Between
// dispatches in one compute pass, WebGPU makes earlier writes visible to later
// reads, so consecutive ops need no pass boundaries.
import { DeviceLostError, preparedWork, type PreparedWork } from '../backend.js';
import type { BufferPool } from './buffers.js';
import type { PassTimestamps } from './gpu-timer.js';
import type { PipelineCache } from './pipelines.js';

export interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: readonly [number, number?, number?];
  /** Which kernel, for error messages. */
  label: string;
}

export interface Copy {
  src: GPUBuffer;
  dst: GPUBuffer;
  srcOffset: number;
  dstOffset: number;
  bytes: number;
}

/** What a recorded plan holds: dispatches and copies, in order. */
export type Command = { dispatch: Dispatch } | { copy: Copy };

export interface SchedulerStats {
  submissions: number;
  dispatches: number;
  readbacks: number;
}

export { DeviceLostError };

/** A WebGPU validation error the device reported for submitted work (a bug, or a limit the adapter has): the message is the device's. */
export class GpuValidationError extends Error {
  override name = 'GpuValidationError';
}

export class Scheduler {
  private encoder: GPUCommandEncoder | undefined;
  private pass: GPUComputePassEncoder | undefined;
  private pendingLabels: string[] = [];
  /** Prepared command buffers released for the next submission, in order, ahead of the encoder's. */
  private released: { buffer: GPUCommandBuffer; labels: string[] }[] = [];
  /** While a plan is being recorded, commands go here instead of the encoder. */
  private capture: Command[] | undefined;
  private readonly submitErrors: Promise<string | undefined>[] = [];
  readonly stats: SchedulerStats = { submissions: 0, dispatches: 0, readbacks: 0 };

  constructor(
    private readonly device: GPUDevice,
    private readonly pool: BufferPool,
    private readonly pipelines: PipelineCache,
    private readonly lostReason: () => string | undefined,
  ) {}

  /** Throws if the device is gone, so no call ever waits on a dead queue. */
  checkAlive(): void {
    const reason = this.lostReason();
    if (reason !== undefined) throw new DeviceLostError(`webgpu: the GPU device is lost (${reason}); create a new backend`);
  }

  get hasPendingWork(): boolean {
    return this.encoder !== undefined || this.released.length > 0;
  }

  private computePass(): GPUComputePassEncoder {
    this.encoder ??= this.device.createCommandEncoder();
    this.pass ??= this.encoder.beginComputePass();
    return this.pass;
  }

  beginCapture(): void {
    if (this.capture) throw new Error('record: plans cannot be recorded inside each other');
    this.capture = [];
  }

  endCapture(): Command[] {
    const commands = this.capture ?? [];
    this.capture = undefined;
    return commands;
  }

  /** Encodes a recorded plan's commands after everything recorded so far. */
  replay(commands: readonly Command[]): void {
    if (this.capture) throw new Error('replay: a plan cannot be replayed while another is being recorded');
    for (const c of commands) {
      if ('dispatch' in c) this.dispatch(c.dispatch);
      else this.copy(c.copy);
    }
  }

  /**
   * Encodes these commands now into a command buffer of their own, which
   * nothing submits until release(): work recorded meanwhile goes out without
   * it, and writes made before release land before it runs.
   */
  prepare(commands: readonly Command[]): PreparedWork {
    if (this.capture) throw new Error('prepare: work cannot be prepared while a plan is being recorded');
    this.checkAlive();
    // Encode into a fresh encoder, leaving the pending one as it was.
    const outer = { encoder: this.encoder, pass: this.pass, labels: this.pendingLabels };
    this.encoder = undefined;
    this.pass = undefined;
    this.pendingLabels = [];
    let prepared: { buffer: GPUCommandBuffer; labels: string[] } | undefined;
    try {
      this.replay(commands);
      // (Casts: the replay above set them; the checker still sees the undefined assigned before it.)
      (this.pass as GPUComputePassEncoder | undefined)?.end();
      const encoder = this.encoder as GPUCommandEncoder | undefined;
      if (encoder) prepared = { buffer: encoder.finish(), labels: this.pendingLabels };
    } finally {
      this.encoder = outer.encoder;
      this.pass = outer.pass;
      this.pendingLabels = outer.labels;
    }
    return preparedWork(() => {
      this.checkAlive();
      if (!prepared) return;
      // Work recorded before the release runs before it, in the same submission.
      this.closeEncoder();
      this.released.push(prepared);
    });
  }

  dispatch(d: Dispatch): void {
    this.checkAlive();
    if (this.capture) {
      this.capture.push({ dispatch: d });
      return;
    }
    const pass = this.computePass();
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1] ?? 1, d.workgroups[2] ?? 1);
    this.pendingLabels.push(d.label);
    this.stats.dispatches++;
  }

  /** Records a buffer-to-buffer copy after the dispatches recorded so far. */
  copy(c: Copy): void {
    this.checkAlive();
    if (this.capture) {
      this.capture.push({ copy: c });
      return;
    }
    this.pass?.end();
    this.pass = undefined;
    this.encoder ??= this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(c.src, c.srcOffset, c.dst, c.dstOffset, c.bytes);
    this.pendingLabels.push('copy');
  }

  /** Submits everything recorded so far as one command buffer. */
  /** Finishes the pending encoder into the queue of command buffers the next submission sends. */
  private closeEncoder(): void {
    if (!this.encoder) return;
    this.pass?.end();
    this.pass = undefined;
    this.released.push({ buffer: this.encoder.finish(), labels: this.pendingLabels });
    this.encoder = undefined;
    this.pendingLabels = [];
  }

  submit(): void {
    if (!this.hasPendingWork || this.capture) return;
    this.checkAlive();
    this.closeEncoder();
    const buffers = this.released.map((r) => r.buffer);
    const labels = this.released.flatMap((r) => r.labels);
    this.released = [];
    this.device.pushErrorScope('validation');
    // One submission of every command buffer, in the order their work was asked for.
    this.device.queue.submit(buffers);
    this.submitErrors.push(
      this.device.popErrorScope().then((e) =>
        e ? `in a submission of ${labels.length} dispatches (${summarize(labels)}): ${e.message}` : undefined,
      ),
    );
    this.stats.submissions++;
    this.pool.recycle();
  }

  /**
   * Runs commands after everything asked for so far, each dispatch in a
   * compute pass of its own, and returns each dispatch's milliseconds in
   * order: by the passes' timestamps, in one submission, when `stamps` is
   * given (made for these dispatches); else each command submitted alone
   * and timed by the wall clock from submission to completion (undefined
   * where a pass's timestamps were no duration); and the wall milliseconds
   * of the whole run, which starts once the work asked for before is done.
   */
  async profile(commands: readonly Command[], stamps: PassTimestamps | undefined): Promise<{ dispatches: { kernel: string; ms: number | undefined }[]; wallMs: number }> {
    if (this.capture) throw new Error('profile: work cannot be timed while a plan is being recorded');
    await this.flush();
    const runStart = performance.now();
    const dispatches = commands.flatMap((c) => ('dispatch' in c ? [c.dispatch] : []));
    const encodeOne = (encoder: GPUCommandEncoder, c: Command, timestampWrites?: GPUComputePassTimestampWrites) => {
      if ('copy' in c) {
        encoder.copyBufferToBuffer(c.copy.src, c.copy.srcOffset, c.copy.dst, c.copy.dstOffset, c.copy.bytes);
        return;
      }
      const d = c.dispatch;
      const pass = encoder.beginComputePass(timestampWrites ? { timestampWrites } : {});
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1] ?? 1, d.workgroups[2] ?? 1);
      pass.end();
      this.stats.dispatches++;
    };
    const times: (number | undefined)[] = [];
    if (stamps) {
      const encoder = this.device.createCommandEncoder({ label: 'profiled work' });
      let i = 0;
      for (const c of commands) encodeOne(encoder, c, 'dispatch' in c ? stamps.writes(i++) : undefined);
      stamps.resolve(encoder);
      this.pendingLabels = dispatches.map((d) => d.label);
      this.encoder = encoder;
      await this.flush();
      // undefined: a pass whose timestamps are no duration (an adapter's fault).
      times.push(...(await stamps.read()));
    } else {
      for (const c of commands) {
        this.encoder = this.device.createCommandEncoder({ label: 'profiled work' });
        encodeOne(this.encoder, c);
        this.pendingLabels = ['copy' in c ? 'copy' : c.dispatch.label];
        if ('copy' in c) {
          this.submit();
          continue;
        }
        const start = performance.now();
        await this.flush();
        times.push(performance.now() - start);
      }
    }
    return { dispatches: dispatches.map((d, i) => ({ kernel: d.label, ms: times[i] })), wallMs: performance.now() - runStart };
  }

  /** Copies `bytes` of a buffer from `offset` back to the CPU; submits pending work first. */
  async read(buffer: GPUBuffer, offset: number, bytes: number): Promise<Float32Array> {
    if (this.capture) throw new Error('read: results cannot be read while a plan is being recorded');
    const staging = this.pool.acquire(bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'a readback');
    this.copy({ src: buffer, dst: staging, srcOffset: offset, dstOffset: 0, bytes });
    this.submit();
    this.stats.readbacks++;
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    } catch (e) {
      this.checkAlive();
      await this.throwErrors();
      throw new GpuValidationError(`webgpu: reading results back failed: ${(e as Error).message}`);
    }
    const values = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
    staging.unmap();
    this.pool.releaseFinished(staging);
    await this.throwErrors();
    return values;
  }

  /** Submits and waits for the GPU to finish everything asked of it so far. */
  async flush(): Promise<void> {
    this.submit();
    await this.device.queue.onSubmittedWorkDone();
    this.checkAlive();
    await this.throwErrors();
  }

  /** Raises the first validation error seen by a pipeline compile or a submission. */
  private async throwErrors(): Promise<void> {
    const pending = [...this.pipelines.errors.splice(0), ...this.submitErrors.splice(0)];
    const messages = (await Promise.all(pending)).filter((m): m is string => m !== undefined);
    if (messages.length > 0) throw new GpuValidationError(`webgpu: a kernel failed validation, ${messages[0]}`);
  }
}

function summarize(labels: string[]): string {
  const unique = [...new Set(labels)];
  return unique.length <= 4 ? unique.join(', ') : `${unique.slice(0, 4).join(', ')}, …`;
}
