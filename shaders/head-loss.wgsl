// The output layer's product and the loss in one dispatch: for each row,
// z = x·W + b (the head's pre-activation, written to `pred`), then the loss
// of lib/loss.wgsl on it, its gradient, and the batch's sums (REDUCE: one
// workgroup does every row) with the step's bookkeeping (ADVANCE). A small
// head (a classifier's few outputs) costs one workgroup little, and the step
// one dispatch less; the host keeps large products on the GEMM kernels.
// W [k, cols] and b [cols] are read from one binding (a layer's parameters
// lie side by side in the model's store), at weights_at and bias_at.

@group(0) @binding(0) var<storage, read_write> pred: array<f32>;  // [rows, cols]: z, written here
@group(0) @binding(1) var<storage, read> truth: array<f32>;       // [rows, cols], or [rows, 1] labels
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;  // [rows, cols]
@group(0) @binding(3) var<storage, read> x: array<f32>;           // [rows, k]: the head's input
@group(0) @binding(4) var<uniform> dims: Dims;
@group(0) @binding(5) var<storage, read_write> totals: array<f32>;  // [2]
@group(0) @binding(6) var<storage, read> weights: array<f32>;     // W and b

@compute @workgroup_size(WG)
fn head_loss(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  var sums = vec2<f32>(0.0);
  for (var row = gid.x; row < dims.rows; row += dims.stride) {
    let xrow = row * dims.k;
    for (var j = 0u; j < dims.cols; j++) {
      var z = select(0.0, weights[dims.bias_at + j], dims.has_bias != 0u);
      for (var k = 0u; k < dims.k; k++) { z = fma(x[xrow + k], weights[dims.weights_at + k * dims.cols + j], z); }
      pred[row * dims.cols + j] = z;
    }
    sums += vec2<f32>(row_loss(row), row_accuracy(row));
  }
  finish_batch(lid, sums);
}
