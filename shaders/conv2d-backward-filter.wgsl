// The kernel's (and the bias's) gradient of conv2d over NHWC images, as an
// instance of the GEMM template, im2col folded into its loads:
//
//   C[M = k_h·k_w·in_c (+1), N = filters] = op(A)[M, K = batch·out_h·out_w] · B[K, N]
//   op(A)[(kh, kw, c), (n, oh, ow)] = x[n, oh·sh − pt + kh, ow·sw − pl + kw, c]   (0 in the padding)
//   B = dy [batch·out_h·out_w, filters] as it is stored
//
// With HAS_BIAS, op(A) has one more row, all ones: its row of C is Σ dy over
// every pixel of the batch, the bias gradient, in the same pass. The
// reduction is long and the output small, so the host usually splits K
// (SPLIT_K, core.wgsl). The register form tn reads op(A) along M in vec4s:
// four channels of one tap, one load when in_c is a multiple of 4.

override HAS_BIAS: bool = false;
override CHANNELS_VEC4: bool = false;
override FILTERS_VEC4: bool = false;

struct Params { gemm: GemmParams, geo: ConvGeometry }

@group(0) @binding(0) var<storage, read> x4: array<vec4<f32>>;      // [batch, in_h, in_w, in_c]
@group(0) @binding(1) var<storage, read> dy4: array<vec4<f32>>;     // [batch, out_h, out_w, filters]
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;      // [k_h, k_w, in_c, filters]
@group(0) @binding(4) var<uniform> params: Params;
@group(0) @binding(5) var<storage, read_write> db: array<f32>;      // [filters], with HAS_BIAS

fn gemm_params() -> GemmParams { return params.gemm; }

fn x_at(i: u32) -> f32 { return x4[i / 4u][i % 4u]; }
fn dy_at(i: u32) -> f32 { return dy4[i / 4u][i % 4u]; }

// Rows of C are kernel taps; the row after the last tap is the bias's.
fn taps() -> u32 { let g = params.geo; return g.k_h * g.k_w * g.in_c; }

// Four consecutive rows: their taps, and what each row is (0 a tap, 1 the bias row, 2 past the end).
struct AQuad { kh: vec4<u32>, kw: vec4<u32>, c: vec4<u32>, kind: vec4<u32> }
// One pixel of the output: where its image starts, its window's top-left
// corner, and (to step to the next pixel without dividing) its column.
struct KStep { base: u32, ih0: i32, iw0: i32, ow: u32 }

fn a_quad(q: u32) -> AQuad {
  let g = params.geo;
  var a: AQuad;
  for (var j = 0u; j < 4u; j++) {
    let row = 4u * q + j;
    let t = tap_of(min(row, taps() - 1u), g.k_w, g.in_c);
    a.kh[j] = t.kh;
    a.kw[j] = t.kw;
    a.c[j] = t.c;
    a.kind[j] = select(select(2u, 1u, row == taps() && HAS_BIAS), 0u, row < taps());
  }
  return a;
}

fn k_step(k: u32) -> KStep {
  let g = params.geo;
  let pixels = g.out_h * g.out_w;
  let p = k % pixels;
  let ow = p % g.out_w;
  return KStep(
    (k / pixels) * g.in_h * g.in_w * g.in_c,
    i32((p / g.out_w) * g.stride_h) - i32(g.pad_top),
    i32(ow * g.stride_w) - i32(g.pad_left),
    ow,
  );
}

// The next output pixel: along the row, then down, then into the next image.
fn k_next(s: KStep) -> KStep {
  let g = params.geo;
  var n = s;
  n.ow += 1u;
  n.iw0 += i32(g.stride_w);
  if (n.ow == g.out_w) {
    n.ow = 0u;
    n.iw0 = -i32(g.pad_left);
    n.ih0 += i32(g.stride_h);
    if (n.ih0 == i32(g.out_h * g.stride_h) - i32(g.pad_top)) {
      n.ih0 = -i32(g.pad_top);
      n.base += g.in_h * g.in_w * g.in_c;
    }
  }
  return n;
}

fn lane_value(a: AQuad, j: u32, s: KStep) -> f32 {
  let g = params.geo;
  if (a.kind[j] != 0u) { return select(0.0, 1.0, a.kind[j] == 1u); }
  let ih = s.ih0 + i32(a.kh[j]);
  let iw = s.iw0 + i32(a.kw[j]);
  if (!inside(g, ih, iw)) { return 0.0; }
  return x_at(s.base + (u32(ih) * g.in_w + u32(iw)) * g.in_c + a.c[j]);
}

fn load_a_m4(a: AQuad, s: KStep) -> vec4<f32> {
  let g = params.geo;
  if (CHANNELS_VEC4) {
    // Four channels of one tap (or the bias row's quad: 1, 0, 0, 0).
    if (a.kind.x != 0u) { return vec4<f32>(select(0.0, 1.0, a.kind.x == 1u), 0.0, 0.0, 0.0); }
    let ih = s.ih0 + i32(a.kh.x);
    let iw = s.iw0 + i32(a.kw.x);
    if (!inside(g, ih, iw)) { return vec4<f32>(0.0); }
    return x4[(s.base + (u32(ih) * g.in_w + u32(iw)) * g.in_c + a.c.x) / 4u];
  }
  return vec4<f32>(lane_value(a, 0u, s), lane_value(a, 1u, s), lane_value(a, 2u, s), lane_value(a, 3u, s));
}

fn load_b_n4(k: u32, q: u32) -> vec4<f32> {
  let gm = params.gemm;
  if (FILTERS_VEC4) { return dy4[k * (gm.N / 4u) + q]; }
  var v = vec4<f32>(0.0);
  for (var j = 0u; j < 4u; j++) {
    let col = 4u * q + j;
    if (col < gm.N) { v[j] = dy_at(k * gm.N + col); }
  }
  return v;
}

fn load_a(row: u32, k: u32) -> f32 {
  let gm = params.gemm;
  if (row >= gm.M || k >= gm.K) { return 0.0; }
  return lane_value(a_quad(row / 4u), row % 4u, k_step(k));
}

fn load_b(k: u32, col: u32) -> f32 {
  let gm = params.gemm;
  if (k >= gm.K || col >= gm.N) { return 0.0; }
  return dy_at(k * gm.N + col);
}

fn store_c(row: u32, col: u32, value: f32) {
  let n = params.gemm.N;
  if (row < taps()) { dw[row * n + col] = value; } else { db[col] = value; }
}
