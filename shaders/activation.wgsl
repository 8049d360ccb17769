// Activations and their derivatives, element-wise, plus the row-wise softmax.
// Backward passes take the forward *output* y: every derivative here is a
// function of y alone (relu: y > 0, sigmoid: y(1 − y), tanh: 1 − y²), so the
// pre-activation never has to be kept.

// An activation code (lib/activation.wgsl).
override ACTIVATION: u32 = 0u;
override WG: u32 = 64u;

// Element-wise entry points: n elements, grid-stride loop.
// Row-wise entry points (softmax): rows × cols.
struct Dims { n: u32, rows: u32, cols: u32, stride: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;      // forward: input; backward: dy
@group(0) @binding(1) var<storage, read> y_in: array<f32>;   // backward: forward output
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;

@compute @workgroup_size(WG)
fn activation_forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var i = gid.x; i < dims.n; i += dims.stride) {
    out[i] = activate(ACTIVATION, x[i]);
  }
}

@compute @workgroup_size(WG)
fn activation_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var i = gid.x; i < dims.n; i += dims.stride) {
    out[i] = x[i] * derivative_from_output(ACTIVATION, y_in[i]);
  }
}

// softmax(x)ᵢ = exp(xᵢ − max x) / Σⱼ exp(xⱼ − max x), one invocation per row.
@compute @workgroup_size(WG)
fn softmax(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var row = gid.x; row < dims.rows; row += dims.stride) {
    let base = row * dims.cols;
    var m = x[base];
    for (var j = 1u; j < dims.cols; j++) { m = max(m, x[base + j]); }
    var total = 0.0;
    for (var j = 0u; j < dims.cols; j++) {
      let e = exp(x[base + j] - m);
      out[base + j] = e;
      total += e;
    }
    let inv = 1.0 / total;
    for (var j = 0u; j < dims.cols; j++) { out[base + j] *= inv; }
  }
}

// dx = y ⊙ (dy − Σⱼ dyⱼ yⱼ), row by row: the Jacobian-vector product of softmax.
@compute @workgroup_size(WG)
fn softmax_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var row = gid.x; row < dims.rows; row += dims.stride) {
    let base = row * dims.cols;
    var dot = 0.0;
    for (var j = 0u; j < dims.cols; j++) { dot += x[base + j] * y_in[base + j]; }
    for (var j = 0u; j < dims.cols; j++) {
      out[base + j] = y_in[base + j] * (x[base + j] - dot);
    }
  }
}
