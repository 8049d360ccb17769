// 2-D max and average pooling over NHWC images, forward and backward, one
// invocation per pixel and all its channels (grid-stride). Windows follow lib/conv.wgsl; padding
// never wins a max and is not counted in an average (TensorFlow's 'same').
//
// Max pooling records, per output, which tap of its window held the max
// (kh·k_w + kw, the first one on ties) in `argmax`; the backward pass gathers,
// for every input element, dy of the windows whose max it was. Gathering
// instead of scattering needs no atomics, and overlapping windows (stride
// below the pool size) add up correctly.
//
// Backward fusion, as in matmul.wgsl: with DERIVATIVE set, dx is multiplied
// by that activation's derivative at the pool's input (the layer below's
// output), giving that layer's dZ directly.

override MAX: bool = true;
override DERIVATIVE: u32 = 0u;
override WG: u32 = 64u;

struct Params { geo: ConvGeometry, count: u32, stride: u32, _p0: u32, _p1: u32 }  // count: pixels

@group(0) @binding(0) var<storage, read> x: array<f32>;               // forward: [batch, in_h, in_w, c]
@group(0) @binding(1) var<storage, read_write> y: array<f32>;         // forward: [batch, out_h, out_w, c]
@group(0) @binding(2) var<storage, read_write> argmax: array<f32>;    // forward, MAX: [batch, out_h, out_w, c]
@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<storage, read> dy: array<f32>;              // backward: [batch, out_h, out_w, c]
@group(0) @binding(5) var<storage, read> argmax_in: array<f32>;       // backward, MAX
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;        // backward: [batch, in_h, in_w, c]
@group(0) @binding(7) var<storage, read> below: array<f32>;           // backward, DERIVATIVE: the pool's input

// The taps of a window inside the image: kh in [x, y), kw in [z, w).
fn taps_range(ih0: i32, iw0: i32) -> vec4<u32> {
  let g = params.geo;
  return vec4<u32>(
    u32(max(-ih0, 0)), u32(clamp(i32(g.in_h) - ih0, 0, i32(g.k_h))),
    u32(max(-iw0, 0)), u32(clamp(i32(g.in_w) - iw0, 0, i32(g.k_w))),
  );
}

// One invocation per output pixel, every channel: the pixel's position is
// worked out once (integer division is slow on software adapters), not per value.
@compute @workgroup_size(WG)
fn pool_forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let g = params.geo;
  let channels = g.in_c;
  for (var pixel = gid.x; pixel < params.count; pixel += params.stride) {
    let ow = pixel % g.out_w;
    let oh = (pixel / g.out_w) % g.out_h;
    let n = pixel / (g.out_w * g.out_h);
    let ih0 = i32(oh * g.stride_h) - i32(g.pad_top);
    let iw0 = i32(ow * g.stride_w) - i32(g.pad_left);
    let r = taps_range(ih0, iw0);
    let taken = f32(max((r.y - r.x) * (r.w - r.z), 1u));
    let image = n * g.in_h;
    for (var c = 0u; c < channels; c++) {
      var best = 0.0;
      var best_tap = 0u;
      var found = false;
      var sum = 0.0;
      for (var kh = r.x; kh < r.y; kh++) {
        let row = (image + u32(ih0 + i32(kh))) * g.in_w;
        for (var kw = r.z; kw < r.w; kw++) {
          let v = x[(row + u32(iw0 + i32(kw))) * channels + c];
          if (!found || v > best) {
            best = v;
            best_tap = kh * g.k_w + kw;
            found = true;
          }
          sum += v;
        }
      }
      let o = pixel * channels + c;
      if (MAX) {
        y[o] = best;
        argmax[o] = f32(best_tap);
      } else {
        y[o] = sum / taken;
      }
    }
  }
}

// Taps of an output window that lie inside the image (the average's divisor).
fn taps_inside(oh: u32, ow: u32) -> f32 {
  let g = params.geo;
  let r = taps_range(i32(oh * g.stride_h) - i32(g.pad_top), i32(ow * g.stride_w) - i32(g.pad_left));
  return f32(max((r.y - r.x) * (r.w - r.z), 1u));
}

// The output rows (or columns) whose windows cover input row t − pad: oh·s ≤ t ≤ oh·s + k − 1.
fn covering(t: u32, k: u32, s: u32, outs: u32) -> vec2<u32> {
  let first = select(0u, (t - k + 1u + s - 1u) / s, t + 1u > k);
  return vec2<u32>(first, min(t / s + 1u, outs));
}

// One invocation per input pixel, every channel: the windows covering it are found once.
@compute @workgroup_size(WG)
fn pool_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let g = params.geo;
  let channels = g.in_c;
  for (var pixel = gid.x; pixel < params.count; pixel += params.stride) {
    let iw = pixel % g.in_w;
    let ih = (pixel / g.in_w) % g.in_h;
    let n = pixel / (g.in_w * g.in_h);
    let th = ih + g.pad_top;
    let tw = iw + g.pad_left;
    let rows = covering(th, g.k_h, g.stride_h, g.out_h);
    let cols = covering(tw, g.k_w, g.stride_w, g.out_w);
    for (var c = 0u; c < channels; c++) {
      var sum = 0.0;
      for (var oh = rows.x; oh < rows.y; oh++) {
        for (var ow = cols.x; ow < cols.y; ow++) {
          let o = ((n * g.out_h + oh) * g.out_w + ow) * channels + c;
          if (MAX) {
            let tap = (th - oh * g.stride_h) * g.k_w + (tw - ow * g.stride_w);
            if (u32(argmax_in[o]) == tap) { sum += dy[o]; }
          } else {
            sum += dy[o] / taps_inside(oh, ow);
          }
        }
      }
      let i = pixel * channels + c;
      if (DERIVATIVE != 0u) { sum *= derivative_from_output(DERIVATIVE, below[i]); }
      dx[i] = sum;
    }
  }
}
