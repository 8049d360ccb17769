// 2-D max and average pooling over NHWC images, forward and backward
// (shaders/pool.wgsl). Padding never wins a max and is not counted in an
// average, as in TensorFlow.
import type { ActivationName, PoolKind } from '../backend.js';
import type { WindowGeometry } from '../shapes.js';
import { derivativeFromOutput } from './activation.js';

/** The pooled images, and for max pooling which tap (kh·kW + kw, the first on ties) held each max. */
export function pool2dForward(x: Float32Array, g: WindowGeometry, kind: PoolKind): { output: Float32Array; argmax: Float32Array } {
  const size = g.batch * g.outH * g.outW * g.inC;
  const output = new Float32Array(size);
  const argmax = new Float32Array(size);
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        for (let c = 0; c < g.inC; c++) {
          let best = 0;
          let bestTap = 0;
          let found = false;
          let sum = 0;
          let taken = 0;
          for (let kh = 0; kh < g.kH; kh++) {
            const ih = oh * g.strideH - g.padTop + kh;
            if (ih < 0 || ih >= g.inH) continue;
            for (let kw = 0; kw < g.kW; kw++) {
              const iw = ow * g.strideW - g.padLeft + kw;
              if (iw < 0 || iw >= g.inW) continue;
              const v = x[((n * g.inH + ih) * g.inW + iw) * g.inC + c]!;
              if (!found || v > best) {
                best = v;
                bestTap = kh * g.kW + kw;
                found = true;
              }
              sum += v;
              taken++;
            }
          }
          const at = ((n * g.outH + oh) * g.outW + ow) * g.inC + c;
          output[at] = kind === 'max' ? best : sum / Math.max(taken, 1);
          argmax[at] = bestTap;
        }
      }
    }
  }
  return { output, argmax };
}

/** Taps of a window that lie inside the image: the average's divisor. */
function tapsInside(g: WindowGeometry, oh: number, ow: number): number {
  const ih0 = oh * g.strideH - g.padTop;
  const iw0 = ow * g.strideW - g.padLeft;
  const rows = Math.min(ih0 + g.kH, g.inH) - Math.max(ih0, 0);
  const cols = Math.min(iw0 + g.kW, g.inW) - Math.max(iw0, 0);
  return Math.max(rows, 1) * Math.max(cols, 1);
}

/**
 * dx: each output's dy goes to the input its max came from (max), or is
 * shared evenly by the window's taps inside the image (average).
 */
export function pool2dBackward(
  dy: Float32Array,
  g: WindowGeometry,
  kind: PoolKind,
  argmax: Float32Array | undefined,
  derivativeOf?: { activation: ActivationName; output: Float32Array },
): Float32Array {
  const dx = new Float64Array(g.batch * g.inH * g.inW * g.inC);
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        const count = tapsInside(g, oh, ow);
        for (let c = 0; c < g.inC; c++) {
          const at = ((n * g.outH + oh) * g.outW + ow) * g.inC + c;
          for (let kh = 0; kh < g.kH; kh++) {
            const ih = oh * g.strideH - g.padTop + kh;
            if (ih < 0 || ih >= g.inH) continue;
            for (let kw = 0; kw < g.kW; kw++) {
              const iw = ow * g.strideW - g.padLeft + kw;
              if (iw < 0 || iw >= g.inW) continue;
              const xAt = ((n * g.inH + ih) * g.inW + iw) * g.inC + c;
              if (kind === 'avg') dx[xAt]! += dy[at]! / count;
              else if (argmax![at] === kh * g.kW + kw) dx[xAt]! += dy[at]!;
            }
          }
        }
      }
    }
  }
  const d = derivativeOf;
  return Float32Array.from(dx, (v, i) => (d ? v * derivativeFromOutput(d.output[i]!, d.activation) : v));
}
