// y = activation(conv2d(x, kernel) + bias) over NHWC images, as an instance
// of the GEMM template (gemm/*.wgsl) with im2col folded into its loads:
//
//   C[M = batch·out_h·out_w, N = filters] = A[M, K = k_h·k_w·in_c] · B[K, N]
//   A[(n, oh, ow), (kh, kw, c)] = x[n, oh·sh − pt + kh, ow·sw − pl + kw, c]   (0 in the padding)
//   B = the kernel [k_h, k_w, in_c, filters] as it is stored (Keras's layout)
//
// C is the output [batch, out_h, out_w, filters] as it is stored. No im2col
// buffer is ever written. The register form nn reads A along K in vec4s:
// four channels of one pixel, one load when in_c is a multiple of 4.

override HAS_BIAS: bool = false;
override ACTIVATION: u32 = 0u;
// in_c % 4 == 0: four consecutive k are four channels of one pixel.
override CHANNELS_VEC4: bool = false;
// filters % 4 == 0: four consecutive outputs are one vec4 of the kernel.
override FILTERS_VEC4: bool = false;

struct Params { gemm: GemmParams, geo: ConvGeometry }

@group(0) @binding(0) var<storage, read> x4: array<vec4<f32>>;      // [batch, in_h, in_w, in_c]
@group(0) @binding(1) var<storage, read> w4: array<vec4<f32>>;      // [k_h, k_w, in_c, filters]
@group(0) @binding(2) var<storage, read> bias: array<f32>;          // [filters]
@group(0) @binding(3) var<storage, read_write> y: array<f32>;       // [batch, out_h, out_w, filters]
@group(0) @binding(4) var<uniform> params: Params;

fn gemm_params() -> GemmParams { return params.gemm; }

fn x_at(i: u32) -> f32 { return x4[i / 4u][i % 4u]; }
fn w_at(i: u32) -> f32 { return w4[i / 4u][i % 4u]; }

// An output pixel: where its image starts and its window's top-left corner.
struct ARow { base: u32, ih0: i32, iw0: i32 }
alias KStep = Tap;

fn a_row(row: u32) -> ARow {
  let g = params.geo;
  let pixels = g.out_h * g.out_w;
  let p = row % pixels;
  return ARow(
    (row / pixels) * g.in_h * g.in_w * g.in_c,
    i32((p / g.out_w) * g.stride_h) - i32(g.pad_top),
    i32((p % g.out_w) * g.stride_w) - i32(g.pad_left),
  );
}

fn k_step(k: u32) -> KStep { return tap_of(k, params.geo.k_w, params.geo.in_c); }
fn k_next4(s: KStep) -> KStep { return next_tap4(s, params.geo.k_w, params.geo.in_c); }

// x under one kernel tap of one output pixel; 0 in the padding and past K.
fn tap_value(r: ARow, t: Tap) -> f32 {
  let g = params.geo;
  let ih = r.ih0 + i32(t.kh);
  let iw = r.iw0 + i32(t.kw);
  if (t.kh >= g.k_h || !inside(g, ih, iw)) { return 0.0; }
  return x_at(r.base + (u32(ih) * g.in_w + u32(iw)) * g.in_c + t.c);
}

// With in_c a multiple of 4, a run is one kernel tap's channels: the pixel
// under it is found once per run, and each load is one vec4 from there.
alias ASpan = i32;

fn span_starts(s: KStep) -> bool { return CHANNELS_VEC4 && s.c == 0u; }

// The vec4 index of the tap's pixel for this output pixel, or −1 in the padding.
fn a_span(r: ARow, s: KStep) -> ASpan {
  let g = params.geo;
  let ih = r.ih0 + i32(s.kh);
  let iw = r.iw0 + i32(s.kw);
  if (!CHANNELS_VEC4 || s.kh >= g.k_h || !inside(g, ih, iw)) { return -1; }
  return i32((r.base + (u32(ih) * g.in_w + u32(iw)) * g.in_c) / 4u);
}

fn load_a_k4(r: ARow, p: ASpan, s: KStep) -> vec4<f32> {
  let g = params.geo;
  if (CHANNELS_VEC4) {
    if (p < 0) { return vec4<f32>(0.0); }
    return x4[u32(p) + s.c / 4u];
  }
  var v = vec4<f32>(0.0);
  var t = s;
  for (var j = 0u; j < 4u; j++) {
    v[j] = tap_value(r, t);
    t = next_tap(t, g.k_w, g.in_c);
  }
  return v;
}

fn load_b_n4(k: u32, q: u32) -> vec4<f32> {
  let gm = params.gemm;
  if (k >= gm.K) { return vec4<f32>(0.0); }
  if (FILTERS_VEC4) { return w4[k * (gm.N / 4u) + q]; }
  var v = vec4<f32>(0.0);
  for (var j = 0u; j < 4u; j++) {
    let col = 4u * q + j;
    if (col < gm.N) { v[j] = w_at(k * gm.N + col); }
  }
  return v;
}

fn load_a(row: u32, k: u32) -> f32 {
  let gm = params.gemm;
  if (row >= gm.M || k >= gm.K) { return 0.0; }
  return tap_value(a_row(row), k_step(k));
}

fn load_b(k: u32, col: u32) -> f32 {
  let gm = params.gemm;
  if (k >= gm.K || col >= gm.N) { return 0.0; }
  return w_at(k * gm.N + col);
}

fn store_c(row: u32, col: u32, value: f32) {
  var v = value;
  if (HAS_BIAS) { v += bias[col]; }
  y[row * params.gemm.N + col] = activate(ACTIVATION, v);
}
