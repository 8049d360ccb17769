// The GPU's own clock for one compute pass: timestamps written at the pass's
// beginning and end (the 'timestamp-query' feature), resolved and read back.
// Wall time around a submission also counts the submission, the driver's
// queue and the wait for the readback, which on a hardware GPU can exceed a
// small kernel's run; the pass's timestamps count only the work.
//
// Browsers, and Dawn in Node unless told otherwise, round timestamps to a
// quantum (65.536 µs in Dawn: a fingerprinting defence), so a timed pass
// should run for milliseconds. In Node, Dawn's toggles
// `allow_unsafe_apis,-timestamp_quantization` give the raw clock
// (docs/dawn.md).

/** Feature name the device must have been opened with. */
export const TIMESTAMP_FEATURE = 'timestamp-query';

/**
 * The milliseconds between a pass's two timestamps (nanoseconds), or
 * undefined when they cannot be a duration: an adapter may write zeros, or a
 * clock that wrapped or was reset between the two reads.
 */
export function passMilliseconds(begin: bigint, end: bigint): number | undefined {
  if (begin === 0n || end <= begin) return undefined;
  return Number(end - begin) / 1e6;
}

export class GpuPassTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolved: GPUBuffer;
  private readonly readback: GPUBuffer;
  /** Passes timed, and those whose timestamps could not be read as a duration. */
  readonly stats = { passes: 0, unusable: 0 };

  /** A timer for `device`, or undefined when the device was not opened with timestamp queries. */
  static for(device: GPUDevice): GpuPassTimer | undefined {
    return device.features.has(TIMESTAMP_FEATURE) ? new GpuPassTimer(device) : undefined;
  }

  private constructor(private readonly device: GPUDevice) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2, label: 'pass timer' });
    this.resolved = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC, label: 'pass timer resolve' });
    this.readback = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'pass timer readback' });
  }

  /**
   * Encodes the compute pass `encode` fills with its timestamps, submits it
   * alone, and returns the GPU milliseconds between its beginning and end
   * (undefined when the adapter's timestamps are unusable; time it by the
   * wall clock then) and the wall milliseconds from submission to completion.
   */
  async time(encode: (pass: GPUComputePassEncoder) => void): Promise<{ gpuMs: number | undefined; wallMs: number }> {
    const encoder = this.device.createCommandEncoder({ label: 'timed pass' });
    const pass = encoder.beginComputePass({ timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
    encode(pass);
    pass.end();
    encoder.resolveQuerySet(this.querySet, 0, 2, this.resolved, 0);
    encoder.copyBufferToBuffer(this.resolved, 0, this.readback, 0, 16);
    const start = performance.now();
    this.device.queue.submit([encoder.finish()]);
    await this.device.queue.onSubmittedWorkDone();
    const wallMs = performance.now() - start;
    await this.readback.mapAsync(GPUMapMode.READ);
    const [begin, end] = new BigUint64Array(this.readback.getMappedRange().slice(0));
    this.readback.unmap();
    const gpuMs = passMilliseconds(begin!, end!);
    this.stats.passes++;
    if (gpuMs === undefined) this.stats.unusable++;
    return { gpuMs, wallMs };
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolved.destroy();
    this.readback.destroy();
  }
}
