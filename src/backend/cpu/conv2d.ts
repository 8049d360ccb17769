// 2-D convolution over NHWC images, as three plain loops: the forward pass and
// the two gradients (shaders/conv2d-forward.wgsl, -backward-data.wgsl,
// -backward-filter.wgsl compute the same as implicit GEMMs). Sums in float64.
import type { ActivationName } from '../backend.js';
import type { WindowGeometry } from '../shapes.js';
import { activate, derivativeFromOutput } from './activation.js';

/**
 * y[n, oh, ow, f] = activation(bias[f] + Σ_{kh, kw, c} x[n, ih, iw, c] · kernel[kh, kw, c, f]),
 * ih = oh·stride_h − pad_top + kh (and likewise iw); padding reads 0.
 */
export function conv2dForward(
  x: Float32Array,
  kernel: Float32Array,
  g: WindowGeometry,
  bias?: Float32Array,
  activation: ActivationName = 'linear',
): Float32Array {
  const out = new Float32Array(g.batch * g.outH * g.outW * g.outC);
  const acc = new Float64Array(g.outC);
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        acc.fill(0);
        for (let kh = 0; kh < g.kH; kh++) {
          const ih = oh * g.strideH - g.padTop + kh;
          if (ih < 0 || ih >= g.inH) continue;
          for (let kw = 0; kw < g.kW; kw++) {
            const iw = ow * g.strideW - g.padLeft + kw;
            if (iw < 0 || iw >= g.inW) continue;
            const xAt = ((n * g.inH + ih) * g.inW + iw) * g.inC;
            for (let c = 0; c < g.inC; c++) {
              const v = x[xAt + c]!;
              const kAt = ((kh * g.kW + kw) * g.inC + c) * g.outC;
              for (let f = 0; f < g.outC; f++) acc[f]! += v * kernel[kAt + f]!;
            }
          }
        }
        const yAt = ((n * g.outH + oh) * g.outW + ow) * g.outC;
        for (let f = 0; f < g.outC; f++) out[yAt + f] = activate(acc[f]! + (bias ? bias[f]! : 0), activation);
      }
    }
  }
  return out;
}

/**
 * dx[n, ih, iw, c] = Σ over the output pixels and taps that read x[n, ih, iw, c]
 * of dy[n, oh, ow, f] · kernel[kh, kw, c, f] (times f'(below) when fused).
 */
export function conv2dBackwardData(
  dy: Float32Array,
  kernel: Float32Array,
  g: WindowGeometry,
  derivativeOf?: { activation: ActivationName; output: Float32Array },
): Float32Array {
  const dx = new Float64Array(g.batch * g.inH * g.inW * g.inC);
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        const dyAt = ((n * g.outH + oh) * g.outW + ow) * g.outC;
        for (let kh = 0; kh < g.kH; kh++) {
          const ih = oh * g.strideH - g.padTop + kh;
          if (ih < 0 || ih >= g.inH) continue;
          for (let kw = 0; kw < g.kW; kw++) {
            const iw = ow * g.strideW - g.padLeft + kw;
            if (iw < 0 || iw >= g.inW) continue;
            const xAt = ((n * g.inH + ih) * g.inW + iw) * g.inC;
            for (let c = 0; c < g.inC; c++) {
              const kAt = ((kh * g.kW + kw) * g.inC + c) * g.outC;
              let s = 0;
              for (let f = 0; f < g.outC; f++) s += dy[dyAt + f]! * kernel[kAt + f]!;
              dx[xAt + c]! += s;
            }
          }
        }
      }
    }
  }
  const d = derivativeOf;
  return Float32Array.from(dx, (v, i) => (d ? v * derivativeFromOutput(d.output[i]!, d.activation) : v));
}

/**
 * dKernel[kh, kw, c, f] = Σ_{n, oh, ow} x[n, ih, iw, c] · dy[n, oh, ow, f], and
 * dBias[f] = Σ_{n, oh, ow} dy[n, oh, ow, f].
 */
export function conv2dBackwardFilter(
  x: Float32Array,
  dy: Float32Array,
  g: WindowGeometry,
  withBias: boolean,
): { kernel: Float32Array; bias?: Float32Array } {
  const dk = new Float64Array(g.kH * g.kW * g.inC * g.outC);
  const db = new Float64Array(g.outC);
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        const dyAt = ((n * g.outH + oh) * g.outW + ow) * g.outC;
        for (let f = 0; f < g.outC; f++) db[f]! += dy[dyAt + f]!;
        for (let kh = 0; kh < g.kH; kh++) {
          const ih = oh * g.strideH - g.padTop + kh;
          if (ih < 0 || ih >= g.inH) continue;
          for (let kw = 0; kw < g.kW; kw++) {
            const iw = ow * g.strideW - g.padLeft + kw;
            if (iw < 0 || iw >= g.inW) continue;
            const xAt = ((n * g.inH + ih) * g.inW + iw) * g.inC;
            for (let c = 0; c < g.inC; c++) {
              const v = x[xAt + c]!;
              const kAt = ((kh * g.kW + kw) * g.inC + c) * g.outC;
              for (let f = 0; f < g.outC; f++) dk[kAt + f]! += v * dy[dyAt + f]!;
            }
          }
        }
      }
    }
  }
  return { kernel: Float32Array.from(dk), ...(withBias ? { bias: Float32Array.from(db) } : {}) };
}
