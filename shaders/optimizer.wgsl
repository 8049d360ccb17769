// Optimizer updates, in place, one dispatch per parameter tensor.
// Keras semantics:
//   sgd       p −= lr · g
//   momentum  v = μ·v − lr·g;  p += v
//   adam      m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²
//             p −= lr · √(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε)
// The Adam step count t lives in a GPU buffer that advance_step increments
// once per training step, so a whole epoch of steps can be recorded and
// submitted at once without the CPU writing t between steps.

override WG: u32 = 64u;

struct Hyper {
  n: u32,
  stride: u32,
  learning_rate: f32,
  momentum: f32,
  beta1: f32,
  beta2: f32,
  epsilon: f32,
  _pad: f32,
}

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> slot1: array<f32>;  // momentum: velocity; adam: m
@group(0) @binding(3) var<storage, read_write> slot2: array<f32>;  // adam: v
@group(0) @binding(4) var<storage, read_write> step: array<f32>;   // adam: [t]
@group(0) @binding(5) var<uniform> hp: Hyper;

@compute @workgroup_size(WG)
fn sgd(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var i = gid.x; i < hp.n; i += hp.stride) {
    param[i] -= hp.learning_rate * grad[i];
  }
}

@compute @workgroup_size(WG)
fn momentum(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var i = gid.x; i < hp.n; i += hp.stride) {
    let v = hp.momentum * slot1[i] - hp.learning_rate * grad[i];
    slot1[i] = v;
    param[i] += v;
  }
}

@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = step[0];
  let alpha = hp.learning_rate * sqrt(1.0 - pow(hp.beta2, t)) / (1.0 - pow(hp.beta1, t));
  for (var i = gid.x; i < hp.n; i += hp.stride) {
    let g = grad[i];
    let m = hp.beta1 * slot1[i] + (1.0 - hp.beta1) * g;
    let v = hp.beta2 * slot2[i] + (1.0 - hp.beta2) * g * g;
    slot1[i] = m;
    slot2[i] = v;
    param[i] -= alpha * m / (sqrt(v) + hp.epsilon);
  }
}

@compute @workgroup_size(1)
fn advance_step() {
  step[0] += 1.0;
}
