// A learning-rate schedule evaluated on the device, so a recorded training
// step follows it without the CPU (scheduledRate in cpu/optimizer.ts is the
// twin). The including kernel holds a Schedule in its uniforms; the step's
// bookkeeping (optimizer.wgsl's advance_step, or the loss that ends the
// forward pass) writes the rate for the step about to be taken.
// SCHEDULE: 0 none, 1 exponential decay, 2 piecewise constant.

override SCHEDULE: u32 = 0u;

struct Schedule {
  decay_steps: f32,
  decay_rate: f32,
  staircase: u32,
  pieces: u32,
  boundaries: array<vec4<f32>, 2>,  // piecewise constant: up to 8 step boundaries
  values: array<vec4<f32>, 3>,      // and one value more
}

// The scheduled rate after `taken` steps, from the base rate.
fn scheduled(s: Schedule, base: f32, taken: f32) -> f32 {
  if (SCHEDULE == 1u) {
    var p = taken / s.decay_steps;
    if (s.staircase != 0u) { p = floor(p); }
    return base * pow(s.decay_rate, p);
  }
  var i = 0u;
  while (i < s.pieces && taken > s.boundaries[i / 4u][i % 4u]) { i++; }
  return s.values[i / 4u][i % 4u];
}
