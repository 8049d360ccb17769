// Counter-based random bits: a pure function of (seed, step, element), so the
// CPU backend (src/backend/cpu/rng.ts) draws exactly the same values and no
// random state is kept or uploaded.

// A 32-bit integer hash with full avalanche (Chris Wellons' lowbias32).
fn hash_u32(x: u32) -> u32 {
  var h = x;
  h ^= h >> 16u;
  h *= 0x7feb352du;
  h ^= h >> 15u;
  h *= 0x846ca68bu;
  h ^= h >> 16u;
  return h;
}

// The stream of one (seed, step): hash it once, then mix in each element's index.
fn random_stream(seed: u32, step: u32) -> u32 {
  return hash_u32(step ^ hash_u32(seed));
}

fn random_bits(stream: u32, index: u32) -> u32 {
  return hash_u32(stream ^ hash_u32(index));
}
