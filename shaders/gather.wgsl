// Batch assembly on the GPU: the data set stays resident, and each training
// step copies its rows, in shuffled order, into a fixed batch buffer.
//   out[r, :] = src[indices[cursor + r], :]     for r in [0, rows)
// `indices` is the epoch's permutation; `cursor` (a one-value buffer) is where
// the current batch starts in it. advance_cursor moves it on by one batch, so
// the same recorded dispatches serve every batch of an epoch without the CPU.
// Indices and the cursor are float32 counts: exact up to 2^24 rows.
// With PAIR, the same rows of a second matrix (a batch's targets beside its
// samples) are gathered by the same dispatch: index i past rows·cols is
// element i − rows·cols of the second output.

override WG: u32 = 64u;
override PAIR: bool = false;

// data_rows: the rows of src (and of src2 with PAIR): an index naming none of them reads zeros.
struct Dims { rows: u32, cols: u32, total: u32, stride: u32, cols2: u32, data_rows: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<storage, read> src: array<f32>;        // [total, cols]
@group(0) @binding(1) var<storage, read> indices: array<f32>;    // [total]
@group(0) @binding(2) var<storage, read_write> cursor: array<f32>; // [1]
@group(0) @binding(3) var<storage, read_write> out: array<f32>;  // [rows, cols]
@group(0) @binding(4) var<uniform> dims: Dims;
@group(0) @binding(5) var<storage, read> src2: array<f32>;       // [total, cols2], with PAIR
@group(0) @binding(6) var<storage, read_write> out2: array<f32>; // [rows, cols2], with PAIR

@compute @workgroup_size(WG)
fn gather_rows(@builtin(global_invocation_id) gid: vec3<u32>) {
  let start = u32(cursor[0]);
  let first = dims.rows * dims.cols;
  let all = first + select(0u, dims.rows * dims.cols2, PAIR);
  for (var i = gid.x; i < all; i += dims.stride) {
    let second = i >= first;
    let j = select(i, i - first, second);
    let cols = select(dims.cols, dims.cols2, second);
    let r = j / cols;
    let c = j % cols;
    let pos = start + r;
    var v = 0.0;
    // No read leaves the data set, whatever the indices hold (Dawn runs our kernels without robustness clamps).
    var row = -1.0;
    if (pos < dims.total) { row = indices[pos]; }
    if (row >= 0.0 && row < f32(dims.data_rows)) {
      let at = u32(row) * cols + c;
      if (second) { v = src2[at]; } else { v = src[at]; }
    }
    if (second) { out2[j] = v; } else { out[j] = v; }
  }
}

@compute @workgroup_size(1)
fn advance_cursor() {
  cursor[0] += f32(dims.rows);
}
