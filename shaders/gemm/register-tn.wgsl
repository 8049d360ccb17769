// Register-blocked GEMM, op(A) read along M and op(B) along N in vec4s, one k
// at a time: the form of Aᵀ·B, where A is stored as [K, M] (a weight
// gradient: the reduction runs over the batch). See register-nn.wgsl for why.
//
// The instance adds, beside KStep, k_step and load_b_n4:
//   fn k_next(s: KStep) -> KStep                   the step of k + 1 from that of k (no division per k)
//   AQuad, fn a_quad(q: u32) -> AQuad              what rows 4q..4q+3 need, worked out once
//   fn load_a_m4(a: AQuad, s: KStep) -> vec4<f32>  op(A)[4q..4q+3, k], 0 past M

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn gemm_register_tn(@builtin(global_invocation_id) gid: vec3<u32>) {
  let g = gemm_params();
  let row0 = gid.y * REG_ROWS;
  let col0 = gid.x * REG_COLS;
  if (row0 >= g.M || col0 >= g.N) { return; }
  let kr = k_range(gid.z);
  var quads: array<AQuad, REG_ROWS / 4u>;
  var bq: array<u32, REG_VECS>;
  for (var q = 0u; q < REG_ROWS / 4u; q++) { quads[q] = a_quad(min(row0 / 4u + q, (g.M + 3u) / 4u - 1u)); }
  for (var v = 0u; v < REG_VECS; v++) { bq[v] = min(col0 / 4u + v, (g.N + 3u) / 4u - 1u); }
  var acc: array<array<vec4<f32>, REG_VECS>, REG_ROWS>;

  // C[r..r+3, c..c+3] += Aᵀ[r..r+3, k] ⊗ B[k, c..c+3]
  var s = k_step(kr.x);
  for (var k = kr.x; k < kr.y; k++) {
    var bk: array<vec4<f32>, REG_VECS>;
    for (var v = 0u; v < REG_VECS; v++) { bk[v] = load_b_n4(k, bq[v]); }
    for (var q = 0u; q < REG_ROWS / 4u; q++) {
      let av = load_a_m4(quads[q], s);
      for (var v = 0u; v < REG_VECS; v++) {
        acc[4u * q][v] = fma(vec4(av.x), bk[v], acc[4u * q][v]);
        acc[4u * q + 1u][v] = fma(vec4(av.y), bk[v], acc[4u * q + 1u][v]);
        acc[4u * q + 2u][v] = fma(vec4(av.z), bk[v], acc[4u * q + 2u][v]);
        acc[4u * q + 3u][v] = fma(vec4(av.w), bk[v], acc[4u * q + 3u][v]);
      }
    }
    s = k_next(s);
  }

  for (var r = 0u; r < REG_ROWS; r++) {
    for (var v = 0u; v < REG_VECS; v++) {
      for (var j = 0u; j < 4u; j++) { gemm_out(row0 + r, col0 + 4u * v + j, gid.z, acc[r][v][j]); }
    }
  }
}
