// Metrics beyond accuracy, summed over a batch into running totals on the
// device (one workgroup strides over the rows, then combines its sums with
// lib/reduce.wgsl), so fit still reads them back once per epoch:
//   totals[0] += Σ_samples mean_j (p − y)²        (mse)
//   totals[1] += Σ_samples mean_j |p − y|         (mae)
//   totals[2] += true positives, totals[3] += predicted positives,
//   totals[4] += actual positives                 (precision, recall: p ≥ 0.5, y ≥ 0.5)
// p is the model's output probability: with OUTPUT 1 or 2 the prediction is
// a sigmoid's or softmax's pre-activation, taken through it here. With
// SPARSE the target is one integer label per row, compared as one-hot.

override WG: u32 = 128u;
// 0: the prediction is the output; 1: sigmoid logits; 2: softmax logits.
override OUTPUT: u32 = 0u;
override SPARSE: bool = false;

struct Dims { rows: u32, cols: u32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<storage, read> pred: array<f32>;     // [rows, cols]
@group(0) @binding(1) var<storage, read> truth: array<f32>;    // [rows, cols], or [rows] labels with SPARSE
@group(0) @binding(2) var<storage, read_write> totals: array<f32>;  // [5]
@group(0) @binding(3) var<uniform> dims: Dims;

fn target_at(row: u32, col: u32) -> f32 {
  if (SPARSE) { return select(0.0, 1.0, u32(truth[row]) == col); }
  return truth[row * dims.cols + col];
}

@compute @workgroup_size(WG)
fn metrics(@builtin(local_invocation_index) lid: u32) {
  var errors = vec4<f32>(0.0);  // se, ae
  var counts = vec4<f32>(0.0);  // tp, predicted positive, actual positive
  for (var row = lid; row < dims.rows; row += WG) {
    let base = row * dims.cols;
    // Softmax's normalizer, when the prediction is its logits.
    var m = 0.0;
    var total = 1.0;
    if (OUTPUT == 2u) {
      m = pred[base];
      for (var j = 1u; j < dims.cols; j++) { m = max(m, pred[base + j]); }
      total = 0.0;
      for (var j = 0u; j < dims.cols; j++) { total += exp(pred[base + j] - m); }
    }
    var se = 0.0;
    var ae = 0.0;
    for (var j = 0u; j < dims.cols; j++) {
      var p = pred[base + j];
      if (OUTPUT == 1u) { p = activate(2u, p); }
      if (OUTPUT == 2u) { p = exp(p - m) / total; }
      let y = target_at(row, j);
      se += (p - y) * (p - y);
      ae += abs(p - y);
      let predicted = p >= 0.5;
      let actual = y >= 0.5;
      counts += vec4<f32>(select(0.0, 1.0, predicted && actual), select(0.0, 1.0, predicted), select(0.0, 1.0, actual), 0.0);
    }
    errors += vec4<f32>(se / f32(dims.cols), ae / f32(dims.cols), 0.0, 0.0);
  }
  let e = workgroup_sum(lid, errors);
  let c = workgroup_sum(lid, counts);
  if (lid == 0u) {
    totals[0] += e.x;
    totals[1] += e.y;
    totals[2] += c.x;
    totals[3] += c.y;
    totals[4] += c.z;
  }
}
