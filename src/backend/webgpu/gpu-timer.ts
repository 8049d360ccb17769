// The GPU's own clock for compute passes: timestamps written at each pass's
// beginning and end (the 'timestamp-query' feature), resolved and read back.
// Wall time around a submission also counts the submission, the driver's
// queue and the wait for the readback, which on a hardware GPU can exceed a
// small kernel's run; a pass's timestamps count only its work.
//
// Browsers, and Dawn in Node unless told otherwise, round timestamps to a
// quantum (65.536 µs in Dawn: a defence against timing attacks), so a timed
// pass should run for milliseconds, or be read as part of a sum. In Node,
// Dawn's toggles `allow_unsafe_apis,-timestamp_quantization` give the raw
// clock (docs/dawn.md).

/** Feature name the device must have been opened with. */
export const TIMESTAMP_FEATURE = 'timestamp-query';

/** Queries one query set may hold (WebGPU's limit). */
const MAX_QUERIES = 4096;
/** resolveQuerySet writes at offsets that are multiples of this. */
const RESOLVE_ALIGNMENT = 256;

/**
 * The milliseconds between a pass's two timestamps (nanoseconds), or
 * undefined when they cannot be a duration: an adapter may write zeros, or a
 * clock that wrapped or was reset between the two reads.
 */
export function passMilliseconds(begin: bigint, end: bigint): number | undefined {
  if (begin === 0n || end <= begin) return undefined;
  return Number(end - begin) / 1e6;
}

/**
 * Timestamps for `passes` compute passes of one command encoder: pass i is
 * begun with `writes(i)`, the encoder ends with `resolve(encoder)`, and once
 * it is submitted `read()` gives each pass's duration. Reusable: each
 * encoding overwrites the last.
 */
export class PassTimestamps {
  private readonly sets: GPUQuerySet[] = [];
  private readonly resolved: GPUBuffer;
  private readonly readback: GPUBuffer;
  private readonly bytes: number;

  /** Timestamps for `passes` passes, or undefined when the device was not opened with timestamp queries. */
  static create(device: GPUDevice, passes: number): PassTimestamps | undefined {
    return device.features.has(TIMESTAMP_FEATURE) ? new PassTimestamps(device, passes) : undefined;
  }

  private constructor(
    device: GPUDevice,
    readonly passes: number,
  ) {
    const perSet = MAX_QUERIES / 2;
    for (let first = 0; first < passes; first += perSet) {
      this.sets.push(device.createQuerySet({ type: 'timestamp', count: 2 * Math.min(perSet, passes - first), label: 'pass timestamps' }));
    }
    // Each set's 64-bit values at its own aligned offset of one buffer.
    this.bytes = setOffset(this.sets.length - 1) + align(this.sets[this.sets.length - 1]!.count * 8);
    this.resolved = device.createBuffer({ size: this.bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC, label: 'pass timestamps, resolved' });
    this.readback = device.createBuffer({ size: this.bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'pass timestamps, read back' });
  }

  /** The timestampWrites of pass `i`. */
  writes(i: number): GPUComputePassTimestampWrites {
    const perSet = MAX_QUERIES / 2;
    const within = i % perSet;
    return { querySet: this.sets[Math.floor(i / perSet)]!, beginningOfPassWriteIndex: 2 * within, endOfPassWriteIndex: 2 * within + 1 };
  }

  /** Encodes the copies that bring every pass's timestamps where read() finds them: after the last pass. */
  resolve(encoder: GPUCommandEncoder): void {
    this.sets.forEach((set, k) => encoder.resolveQuerySet(set, 0, set.count, this.resolved, setOffset(k)));
    encoder.copyBufferToBuffer(this.resolved, 0, this.readback, 0, this.bytes);
  }

  /** Each pass's milliseconds (undefined where its timestamps are not a duration), once the encoder's work is submitted. */
  async read(): Promise<(number | undefined)[]> {
    await this.readback.mapAsync(GPUMapMode.READ);
    const values = new BigUint64Array(this.readback.getMappedRange().slice(0));
    this.readback.unmap();
    const perSet = MAX_QUERIES / 2;
    return Array.from({ length: this.passes }, (_, i) => {
      const at = setOffset(Math.floor(i / perSet)) / 8 + 2 * (i % perSet);
      return passMilliseconds(values[at]!, values[at + 1]!);
    });
  }

  destroy(): void {
    for (const s of this.sets) s.destroy();
    this.resolved.destroy();
    this.readback.destroy();
  }
}

const align = (bytes: number) => Math.ceil(bytes / RESOLVE_ALIGNMENT) * RESOLVE_ALIGNMENT;
/** Where query set k's values start in the resolve buffer: a full set's bytes each before it. */
const setOffset = (k: number) => k * align(MAX_QUERIES * 8);

/** One compute pass at a time, timed by the GPU's clock and the wall clock (the GEMM tuner's runs). */
export class GpuPassTimer {
  private readonly stamps: PassTimestamps;

  /** A timer for `device`, or undefined when the device was not opened with timestamp queries. */
  static for(device: GPUDevice): GpuPassTimer | undefined {
    const stamps = PassTimestamps.create(device, 1);
    return stamps && new GpuPassTimer(device, stamps);
  }

  private constructor(
    private readonly device: GPUDevice,
    stamps: PassTimestamps,
  ) {
    this.stamps = stamps;
  }

  /**
   * Encodes the compute pass `encode` fills, submits it alone, and returns
   * the GPU milliseconds between its beginning and end (undefined when the
   * adapter's timestamps are unusable: time it by the wall clock then) and
   * the wall milliseconds from submission to completion.
   */
  async time(encode: (pass: GPUComputePassEncoder) => void): Promise<{ gpuMs: number | undefined; wallMs: number }> {
    const encoder = this.device.createCommandEncoder({ label: 'timed pass' });
    const pass = encoder.beginComputePass({ timestampWrites: this.stamps.writes(0) });
    encode(pass);
    pass.end();
    this.stamps.resolve(encoder);
    const start = performance.now();
    this.device.queue.submit([encoder.finish()]);
    await this.device.queue.onSubmittedWorkDone();
    const wallMs = performance.now() - start;
    const [gpuMs] = await this.stamps.read();
    return { gpuMs, wallMs };
  }

  destroy(): void {
    this.stamps.destroy();
  }
}
