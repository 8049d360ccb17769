// Matrix multiplication C = op(A) · op(B), with an optional fused epilogue
// (bias add, then activation) for the forward pass of a dense layer.
//
//   op(A) is A [M, K], or Aᵀ when A is stored as [K, M]  (TRANSPOSE_A)
//   op(B) is B [K, N], or Bᵀ when B is stored as [N, K]  (TRANSPOSE_B)
//
// Backprop needs all three forms: Y = X·W (forward), dX = dY·Wᵀ, dW = Xᵀ·dY.
// Any M, N, K works: loads outside the matrix read 0, stores outside are skipped.

override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;
override HAS_BIAS: bool = false;
// 0 linear, 1 relu, 2 sigmoid, 3 tanh (same codes as activation.wgsl).
override ACTIVATION: u32 = 0u;

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
@group(0) @binding(2) var<storage, read> bias: array<f32>;
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

fn store_c(row: u32, col: u32, value: f32) {
  if (row >= dims.M || col >= dims.N) { return; }
  var v = value;
  if (HAS_BIAS) { v += bias[col]; }
  c[row * dims.N + col] = activate(v);
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
