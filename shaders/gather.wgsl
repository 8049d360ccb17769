// Batch assembly on the GPU: the data set stays resident, and each training
// step copies its rows, in shuffled order, into a fixed batch buffer.
//   out[r, :] = src[indices[cursor + r], :]     for r in [0, rows)
// `indices` is the epoch's permutation; `cursor` (a one-value buffer) is where
// the current batch starts in it. advance_cursor moves it on by one batch, so
// the same recorded dispatches serve every batch of an epoch without the CPU.
// Indices and the cursor are float32 counts: exact up to 2^24 rows.

override WG: u32 = 64u;

struct Dims { rows: u32, cols: u32, total: u32, stride: u32 }

@group(0) @binding(0) var<storage, read> src: array<f32>;        // [total, cols]
@group(0) @binding(1) var<storage, read> indices: array<f32>;    // [total]
@group(0) @binding(2) var<storage, read_write> cursor: array<f32>; // [1]
@group(0) @binding(3) var<storage, read_write> out: array<f32>;  // [rows, cols]
@group(0) @binding(4) var<uniform> dims: Dims;

@compute @workgroup_size(WG)
fn gather_rows(@builtin(global_invocation_id) gid: vec3<u32>) {
  let start = u32(cursor[0]);
  for (var i = gid.x; i < dims.rows * dims.cols; i += dims.stride) {
    let r = i / dims.cols;
    let c = i % dims.cols;
    let pos = start + r;
    var v = 0.0;
    if (pos < dims.total) { v = src[u32(indices[pos]) * dims.cols + c]; }
    out[i] = v;
  }
}

@compute @workgroup_size(1)
fn advance_cursor() {
  cursor[0] += f32(dims.rows);
}
