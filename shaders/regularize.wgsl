// Weight regularization (Keras's L1, L2, L1L2), in the training step between
// the backward pass and the update: for one parameter p and its gradient g,
//   g += l1·sign(p) + 2·l2·p
// and the penalty l1·Σ|p| + l2·Σp², times the batch's rows, is added to the
// loss sum, so the loss reported per sample includes it as Keras's does.
// One workgroup strides over the parameter, then combines its partial sums
// (lib/reduce.wgsl). Without GRADIENT (validation, evaluate) only the penalty.

override WG: u32 = 128u;
override GRADIENT: bool = true;

struct Params { n: u32, rows: f32, l1: f32, l2: f32 }

@group(0) @binding(0) var<storage, read> param: array<f32>;
@group(0) @binding(1) var<storage, read_write> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> totals: array<f32>;  // [loss sum, accuracy sum]
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn regularize(@builtin(local_invocation_index) lid: u32) {
  var penalty = 0.0;
  for (var i = lid; i < params.n; i += WG) {
    let p = param[i];
    penalty += params.l1 * abs(p) + params.l2 * p * p;
    if (GRADIENT) { grad[i] += params.l1 * sign(p) + 2.0 * params.l2 * p; }
  }
  let total = workgroup_sum(lid, vec4<f32>(penalty, 0.0, 0.0, 0.0));
  if (lid == 0u) { totals[0] += total.x * params.rows; }
}
