// Column sums of a [rows, cols] matrix: out[c] = scale · Σᵣ x[r, c]
// (plus the old out[c] when ACCUMULATE). This one kernel gives the bias
// gradient (Σ over the batch of dY) and the loss reduction (Σ of the per-sample
// losses, as a [batch, 1] matrix), and accumulates epoch totals on the GPU.
//
// One workgroup per column; its invocations stride down the rows and then
// combine their partial sums (lib/reduce.wgsl).

override ACCUMULATE: bool = false;
override WG: u32 = 64u;

struct Dims { rows: u32, cols: u32, scale: f32, _pad: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> dims: Dims;

@compute @workgroup_size(WG)
fn column_sums(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  // Columns beyond 65535 spill into the y dimension of the dispatch.
  let col = wg.y * groups.x + wg.x;
  var sum = 0.0;
  if (col < dims.cols) {
    for (var r = lid; r < dims.rows; r += WG) { sum += x[r * dims.cols + col]; }
  }
  let total = workgroup_sum(lid, vec4<f32>(sum, 0.0, 0.0, 0.0)).x * dims.scale;
  if (lid == 0u && col < dims.cols) {
    if (ACCUMULATE) { out[col] += total; } else { out[col] = total; }
  }
}
