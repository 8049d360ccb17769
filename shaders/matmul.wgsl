// Matrix multiplication C = op(A) · op(B), with an optional fused epilogue
// (bias add, then activation) for the forward pass of a dense layer.
//
//   op(A) is A [M, K], or Aᵀ when A is stored as [K, M]  (TRANSPOSE_A)
//   op(B) is B [K, N], or Bᵀ when B is stored as [N, K]  (TRANSPOSE_B)
//
// Backprop needs all three forms: Y = X·W (forward), dX = dY·Wᵀ, dW = Xᵀ·dY.
// Any M, N, K works: loads outside the matrix read 0, stores outside are skipped.
//
// Backward fusion: with DERIVATIVE set (an activation code), the product is
// multiplied element-wise by that activation's derivative, taken from the
// layer's forward output Y bound in place of the bias: dZ = (dY·Wᵀ) ⊙ f'(Y)
// in one dispatch instead of two.

override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;
override HAS_BIAS: bool = false;
// 0 linear, 1 relu, 2 sigmoid, 3 tanh (same codes as activation.wgsl).
override ACTIVATION: u32 = 0u;
// 0: none; else the activation code whose derivative scales the result.
override DERIVATIVE: u32 = 0u;

// Workgroup shape: WG_X invocations along N, WG_Y along M.
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;
// Depth of the K slice staged in workgroup memory per step.
override TILE_K: u32 = 16u;

// Each invocation of the tiled kernel computes a BLOCK × BLOCK block of C, so
// every value it loads from workgroup memory feeds BLOCK fused multiply-adds.
const BLOCK: u32 = 4u;
override TILE_M: u32 = WG_Y * BLOCK;
override TILE_N: u32 = WG_X * BLOCK;

struct Dims { M: u32, N: u32, K: u32, _pad: u32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;  // [N]; with DERIVATIVE: the forward output [M, N]
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<uniform> dims: Dims;

fn load_a(row: u32, k: u32) -> f32 {
  if (row >= dims.M || k >= dims.K) { return 0.0; }
  if (TRANSPOSE_A) { return a[k * dims.M + row]; }
  return a[row * dims.K + k];
}

fn load_b(k: u32, col: u32) -> f32 {
  if (k >= dims.K || col >= dims.N) { return 0.0; }
  if (TRANSPOSE_B) { return b[col * dims.K + k]; }
  return b[k * dims.N + col];
}

fn activate(x: f32) -> f32 {
  switch ACTIVATION {
    case 1u: { return max(x, 0.0); }
    case 2u: {
      // Stable in both tails: exp never sees a large positive argument.
      if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
      let e = exp(x);
      return e / (1.0 + e);
    }
    case 3u: { return tanh(clamp(x, -15.0, 15.0)); }
    default: { return x; }
  }
}

// f'(x) written with the output y = f(x), as in activation.wgsl.
fn derivative_from_output(y: f32) -> f32 {
  switch DERIVATIVE {
    case 1u: { return select(0.0, 1.0, y > 0.0); }
    case 2u: { return y * (1.0 - y); }
    case 3u: { return 1.0 - y * y; }
    default: { return 1.0; }
  }
}

fn store_c(row: u32, col: u32, value: f32) {
  if (row >= dims.M || col >= dims.N) { return; }
  let at = row * dims.N + col;
  var v = value;
  if (HAS_BIAS) { v += bias[col]; }
  v = activate(v);
  if (DERIVATIVE != 0u) { v *= derivative_from_output(bias[at]); }
  c[at] = v;
}

// One output per invocation: the baseline the tiled kernel is measured against.
@compute @workgroup_size(WG_X, WG_Y)
fn matmul_naive(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.y;
  let col = gid.x;
  if (row >= dims.M || col >= dims.N) { return; }
  var sum = 0.0;
  for (var k = 0u; k < dims.K; k++) {
    sum += load_a(row, k) * load_b(k, col);
  }
  store_c(row, col, sum);
}

var<workgroup> tile_a: array<f32, TILE_M * TILE_K>;
var<workgroup> tile_b: array<f32, TILE_K * TILE_N>;

// Workgroup-memory tiling with a BLOCK × BLOCK register block per invocation:
// the workgroup stages a TILE_M × TILE_K slice of op(A) and a TILE_K × TILE_N
// slice of op(B), then each invocation accumulates its block from them.
@compute @workgroup_size(WG_X, WG_Y)
fn matmul_tiled(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) lindex: u32,
) {
  let row0 = wg.y * TILE_M;
  let col0 = wg.x * TILE_N;
  let threads = WG_X * WG_Y;
  var acc: array<vec4<f32>, BLOCK>;

  for (var k0 = 0u; k0 < dims.K; k0 += TILE_K) {
    for (var i = lindex; i < TILE_M * TILE_K; i += threads) {
      let r = i / TILE_K;
      let k = i % TILE_K;
      tile_a[i] = load_a(row0 + r, k0 + k);
    }
    for (var i = lindex; i < TILE_K * TILE_N; i += threads) {
      let k = i / TILE_N;
      let n = i % TILE_N;
      tile_b[i] = load_b(k0 + k, col0 + n);
    }
    workgroupBarrier();

    for (var k = 0u; k < TILE_K; k++) {
      let bo = k * TILE_N + lid.x * BLOCK;
      let bv = vec4<f32>(tile_b[bo], tile_b[bo + 1u], tile_b[bo + 2u], tile_b[bo + 3u]);
      for (var r = 0u; r < BLOCK; r++) {
        acc[r] = fma(vec4<f32>(tile_a[(lid.y * BLOCK + r) * TILE_K + k]), bv, acc[r]);
      }
    }
    workgroupBarrier();
  }

  for (var r = 0u; r < BLOCK; r++) {
    let row = row0 + lid.y * BLOCK + r;
    let col = col0 + lid.x * BLOCK;
    store_c(row, col, acc[r].x);
    store_c(row, col + 1u, acc[r].y);
    store_c(row, col + 2u, acc[r].z);
    store_c(row, col + 3u, acc[r].w);
  }
}

