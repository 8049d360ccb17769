// The GEMM template: C = op(A)·op(B), an M×N output over a reduction of
// length K, written once. An instance file says what A, B and C are — stored
// matrices (matmul.wgsl), or an image seen as its im2col matrix that is never
// materialized (conv2d-*.wgsl) — by defining:
//
//   fn gemm_params() -> GemmParams          the sizes (and split) of this dispatch
//   fn load_a(row: u32, k: u32) -> f32      op(A)[row, k], 0 outside the matrix
//   fn load_b(k: u32, col: u32) -> f32      op(B)[k, col], 0 outside
//   fn store_c(row: u32, col: u32, v: f32)  C[row, col] = v through the instance's epilogue
//
// plus the vector loads of whichever register-blocked forms it uses
// (gemm/register-*.wgsl). This file holds the scalar kernels: gemm_naive (one
// output per invocation, the baseline) and gemm_tiled (workgroup-memory
// tiles, TILE_BLOCK×TILE_BLOCK outputs per invocation: what hardware GPUs want).
//
// Split-K: when the output is too small to fill the device (a filter
// gradient: a few hundred outputs, a reduction over every pixel of the
// batch), SPLIT_K dispatches split the reduction over workgroup z, each
// writing its partial sums to `partials`; gemm_reduce_splits adds them and
// stores through store_c. k_chunk is a multiple of 4, so a vec4 step never
// straddles two splits.

struct GemmParams { M: u32, N: u32, K: u32, splits: u32, k_chunk: u32, _p0: u32, _p1: u32, _p2: u32 }

override SPLIT_K: bool = false;
// Workgroup shape: WG_X invocations along N, WG_Y along M; the register
// forms may also put WG_Z splits of the reduction in one workgroup (a small
// output then still fills the SIMD lanes of a software adapter).
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;
override WG_Z: u32 = 1u;
// Depth of the K slice gemm_tiled stages in workgroup memory per step.
override TILE_K: u32 = 16u;
// Invocations of gemm_reduce_splits.
override WG: u32 = 64u;
// Set when the product is whole tiles of gemm_tiled (M, N and K multiples of
// its tile, no split): no load or store falls outside the matrices, so the
// edge checks fold away. Only instances whose loads read it (matmul) are
// dispatched with it.
override ALIGNED: bool = false;

// Outputs per invocation of gemm_tiled along each axis (4 or 8), and of the
// register-blocked kernels. WGSL sizes private arrays only with
// const-expressions, so the pipeline cache rewrites these lines per
// specialization (PipelineCache, sourceConstants).
const TILE_BLOCK: u32 = 4u;
const TILE_VECS: u32 = TILE_BLOCK / 4u;
override TILE_M: u32 = WG_Y * TILE_BLOCK;
override TILE_N: u32 = WG_X * TILE_BLOCK;
const REG_ROWS: u32 = 8u;
const REG_COLS: u32 = 8u;
const REG_VECS: u32 = REG_COLS / 4u;

@group(0) @binding(7) var<storage, read_write> partials: array<f32>;  // [splits, M, N] with SPLIT_K

// The part of the reduction workgroup z covers.
fn k_range(z: u32) -> vec2<u32> {
  let g = gemm_params();
  if (!SPLIT_K) { return vec2<u32>(0u, g.K); }
  let begin = z * g.k_chunk;
  return vec2<u32>(min(begin, g.K), min(g.K, begin + g.k_chunk));
}

