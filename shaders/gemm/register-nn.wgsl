// Register-blocked GEMM, op(A) read along K and op(B) along N in vec4s: each
// invocation computes a REG_ROWS × REG_COLS block of C straight from storage,
// with no workgroup memory and no barrier. This suits software adapters:
// llvmpipe runs one invocation per SIMD lane, every load is a per-lane
// gather and every fma one vector instruction, so speed follows fmas per
// loaded value; gemm_tiled suits GPUs with fast shared memory.
//
// The instance adds (see core.wgsl for the rest):
//   ARow, fn a_row(row: u32) -> ARow               what a row needs, worked out once
//   KStep, fn k_step(k: u32) -> KStep              what a k (a multiple of 4) needs, shared by all rows
//   fn k_next4(s: KStep) -> KStep                  the step of k + 4 from that of k (no division per step)
//   fn span_starts(s: KStep) -> bool               k begins a run whose loads share a per-row address
//                                                   (a convolution's kernel tap: its channels)
//   ASpan, fn a_span(r: ARow, s: KStep) -> ASpan   that address, worked out when a run starts
//   fn load_a_k4(r: ARow, p: ASpan, s: KStep) -> vec4<f32>   op(A)[row, k..k+3], 0 past K
//   fn load_b_n4(k: u32, q: u32) -> vec4<f32>      op(B)[k, 4q..4q+3], 0 past K or N
// Rows and columns past the edge read the last valid ones (in bounds,
// finite) and are never stored, so the inner loops need no branch.

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn gemm_register_nn(@builtin(global_invocation_id) gid: vec3<u32>) {
  let g = gemm_params();
  let row0 = gid.y * REG_ROWS;
  let col0 = gid.x * REG_COLS;
  if (row0 >= g.M || col0 >= g.N) { return; }
  let kr = k_range(gid.z);
  var rows: array<ARow, REG_ROWS>;
  var bq: array<u32, REG_VECS>;
  for (var r = 0u; r < REG_ROWS; r++) { rows[r] = a_row(min(row0 + r, g.M - 1u)); }
  for (var v = 0u; v < REG_VECS; v++) { bq[v] = min(col0 / 4u + v, (g.N + 3u) / 4u - 1u); }
  var acc: array<array<vec4<f32>, REG_VECS>, REG_ROWS>;
  var spans: array<ASpan, REG_ROWS>;

  // C[r, c..c+3] += Σ_{j<4} A[r, k+j] · B[k+j, c..c+3]
  var s = k_step(kr.x);
  // The first run's addresses before the loop: where runs never restart (a stored matrix), the test below folds away.
  for (var r = 0u; r < REG_ROWS; r++) { spans[r] = a_span(rows[r], s); }
  for (var k = kr.x; k < kr.y; k += 4u) {
    if (k != kr.x && span_starts(s)) {
      for (var r = 0u; r < REG_ROWS; r++) { spans[r] = a_span(rows[r], s); }
    }
    var bk: array<array<vec4<f32>, REG_VECS>, 4>;
    for (var j = 0u; j < 4u; j++) {
      for (var v = 0u; v < REG_VECS; v++) { bk[j][v] = load_b_n4(k + j, bq[v]); }
    }
    for (var r = 0u; r < REG_ROWS; r++) {
      let av = load_a_k4(rows[r], spans[r], s);
      for (var v = 0u; v < REG_VECS; v++) {
        acc[r][v] = fma(vec4(av.x), bk[0][v], fma(vec4(av.y), bk[1][v], fma(vec4(av.z), bk[2][v], fma(vec4(av.w), bk[3][v], acc[r][v]))));
      }
    }
    s = k_next4(s);
  }

  for (var r = 0u; r < REG_ROWS; r++) {
    for (var v = 0u; v < REG_VECS; v++) {
      for (var j = 0u; j < 4u; j++) { gemm_out(row0 + r, col0 + 4u * v + j, gid.z, acc[r][v][j]); }
    }
  }
}
