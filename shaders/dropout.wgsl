// Inverted dropout: during training each element is kept with probability
// 1 − rate and scaled by 1 / (1 − rate), so inference needs no change. The
// mask is never stored: an element is kept when its random bits
// (lib/rng.wgsl, from the layer's seed, the step count on the device and the
// element's index) are at least `threshold` = rate·2³². The backward pass
// draws the same bits, and the CPU backend draws them too.
//
// Backward fusion, as in matmul.wgsl: with DERIVATIVE set, dx is multiplied
// by that activation's derivative at the dropout's input.

override DERIVATIVE: u32 = 0u;
override WG: u32 = 64u;

struct Params { count: u32, stride: u32, seed: u32, threshold: u32, scale: f32, _p0: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;          // forward: x; backward: dy
@group(0) @binding(1) var<storage, read> below: array<f32>;      // backward, DERIVATIVE: the dropout's input
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> step: array<f32>;       // [t]: the training step, advanced by optimizer.wgsl
@group(0) @binding(4) var<uniform> params: Params;

fn kept(stream: u32, i: u32) -> bool {
  return random_bits(stream, i) >= params.threshold;
}

@compute @workgroup_size(WG)
fn dropout_forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let stream = random_stream(params.seed, u32(step[0]));
  for (var i = gid.x; i < params.count; i += params.stride) {
    out[i] = select(0.0, x[i] * params.scale, kept(stream, i));
  }
}

@compute @workgroup_size(WG)
fn dropout_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let stream = random_stream(params.seed, u32(step[0]));
  for (var i = gid.x; i < params.count; i += params.stride) {
    var g = select(0.0, x[i] * params.scale, kept(stream, i));
    if (DERIVATIVE != 0u) { g *= derivative_from_output(DERIVATIVE, below[i]); }
    out[i] = g;
  }
}