// Every kernel's output goes through here: straight to the epilogue, or to
// this split's partial sums.
fn gemm_out(row: u32, col: u32, z: u32, v: f32) {
  let g = gemm_params();
  if (!ALIGNED && (row >= g.M || col >= g.N)) { return; }
  if (SPLIT_K) {
    partials[(z * g.M + row) * g.N + col] = v;
  } else {
    store_c(row, col, v);
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn gemm_naive(@builtin(global_invocation_id) gid: vec3<u32>) {
  let g = gemm_params();
  let row = gid.y;
  let col = gid.x;
  if (row >= g.M || col >= g.N) { return; }
  let kr = k_range(gid.z);
  var sum = 0.0;
  for (var k = kr.x; k < kr.y; k++) {
    sum += load_a(row, k) * load_b(k, col);
  }
  gemm_out(row, col, gid.z, sum);
}

// Staged k-major in vec4s: at a fixed k, an invocation's TILE_BLOCK rows of
// op(A) and TILE_BLOCK columns of op(B) are each TILE_BLOCK/4 whole vec4s of
// workgroup memory, so the inner loop does vector loads only.
var<workgroup> tile_a: array<vec4<f32>, TILE_K * TILE_M / 4u>;
var<workgroup> tile_b: array<vec4<f32>, TILE_K * TILE_N / 4u>;

// The workgroup stages a TILE_M × TILE_K slice of op(A) and a TILE_K × TILE_N
// slice of op(B); each invocation then accumulates its TILE_BLOCK × TILE_BLOCK
// block (4×4 in a 64×64 tile, or 8×8 in a 128×128 one: more fmas per value
// read from workgroup memory, fewer workgroups).
@compute @workgroup_size(WG_X, WG_Y)
fn gemm_tiled(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) lindex: u32,
) {
  let row0 = wg.y * TILE_M;
  let col0 = wg.x * TILE_N;
  let threads = WG_X * WG_Y;
  let kr = k_range(wg.z);
  let vecs_m = TILE_M / 4u;
  let vecs_n = TILE_N / 4u;
  var acc: array<array<vec4<f32>, TILE_VECS>, TILE_BLOCK>;

  for (var k0 = kr.x; k0 < kr.y; k0 += TILE_K) {
    // Four rows of op(A) at one k per store; four columns of op(B).
    for (var i = lindex; i < TILE_K * vecs_m; i += threads) {
      let k = k0 + i / vecs_m;
      let m = row0 + (i % vecs_m) * 4u;
      var v = vec4<f32>(0.0);
      if (ALIGNED || k < kr.y) { v = vec4<f32>(load_a(m, k), load_a(m + 1u, k), load_a(m + 2u, k), load_a(m + 3u, k)); }
      tile_a[i] = v;
    }
    for (var i = lindex; i < TILE_K * vecs_n; i += threads) {
      let k = k0 + i / vecs_n;
      let n = col0 + (i % vecs_n) * 4u;
      var v = vec4<f32>(0.0);
      if (ALIGNED || k < kr.y) { v = vec4<f32>(load_b(k, n), load_b(k, n + 1u), load_b(k, n + 2u), load_b(k, n + 3u)); }
      tile_b[i] = v;
    }
    workgroupBarrier();

    for (var k = 0u; k < TILE_K; k++) {
      var a: array<vec4<f32>, TILE_VECS>;
      var b: array<vec4<f32>, TILE_VECS>;
      for (var v = 0u; v < TILE_VECS; v++) {
        a[v] = tile_a[k * vecs_m + lid.y * TILE_VECS + v];
        b[v] = tile_b[k * vecs_n + lid.x * TILE_VECS + v];
      }
      for (var r = 0u; r < TILE_BLOCK; r++) {
        let ar = vec4<f32>(a[r / 4u][r % 4u]);
        for (var v = 0u; v < TILE_VECS; v++) { acc[r][v] = fma(ar, b[v], acc[r][v]); }
      }
    }
    workgroupBarrier();
  }

  for (var r = 0u; r < TILE_BLOCK; r++) {
    let row = row0 + lid.y * TILE_BLOCK + r;
    for (var v = 0u; v < TILE_VECS; v++) {
      let col = col0 + lid.x * TILE_BLOCK + 4u * v;
      for (var j = 0u; j < 4u; j++) { gemm_out(row, col + j, wg.z, acc[r][v][j]); }
    }
  }
}

// Adds the splits' partial sums and stores them through the epilogue.
@compute @workgroup_size(WG)
fn gemm_reduce_splits(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let g = gemm_params();
  let total = g.M * g.N;
  for (var i = gid.x; i < total; i += groups.x * WG) {
    var sum = 0.0;
    for (var z = 0u; z < g.splits; z++) { sum += partials[z * total + i]; }
    store_c(i / g.N, i % g.N, sum);
  }
}
