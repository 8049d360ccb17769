// Register-blocked GEMM, op(A) and op(B) both read along K in vec4s: the form
// of A·Bᵀ, where B is stored as [N, K]. See register-nn.wgsl for why.
//
// The instance adds, beside ARow, a_row, KStep, k_step, span_starts, ASpan,
// a_span and load_a_k4 (register-nn.wgsl):
//   BCol, fn b_col(col: u32) -> BCol               what a column needs, worked out once
//   BSpan, fn b_span(c: BCol, s: KStep) -> BSpan   a column's shared address in a run (see span_starts)
//   fn load_b_k4(c: BCol, p: BSpan, s: KStep) -> vec4<f32>   op(B)[k..k+3, col], 0 past K

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn gemm_register_nt(@builtin(global_invocation_id) gid: vec3<u32>) {
  let g = gemm_params();
  let row0 = gid.y * REG_ROWS;
  let col0 = gid.x * REG_COLS;
  if (row0 >= g.M || col0 >= g.N) { return; }
  let kr = k_range(gid.z);
  var rows: array<ARow, REG_ROWS>;
  var cols: array<BCol, REG_COLS>;
  for (var r = 0u; r < REG_ROWS; r++) { rows[r] = a_row(min(row0 + r, g.M - 1u)); }
  for (var c = 0u; c < REG_COLS; c++) { cols[c] = b_col(min(col0 + c, g.N - 1u)); }
  var acc: array<array<vec4<f32>, REG_VECS>, REG_ROWS>;
  var a_spans: array<ASpan, REG_ROWS>;
  var b_spans: array<BSpan, REG_COLS>;

  // C[r, c] += dot(A[r, k..k+3], B[k..k+3, c]); lane j of acc[r][v] holds column 4v + j.
  var s = k_step(kr.x);
  // The first run's addresses before the loop: where runs never restart (a stored matrix), the test below folds away.
  for (var r = 0u; r < REG_ROWS; r++) { a_spans[r] = a_span(rows[r], s); }
  for (var c = 0u; c < REG_COLS; c++) { b_spans[c] = b_span(cols[c], s); }
  for (var k = kr.x; k < kr.y; k += 4u) {
    if (k != kr.x && span_starts(s)) {
      for (var r = 0u; r < REG_ROWS; r++) { a_spans[r] = a_span(rows[r], s); }
      for (var c = 0u; c < REG_COLS; c++) { b_spans[c] = b_span(cols[c], s); }
    }
    var bk: array<vec4<f32>, REG_COLS>;
    for (var c = 0u; c < REG_COLS; c++) { bk[c] = load_b_k4(cols[c], b_spans[c], s); }
    for (var r = 0u; r < REG_ROWS; r++) {
      let av = load_a_k4(rows[r], a_spans[r], s);
      for (var v = 0u; v < REG_VECS; v++) {
        acc[r][v] += vec4(dot(av, bk[4u * v]), dot(av, bk[4u * v + 1u]), dot(av, bk[4u * v + 2u]), dot(av, bk[4u * v + 3u]));
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
