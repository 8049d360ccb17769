/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the
 * same stream on every platform, so initial weights, shuffles and test data
 * are reproducible and identical for the cpu and webgpu backends.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal, by Box–Muller. */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** `n` values drawn uniformly from [lo, hi). */
  fill(n: number, lo = -1, hi = 1): Float32Array {
    return Float32Array.from({ length: n }, () => this.uniform(lo, hi));
  }

  /** 0 … n−1 in a seeded random order (Fisher–Yates), as floats for GPU index buffers. */
  permutation(n: number): Float32Array {
    const p = Float32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}