// Register blocking without workgroup memory, four K steps at a time from
// vec4 loads: each invocation computes a REG_ROWS × REG_COLS block of C
// straight from storage. This suits software adapters (llvmpipe runs one
// invocation per SIMD lane: every load is a per-lane gather, every fma one
// vector instruction, so speed follows fmas per loaded value, and barriers
// only cost), while matmul_tiled suits GPUs with fast shared memory.
// The vec4 views need the dimensions loaded along to be multiples of 4:
//   A·B: K and N;  A·Bᵀ: K;  Aᵀ·B: M and N  (the host checks, else falls back).
const REG_ROWS: u32 = 8u;
const REG_COLS: u32 = 8u;
const REG_VECS: u32 = REG_COLS / 4u;

// The same buffers as a and b, seen as vec4s (used only by matmul_register).
@group(0) @binding(0) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b4: array<vec4<f32>>;

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_register(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row0 = gid.y * REG_ROWS;
  let col0 = gid.x * REG_COLS;
  if (row0 >= dims.M || col0 >= dims.N) { return; }
  let M = dims.M;
  let N = dims.N;
  let K = dims.K;
  // Past the edge, rows and columns read the last valid ones (in bounds,
  // finite) and are never stored: the inner loops need no branch.
  var acc: array<array<vec4<f32>, REG_VECS>, REG_ROWS>;

  if (!TRANSPOSE_A && !TRANSPOSE_B) {
    // C[r, c..c+3] += Σ_{j<4} A[r, k+j] · B[k+j, c..c+3]
    var arow: array<u32, REG_ROWS>;
    var bcol: array<u32, REG_VECS>;
    for (var r = 0u; r < REG_ROWS; r++) { arow[r] = min(row0 + r, M - 1u) * (K / 4u); }
    for (var v = 0u; v < REG_VECS; v++) { bcol[v] = min(col0 / 4u + v, N / 4u - 1u); }
    for (var k = 0u; k < K / 4u; k++) {
      var bk: array<array<vec4<f32>, REG_VECS>, 4>;
      for (var j = 0u; j < 4u; j++) {
        for (var v = 0u; v < REG_VECS; v++) { bk[j][v] = b4[(4u * k + j) * (N / 4u) + bcol[v]]; }
      }
      for (var r = 0u; r < REG_ROWS; r++) {
        let av = a4[arow[r] + k];
        for (var v = 0u; v < REG_VECS; v++) {
          acc[r][v] = fma(vec4(av.x), bk[0][v], fma(vec4(av.y), bk[1][v], fma(vec4(av.z), bk[2][v], fma(vec4(av.w), bk[3][v], acc[r][v]))));
        }
      }
    }
  } else if (!TRANSPOSE_A) {
    // A·Bᵀ: C[r, c] += dot(A[r, k..k+3], B[c, k..k+3]); lane j of acc holds column 4v + j.
    var arow: array<u32, REG_ROWS>;
    var brow: array<u32, REG_COLS>;
    for (var r = 0u; r < REG_ROWS; r++) { arow[r] = min(row0 + r, M - 1u) * (K / 4u); }
    for (var c = 0u; c < REG_COLS; c++) { brow[c] = min(col0 + c, N - 1u) * (K / 4u); }
    for (var k = 0u; k < K / 4u; k++) {
      var bk: array<vec4<f32>, REG_COLS>;
      for (var c = 0u; c < REG_COLS; c++) { bk[c] = b4[brow[c] + k]; }
      for (var r = 0u; r < REG_ROWS; r++) {
        let av = a4[arow[r] + k];
        for (var v = 0u; v < REG_VECS; v++) {
          acc[r][v] += vec4(dot(av, bk[4u * v]), dot(av, bk[4u * v + 1u]), dot(av, bk[4u * v + 2u]), dot(av, bk[4u * v + 3u]));
        }
      }
    }
  } else {
    // Aᵀ·B: for each k, C[r..r+3, c..c+3] += Aᵀ[r..r+3, k] ⊗ B[k, c..c+3], one vec4 of A per four rows.
    var acol: array<u32, REG_ROWS / 4u>;
    var bcol: array<u32, REG_VECS>;
    for (var q = 0u; q < REG_ROWS / 4u; q++) { acol[q] = min(row0 / 4u + q, M / 4u - 1u); }
    for (var v = 0u; v < REG_VECS; v++) { bcol[v] = min(col0 / 4u + v, N / 4u - 1u); }
    for (var k = 0u; k < K; k++) {
      var bk: array<vec4<f32>, REG_VECS>;
      for (var v = 0u; v < REG_VECS; v++) { bk[v] = b4[k * (N / 4u) + bcol[v]]; }
      for (var q = 0u; q < REG_ROWS / 4u; q++) {
        let av = a4[k * (M / 4u) + acol[q]];
        for (var v = 0u; v < REG_VECS; v++) {
          acc[4u * q][v] = fma(vec4(av.x), bk[v], acc[4u * q][v]);
          acc[4u * q + 1u][v] = fma(vec4(av.y), bk[v], acc[4u * q + 1u][v]);
          acc[4u * q + 2u][v] = fma(vec4(av.z), bk[v], acc[4u * q + 2u][v]);
          acc[4u * q + 3u][v] = fma(vec4(av.w), bk[v], acc[4u * q + 3u][v]);
        }
      }
    }
  }

  for (var r = 0u; r < REG_ROWS; r++) {
    for (var v = 0u; v < REG_VECS; v++) {
      let col = col0 + 4u * v;
      store_c(row0 + r, col, acc[r][v].x);
      store_c(row0 + r, col + 1u, acc[r][v].y);
      store_c(row0 + r, col + 2u, acc[r][v].z);
      store_c(row0 + r, col + 3u, acc[r][v].w);
    }
  }
}
