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
// Channels a multiple of 4: every load and store moves four channels at once.
override CHANNELS_VEC4: bool = false;

struct Params { geo: ConvGeometry, count: u32, stride: u32, _p0: u32, _p1: u32 }  // count: pixels

// Every tensor as vec4s; with CHANNELS_VEC4 off, one lane of them at a time.
@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;               // forward: [batch, in_h, in_w, c]
@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;         // forward: [batch, out_h, out_w, c]
@group(0) @binding(2) var<storage, read_write> argmax: array<vec4<f32>>;    // forward, MAX: [batch, out_h, out_w, c]
@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<storage, read> dy: array<vec4<f32>>;              // backward: [batch, out_h, out_w, c]
@group(0) @binding(5) var<storage, read> argmax_in: array<vec4<f32>>;       // backward, MAX
@group(0) @binding(6) var<storage, read_write> dx: array<vec4<f32>>;        // backward: [batch, in_h, in_w, c]
@group(0) @binding(7) var<storage, read> below: array<vec4<f32>>;           // backward, DERIVATIVE: the pool's input

// Four channels from element i (a multiple of 4 with CHANNELS_VEC4), or one in lane 0.
fn one(v: vec4<f32>, i: u32) -> vec4<f32> {
  if (CHANNELS_VEC4) { return v; }
  return vec4<f32>(v[i % 4u], 0.0, 0.0, 0.0);
}
fn load_x(i: u32) -> vec4<f32> { return one(x[i / 4u], i); }
fn load_dy(i: u32) -> vec4<f32> { return one(dy[i / 4u], i); }
fn load_argmax(i: u32) -> vec4<f32> { return one(argmax_in[i / 4u], i); }
fn load_below(i: u32) -> vec4<f32> { return one(below[i / 4u], i); }

fn store_y(i: u32, v: vec4<f32>) { if (CHANNELS_VEC4) { y[i / 4u] = v; } else { y[i / 4u][i % 4u] = v.x; } }
fn store_argmax(i: u32, v: vec4<f32>) { if (CHANNELS_VEC4) { argmax[i / 4u] = v; } else { argmax[i / 4u][i % 4u] = v.x; } }
fn store_dx(i: u32, v: vec4<f32>) { if (CHANNELS_VEC4) { dx[i / 4u] = v; } else { dx[i / 4u][i % 4u] = v.x; } }

// The taps of a window inside the image: kh in [x, y), kw in [z, w).
fn taps_range(ih0: i32, iw0: i32) -> vec4<u32> {
  let g = params.geo;
  return vec4<u32>(
    u32(max(-ih0, 0)), u32(clamp(i32(g.in_h) - ih0, 0, i32(g.k_h))),
    u32(max(-iw0, 0)), u32(clamp(i32(g.in_w) - iw0, 0, i32(g.k_w))),
  );
}

// One invocation per output pixel, every channel (four at a time where they
// come in fours): the pixel's position is worked out once (integer division
// is slow on software adapters), not per value.
@compute @workgroup_size(WG)
fn pool_forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let g = params.geo;
  let channels = g.in_c;
  let lanes = select(1u, 4u, CHANNELS_VEC4);
  for (var pixel = gid.x; pixel < params.count; pixel += params.stride) {
    let ow = pixel % g.out_w;
    let oh = (pixel / g.out_w) % g.out_h;
    let n = pixel / (g.out_w * g.out_h);
    let ih0 = i32(oh * g.stride_h) - i32(g.pad_top);
    let iw0 = i32(ow * g.stride_w) - i32(g.pad_left);
    let r = taps_range(ih0, iw0);
    let taken = f32(max((r.y - r.x) * (r.w - r.z), 1u));
    let image = n * g.in_h;
    for (var c = 0u; c < channels; c += lanes) {
      var best = vec4<f32>(0.0);
      var best_tap = vec4<f32>(0.0);
      var found = false;
      var sum = vec4<f32>(0.0);
      for (var kh = r.x; kh < r.y; kh++) {
        let row = (image + u32(ih0 + i32(kh))) * g.in_w;
        for (var kw = r.z; kw < r.w; kw++) {
          let v = load_x((row + u32(iw0 + i32(kw))) * channels + c);
          // Strictly greater: the first max wins ties.
          let better = (v > best) | vec4<bool>(!found);
          best = select(best, v, better);
          best_tap = select(best_tap, vec4<f32>(f32(kh * g.k_w + kw)), better);
          found = true;
          sum += v;
        }
      }
      let o = pixel * channels + c;
      if (MAX) {
        store_y(o, best);
        store_argmax(o, best_tap);
      } else {
        store_y(o, sum / taken);
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
  let lanes = select(1u, 4u, CHANNELS_VEC4);
  for (var pixel = gid.x; pixel < params.count; pixel += params.stride) {
    let iw = pixel % g.in_w;
    let ih = (pixel / g.in_w) % g.in_h;
    let n = pixel / (g.in_w * g.in_h);
    let th = ih + g.pad_top;
    let tw = iw + g.pad_left;
    let rows = covering(th, g.k_h, g.stride_h, g.out_h);
    let cols = covering(tw, g.k_w, g.stride_w, g.out_w);
    for (var c = 0u; c < channels; c += lanes) {
      var sum = vec4<f32>(0.0);
      for (var oh = rows.x; oh < rows.y; oh++) {
        for (var ow = cols.x; ow < cols.y; ow++) {
          let o = ((n * g.out_h + oh) * g.out_w + ow) * channels + c;
          if (MAX) {
            let tap = f32((th - oh * g.stride_h) * g.k_w + (tw - ow * g.stride_w));
            sum += select(vec4<f32>(0.0), load_dy(o), load_argmax(o) == vec4<f32>(tap));
          } else {
            sum += load_dy(o) / taps_inside(oh, ow);
          }
        }
      }
      let i = pixel * channels + c;
      if (DERIVATIVE != 0u) {
        let b = load_below(i);
        sum *= vec4<f32>(derivative_from_output(DERIVATIVE, b.x), derivative_from_output(DERIVATIVE, b.y), derivative_from_output(DERIVATIVE, b.z), derivative_from_output(DERIVATIVE, b.w));
      }
      store_dx(i, sum);
    }
  }
}
