// The counter-based random bits of shaders/lib/rng.wgsl, bit for bit: a pure
// function of (seed, step, index), so both backends draw the same dropout masks.

/** A 32-bit integer hash with full avalanche (Chris Wellons' lowbias32). */
export function hashU32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

export function randomStream(seed: number, step: number): number {
  return hashU32((step ^ hashU32(seed)) >>> 0);
}

export function randomBits(stream: number, index: number): number {
  return hashU32((stream ^ hashU32(index)) >>> 0);
}
