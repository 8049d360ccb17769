// Matrix multiplication C = op(A) · op(B) of stored matrices, an instance of
// the GEMM template (gemm/*.wgsl), with a fused epilogue: bias add, then
// activation, for the forward pass of a dense layer.
//
//   op(A) is A [M, K], or Aᵀ when A is stored as [K, M]  (TRANSPOSE_A)
//   op(B) is B [K, N], or Bᵀ when B is stored as [N, K]  (TRANSPOSE_B)
//
// Backprop needs all three forms: Y = X·W (forward), dX = dY·Wᵀ, dW = Xᵀ·dY;
// they are the template's register forms nn, nt and tn. Any M, N, K works in
// gemm_tiled and gemm_naive; the register forms need the dimensions they load
// along to be multiples of 4 (A·B: K and N; A·Bᵀ: K; Aᵀ·B: M and N), which
// the host checks.
//
// Backward fusion: with DERIVATIVE set (an activation code), the product is
// multiplied element-wise by that activation's derivative, taken from the
// layer's forward output Y bound in place of the bias: dZ = (dY·Wᵀ) ⊙ f'(Y)
// in one dispatch instead of two.
//
// Bias gradient fusion: with ONES_ROW (weight gradients, Aᵀ·B), op(A) has one
// more row, all ones, after the stored rows: its row of C is Σ_k B[k, :], the
// bias gradient db = Σ dZ, written to `sums` in the same pass (the params' M
// counts that row; the stored A has M − 1).
//
// Batch rows (BATCH_ROWS, lib/batch-rows.wgsl): `a` is a whole data set and A
// as stored is the batch's rows of it, read in shuffled order in place: the
// first layer's forward product (rows of op(A)) and its weight gradient
// (Aᵀ: the reduction runs over them) need no gathered copy of the batch.

override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;
override HAS_BIAS: bool = false;
override ACTIVATION: u32 = 0u;
// 0: none; else the activation code whose derivative scales the result.
override DERIVATIVE: u32 = 0u;
override ONES_ROW: bool = false;

// batch: with BATCH_ROWS, where the batch is (lib/batch-rows.wgsl).
struct Params { gemm: GemmParams, batch: BatchAt }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;  // [N]; with DERIVATIVE: the forward output [M, N]
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;
@group(0) @binding(5) var<storage, read_write> sums: array<f32>;  // [N], with ONES_ROW
// The same buffers as a and b, seen as vec4s (used only by the register forms).
@group(0) @binding(0) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b4: array<vec4<f32>>;

fn gemm_params() -> GemmParams { return params.gemm; }

// The rows of A as stored (one fewer than op(A)'s with ONES_ROW).
fn stored_m() -> u32 { return select(params.gemm.M, params.gemm.M - 1u, ONES_ROW); }

// The row of `a` that A's stored row r is: r, or with BATCH_ROWS a row of the data set (NO_ROW past its end).
fn a_stored_row(r: u32) -> u32 { return batch_row(r, params.batch); }

fn load_a(row: u32, k: u32) -> f32 {
  let g = params.gemm;
  if (!ALIGNED && (row >= g.M || k >= g.K)) { return 0.0; }
  if (ONES_ROW && row == stored_m()) { return 1.0; }
  let stored = a_stored_row(select(row, k, TRANSPOSE_A));
  if (BATCH_ROWS && stored == NO_ROW) { return 0.0; }
  if (TRANSPOSE_A) { return a[stored * stored_m() + row]; }
  return a[stored * g.K + k];
}

fn load_b(k: u32, col: u32) -> f32 {
  let g = params.gemm;
  if (!ALIGNED && (k >= g.K || col >= g.N)) { return 0.0; }
  if (TRANSPOSE_B) { return b[col * g.K + k]; }
  return b[k * g.N + col];
}

fn store_c(row: u32, col: u32, value: f32) {
  if (ONES_ROW && row == stored_m()) {
    sums[col] = value;
    return;
  }
  let at = row * params.gemm.N + col;
  var v = value;
  if (HAS_BIAS) { v += bias[col]; }
  v = activate(ACTIVATION, v);
  if (DERIVATIVE != 0u) { v *= derivative_from_output(DERIVATIVE, bias[at]); }
  c[at] = v;
}

// The register forms' loads: a row or column is its first vec4's index.
alias ARow = u32;
alias BCol = u32;
alias AQuad = u32;
// A k, and with TRANSPOSE_A the row of `a` it is: looked up once per k, not
// once per load (with BATCH_ROWS a lookup is two reads and a check).
struct KStep { k: u32, a_row: u32 }
// A stored matrix is one run: a row's address never changes.
alias ASpan = u32;
alias BSpan = u32;

fn a_row(row: u32) -> ARow {
  let stored = a_stored_row(row);
  if (BATCH_ROWS && stored == NO_ROW) { return NO_ROW; }
  return stored * (params.gemm.K / 4u);
}
fn b_col(col: u32) -> BCol { return col * (params.gemm.K / 4u); }
fn a_quad(q: u32) -> AQuad { return q; }
fn k_step(k: u32) -> KStep {
  var row = 0u;
  if (TRANSPOSE_A) { row = a_stored_row(k); }
  return KStep(k, row);
}
fn k_next(s: KStep) -> KStep { return k_step(s.k + 1u); }
fn k_next4(s: KStep) -> KStep { return k_step(s.k + 4u); }
fn span_starts(s: KStep) -> bool { return false; }
fn a_span(r: ARow, s: KStep) -> ASpan { return r; }
fn b_span(c: BCol, s: KStep) -> BSpan { return c; }
fn load_a_k4(r: ARow, p: ASpan, s: KStep) -> vec4<f32> {
  if (BATCH_ROWS && r == NO_ROW) { return vec4<f32>(0.0); }
  return a4[p + s.k / 4u];
}
fn load_b_k4(c: BCol, p: BSpan, s: KStep) -> vec4<f32> { return b4[p + s.k / 4u]; }
// Aᵀ's rows 4q..4q+3 at k: A's row k (s.a_row), columns 4q..4q+3. The stored
// rows are a multiple of 4, so the ones row starts the quad after them.
fn load_a_m4(q: AQuad, s: KStep) -> vec4<f32> {
  if (ONES_ROW && 4u * q >= stored_m()) { return vec4<f32>(1.0, 0.0, 0.0, 0.0); }
  if (BATCH_ROWS && s.a_row == NO_ROW) { return vec4<f32>(0.0); }
  return a4[s.a_row * (stored_m() / 4u) + q];
}
fn load_b_n4(k: u32, q: u32) -> vec4<f32> { return b4[k * (params.gemm.N / 4u) + q]; }
