// A pool of GPU buffers, reused by size class and usage, so that a steady
// training loop creates no buffers at all. A buffer released while commands
// are recorded but not yet submitted only becomes reusable after the next
// queue submission: those commands may still read it, and a
// queue.writeBuffer into it would land before them. Work already submitted
// is no obstacle: anything queued later runs after it.

export interface PoolStats {
  /** Buffers that exist now (created and not destroyed), in use or idle. */
  live: number;
  /** Buffers handed out and not yet released. */
  inUse: number;
  created: number;
  bytesAllocated: number;
  peakBytesAllocated: number;
}

/** Thrown when one GPU buffer would be larger than the adapter's `maxBufferSize`. */
export class BufferLimitError extends Error {
  override name = 'BufferLimitError';
}

/**
 * Rounds a request up to its size class: powers of two up to 1 KiB, then four
 * classes per doubling (at most 25% wasted).
 */
export function sizeClass(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 4) * 4);
  if (b <= 1024) return 2 ** Math.ceil(Math.log2(b));
  const step = 2 ** Math.floor(Math.log2(b)) / 4;
  return Math.ceil(b / step) * step;
}

export class BufferPool {
  private readonly idle = new Map<string, GPUBuffer[]>();
  private readonly releasedSinceSubmit: GPUBuffer[] = [];
  private readonly stats: PoolStats = { live: 0, inUse: 0, created: 0, bytesAllocated: 0, peakBytesAllocated: 0 };

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBufferSize: number,
    /** Whether commands are recorded and not yet submitted. */
    private readonly unsubmittedWork: () => boolean,
  ) {}

  /** A buffer of at least `bytes` bytes with exactly this usage. */
  acquire(bytes: number, usage: GPUBufferUsageFlags, what: string): GPUBuffer {
    if (bytes > this.maxBufferSize) {
      throw new BufferLimitError(
        `webgpu: ${what} needs ${bytes} bytes, over this adapter's maxBufferSize of ${this.maxBufferSize} bytes`,
      );
    }
    const size = Math.min(sizeClass(bytes), Math.max(this.maxBufferSize - (this.maxBufferSize % 4), bytes));
    const key = `${usage}:${size}`;
    const buffer = this.idle.get(key)?.pop() ?? this.create(size, usage, key);
    this.stats.inUse++;
    return buffer;
  }

  private create(size: number, usage: GPUBufferUsageFlags, label: string): GPUBuffer {
    const buffer = this.device.createBuffer({ size, usage, label });
    this.stats.live++;
    this.stats.created++;
    this.stats.bytesAllocated += size;
    this.stats.peakBytesAllocated = Math.max(this.stats.peakBytesAllocated, this.stats.bytesAllocated);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    this.stats.inUse--;
    if (this.unsubmittedWork()) this.releasedSinceSubmit.push(buffer);
    else this.makeIdle(buffer);
  }

  /** For a buffer no recorded or queued work uses any more (a mapped-and-read staging buffer). */
  releaseFinished(buffer: GPUBuffer): void {
    this.stats.inUse--;
    this.makeIdle(buffer);
  }

  /** Called after each queue submission: released buffers may be handed out again. */
  recycle(): void {
    for (const buffer of this.releasedSinceSubmit) this.makeIdle(buffer);
    this.releasedSinceSubmit.length = 0;
  }

  private makeIdle(buffer: GPUBuffer): void {
    const key = `${buffer.usage}:${buffer.size}`;
    let list = this.idle.get(key);
    if (!list) this.idle.set(key, (list = []));
    list.push(buffer);
  }

  /** Destroys idle buffers (those released before the last submission). */
  trim(): void {
    for (const list of this.idle.values()) {
      for (const buffer of list) this.destroy(buffer);
    }
    this.idle.clear();
  }

  private destroy(buffer: GPUBuffer): void {
    this.stats.live--;
    this.stats.bytesAllocated -= buffer.size;
    buffer.destroy();
  }

  snapshot(): PoolStats {
    return { ...this.stats };
  }
}
