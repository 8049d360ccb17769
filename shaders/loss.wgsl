// The loss of a given prediction (lib/loss.wgsl): one invocation per row,
// each writing its loss and accuracy to row_stats and its gradient to grad.

@group(0) @binding(0) var<storage, read> pred: array<f32>;        // [rows, cols]
@group(0) @binding(1) var<storage, read> truth: array<f32>;      // [rows, cols], or [rows, 1] labels
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;  // [rows, cols]
@group(0) @binding(3) var<storage, read_write> row_stats: array<f32>;  // [rows, 2]: loss, accuracy
@group(0) @binding(4) var<uniform> dims: Dims;
@group(0) @binding(5) var<storage, read_write> totals: array<f32>;  // [2], with REDUCE

@compute @workgroup_size(WG)
fn loss(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  var sums = vec2<f32>(0.0);
  for (var row = gid.x; row < dims.rows; row += dims.stride) {
    let stat = vec2<f32>(row_loss(row), row_accuracy(row));
    row_stats[2u * row] = stat.x;
    row_stats[2u * row + 1u] = stat.y;
    sums += stat;
  }
  finish_batch(lid, sums);
}
