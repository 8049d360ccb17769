// The geometry of a 2-D convolution or pooling window over NHWC images,
// shared by the conv2d and pool kernels and laid out as ConvGeometry in
// kernels.ts. Output pixel (oh, ow) reads input pixels
//   (oh·stride_h − pad_top + kh, ow·stride_w − pad_left + kw),  kh < k_h, kw < k_w;
// those outside the image are padding.
struct ConvGeometry {
  batch: u32, in_h: u32, in_w: u32, in_c: u32,
  out_h: u32, out_w: u32, out_c: u32, _p0: u32,
  k_h: u32, k_w: u32, stride_h: u32, stride_w: u32,
  pad_top: u32, pad_left: u32, _p1: u32, _p2: u32,
}

fn inside(geo: ConvGeometry, ih: i32, iw: i32) -> bool {
  return ih >= 0 && iw >= 0 && ih < i32(geo.in_h) && iw < i32(geo.in_w);
}

// A kernel tap (kh, kw, channel) and the next one in row-major [k_h, k_w, channels] order.
struct Tap { kh: u32, kw: u32, c: u32 }

fn tap_of(index: u32, k_w: u32, channels: u32) -> Tap {
  let per_row = k_w * channels;
  let rest = index % per_row;
  return Tap(index / per_row, rest / channels, rest % channels);
}

fn next_tap(t: Tap, k_w: u32, channels: u32) -> Tap {
  var n = Tap(t.kh, t.kw, t.c + 1u);
  if (n.c == channels) { n.c = 0u; n.kw += 1u; }
  if (n.kw == k_w) { n.kw = 0u; n.kh += 1u; }
  return n;
}

// Four taps on, without dividing: one step when channels are a multiple of 4.
fn next_tap4(t: Tap, k_w: u32, channels: u32) -> Tap {
  if (channels % 4u == 0u) {
    var n = Tap(t.kh, t.kw, t.c + 4u);
    if (n.c == channels) { n.c = 0u; n.kw += 1u; }
    if (n.kw == k_w) { n.kw = 0u; n.kh += 1u; }
    return n;
  }
  return next_tap(next_tap(next_tap(next_tap(t, k_w, channels), k_w, channels), k_w, channels), k_w, channels);
}
