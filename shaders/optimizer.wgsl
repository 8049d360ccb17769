// Optimizer updates, in place, one dispatch per flat parameter tensor.
// Keras semantics:
//   sgd       p −= lr · g
//   momentum  v = μ·v − lr·g;  p += v
//   adam      m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²
//             p −= lr · √(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε)
//   adamw     p −= lr·wd·p first, then adam
//   rmsprop   ms = ρ·ms + (1−ρ)·g²;  p −= lr · g / (√ms + ε)
// The step count t lives in a GPU buffer that advance_step increments once
// per training step, so a whole epoch of steps can be recorded and submitted
// at once without the CPU writing t between steps. With RATE_TENSOR the
// learning rate is read from `rate` at each step too: it can change during
// training (a new value written between steps, or a schedule that
// advance_step applies) without recording anything again.

override WG: u32 = 64u;
// The learning rate comes from rate[0] rather than the uniform block.
override RATE_TENSOR: bool = false;
// advance_step's schedule: SCHEDULE and Schedule of lib/schedule.wgsl.
// advance_step also moves the batch cursor on (the step's bookkeeping in one dispatch).
override CURSOR: bool = false;

struct Hyper {
  n: u32,
  stride: u32,
  learning_rate: f32,
  momentum: f32,
  beta1: f32,
  beta2: f32,
  epsilon: f32,
  weight_decay: f32,
  rho: f32,
  cursor_rows: u32,  // advance_step with CURSOR: the batch's rows
  _p1: u32,
  _p2: u32,
  schedule: Schedule,
}

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> slot1: array<f32>;  // momentum: velocity; adam: m; rmsprop: mean square
@group(0) @binding(3) var<storage, read_write> slot2: array<f32>;  // adam: v
@group(0) @binding(4) var<storage, read_write> step: array<f32>;   // [t]
@group(0) @binding(5) var<uniform> hp: Hyper;
@group(0) @binding(6) var<storage, read_write> rate: array<f32>;   // [current, base], with RATE_TENSOR or SCHEDULE
@group(0) @binding(7) var<storage, read_write> cursor: array<f32>; // [1], advance_step with CURSOR

fn learning_rate() -> f32 {
  if (RATE_TENSOR) { return rate[0]; }
  return hp.learning_rate;
}

@compute @workgroup_size(WG)
fn sgd(@builtin(global_invocation_id) gid: vec3<u32>) {
  let lr = learning_rate();
  for (var i = gid.x; i < hp.n; i += hp.stride) {
    param[i] -= lr * grad[i];
  }
}

@compute @workgroup_size(WG)
fn momentum(@builtin(global_invocation_id) gid: vec3<u32>) {
  let lr = learning_rate();
  for (var i = gid.x; i < hp.n; i += hp.stride) {
    let v = hp.momentum * slot1[i] - lr * grad[i];
    slot1[i] = v;
    param[i] += v;
  }
}

@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = step[0];
  let lr = learning_rate();
  let alpha = lr * sqrt(1.0 - pow(hp.beta2, t)) / (1.0 - pow(hp.beta1, t));
  let decay = lr * hp.weight_decay;
  for (var i = gid.x; i < hp.n; i += hp.stride) {
    let g = grad[i];
    let m = hp.beta1 * slot1[i] + (1.0 - hp.beta1) * g;
    let v = hp.beta2 * slot2[i] + (1.0 - hp.beta2) * g * g;
    slot1[i] = m;
    slot2[i] = v;
    var p = param[i];
    if (hp.weight_decay != 0.0) { p -= decay * p; }
    param[i] = p - alpha * m / (sqrt(v) + hp.epsilon);
  }
}

@compute @workgroup_size(WG)
fn rmsprop(@builtin(global_invocation_id) gid: vec3<u32>) {
  let lr = learning_rate();
  for (var i = gid.x; i < hp.n; i += hp.stride) {
    let g = grad[i];
    let ms = hp.rho * slot1[i] + (1.0 - hp.rho) * g * g;
    slot1[i] = ms;
    param[i] -= lr * g / (sqrt(ms) + hp.epsilon);
  }
}

@compute @workgroup_size(1)
fn advance_step() {
  step[0] += 1.0;
  if (SCHEDULE != 0u) { rate[0] = scheduled(hp.schedule, rate[1], step[0] - 1.0); }
  if (CURSOR) { cursor[0] += f32(hp.cursor_rows); }
}
