// dx = conv2d's gradient with respect to its input, over NHWC images, as an
// instance of the GEMM template with the gathering folded into its loads:
//
//   C[M = batch·in_h·in_w, N = in_c] = A[M, K = k_h·k_w·filters] · B[K, N]
//   A[(n, ih, iw), (kh, kw, f)] = dy[n, oh, ow, f]  where oh·sh = ih + pt − kh and
//                                 ow·sw = iw + pl − kw exactly, inside the output; else 0
//   B[(kh, kw, f), c]           = kernel[kh, kw, c, f]
//
// Every input pixel gathers the output pixels its value reached: no scatter,
// no atomics. The register form nt reads both along K in vec4s (four filters
// of one tap: one load each when filters is a multiple of 4).
//
// Backward fusion, as in matmul.wgsl: with DERIVATIVE set, the result is
// multiplied by that activation's derivative at the layer below's output,
// giving that layer's dZ directly.

override DERIVATIVE: u32 = 0u;
override FILTERS_VEC4: bool = false;
// Stride 1 both ways: every tap reaches an output pixel, no division needed.
override UNIT_STRIDE: bool = false;

struct Params { gemm: GemmParams, geo: ConvGeometry }

@group(0) @binding(0) var<storage, read> dy4: array<vec4<f32>>;     // [batch, out_h, out_w, filters]
@group(0) @binding(1) var<storage, read> w4: array<vec4<f32>>;      // [k_h, k_w, in_c, filters]
@group(0) @binding(2) var<storage, read> below: array<f32>;         // with DERIVATIVE: the layer below's output [batch, in_h, in_w, in_c]
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;      // [batch, in_h, in_w, in_c]
@group(0) @binding(4) var<uniform> params: Params;

fn gemm_params() -> GemmParams { return params.gemm; }

fn dy_at(i: u32) -> f32 { return dy4[i / 4u][i % 4u]; }
fn w_at(i: u32) -> f32 { return w4[i / 4u][i % 4u]; }

// An input pixel: where its image's gradient starts, and (ih + pt, iw + pl).
struct ARow { base: u32, th: i32, tw: i32 }
alias KStep = Tap;
alias BCol = u32;

fn a_row(row: u32) -> ARow {
  let g = params.geo;
  let pixels = g.in_h * g.in_w;
  let p = row % pixels;
  return ARow(
    (row / pixels) * g.out_h * g.out_w * g.out_c,
    i32(p / g.in_w + g.pad_top),
    i32(p % g.in_w + g.pad_left),
  );
}

fn k_step(k: u32) -> KStep { return tap_of(k, params.geo.k_w, params.geo.out_c); }
fn k_next4(s: KStep) -> KStep { return next_tap4(s, params.geo.k_w, params.geo.out_c); }
fn b_col(col: u32) -> BCol { return col; }

// Index in dy of the output pixel that reached this input pixel through tap t
// (its filter 0), or -1 when none did.
fn source_pixel(r: ARow, t: Tap) -> i32 {
  let g = params.geo;
  let th = r.th - i32(t.kh);
  let tw = r.tw - i32(t.kw);
  if (t.kh >= g.k_h || th < 0 || tw < 0) { return -1; }
  var oh = u32(th);
  var ow = u32(tw);
  if (!UNIT_STRIDE) {
    oh /= g.stride_h;
    ow /= g.stride_w;
    if (oh * g.stride_h != u32(th) || ow * g.stride_w != u32(tw)) { return -1; }
  }
  if (oh >= g.out_h || ow >= g.out_w) { return -1; }
  return i32(r.base + (oh * g.out_w + ow) * g.out_c);
}

// With filters a multiple of 4, a run is one kernel tap's filters: the output
// pixel it reached (in dy) and the kernel row (in w) are found once per run.
alias ASpan = i32;
alias BSpan = u32;

fn span_starts(s: KStep) -> bool { return FILTERS_VEC4 && s.c == 0u; }

// The vec4 index in dy of the output pixel this input pixel reached through the tap, or −1.
fn a_span(r: ARow, s: KStep) -> ASpan {
  if (!FILTERS_VEC4) { return -1; }
  let at = source_pixel(r, s);
  return select(-1, at / 4, at >= 0);
}

// The vec4 index in the kernel of [kh, kw, c, 0].
fn b_span(c: BCol, s: KStep) -> BSpan {
  let g = params.geo;
  return ((min(s.kh, g.k_h - 1u) * g.k_w + s.kw) * g.in_c + c) * (g.out_c / 4u);
}

fn load_a_k4(r: ARow, p: ASpan, s: KStep) -> vec4<f32> {
  let g = params.geo;
  if (FILTERS_VEC4) {
    if (p < 0) { return vec4<f32>(0.0); }
    return dy4[u32(p) + s.c / 4u];
  }
  var v = vec4<f32>(0.0);
  var t = s;
  for (var j = 0u; j < 4u; j++) {
    let at = source_pixel(r, t);
    if (at >= 0) { v[j] = dy_at(u32(at) + t.c); }
    t = next_tap(t, g.k_w, g.out_c);
  }
  return v;
}

// kernel[kh, kw, c, f] for the tap (kh, kw, f); 0 past K.
fn kernel_value(c: u32, t: Tap) -> f32 {
  let g = params.geo;
  if (t.kh >= g.k_h) { return 0.0; }
  return w_at(((t.kh * g.k_w + t.kw) * g.in_c + c) * g.out_c + t.c);
}

fn load_b_k4(c: BCol, p: BSpan, s: KStep) -> vec4<f32> {
  let g = params.geo;
  if (FILTERS_VEC4) { return w4[p + s.c / 4u]; }
  var v = vec4<f32>(0.0);
  var t = s;
  for (var j = 0u; j < 4u; j++) {
    v[j] = kernel_value(c, t);
    t = next_tap(t, g.k_w, g.out_c);
  }
  return v;
}

fn load_a(row: u32, k: u32) -> f32 {
  let gm = params.gemm;
  if (row >= gm.M || k >= gm.K) { return 0.0; }
  let t = k_step(k);
  let at = source_pixel(a_row(row), t);
  if (at < 0) { return 0.0; }
  return dy_at(u32(at) + t.c);
}

fn load_b(k: u32, col: u32) -> f32 {
  let gm = params.gemm;
  if (k >= gm.K || col >= gm.N) { return 0.0; }
  return kernel_value(col, k_step(k));
}

fn store_c(row: u32, col: u32, value: f32) {
  let at = row * params.gemm.N + col;
  var v = value;
  if (DERIVATIVE != 0u) { v *= derivative_from_output(DERIVATIVE, below[at]); }
  dx[at] = v;
}
