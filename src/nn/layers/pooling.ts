// 2-D pooling over NHWC images: each output pixel is the max (or the mean) of
// a window of input pixels, channel by channel. No parameters.
import { windowOutput } from '../../backend/shapes.js';
import type { Padding, PoolKind } from '../../backend/backend.js';
import type { Shape } from '../../tensor.js';
import { checkInputShape, pair, type BuiltLayer, type Layer } from '../layer.js';
import { checkPadding, imageShape } from './conv2d.js';

export interface Pooling2dConfig {
  /** The window: a size, or [height, width]. Default 2. */
  poolSize?: number | readonly [number, number];
  /** Default: the pool size (windows side by side). */
  strides?: number | readonly [number, number];
  /** Default 'valid'. */
  padding?: Padding;
  /** The shape of one image, `[height, width, channels]`; required on a model's first layer. */
  inputShape?: readonly number[];
  name?: string;
}

/** A max or average pooling layer over NHWC images. Made by {@link maxPooling2d} and {@link averagePooling2d}. */
export class Pooling2D implements Layer {
  readonly className: 'MaxPooling2D' | 'AveragePooling2D';
  readonly defaultNamePrefix: string;
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly inputShape: Shape | undefined;
  readonly name: string | undefined;

  constructor(
    readonly kind: PoolKind,
    config: Pooling2dConfig = {},
  ) {
    const fn = kind === 'max' ? 'maxPooling2d' : 'averagePooling2d';
    const where = `${fn}(${config?.name ? `'${config.name}'` : ''})`;
    this.className = kind === 'max' ? 'MaxPooling2D' : 'AveragePooling2D';
    this.defaultNamePrefix = kind === 'max' ? 'max_pooling2d' : 'average_pooling2d';
    this.poolSize = pair(where, 'poolSize', config.poolSize ?? 2);
    this.strides = pair(where, 'strides', config.strides ?? this.poolSize);
    this.padding = checkPadding(where, config.padding);
    this.inputShape = checkInputShape(where, config.inputShape, 3);
    this.name = config.name;
  }

  build(inputShape: Shape, name: string): BuiltLayer {
    const what = `${this.defaultNamePrefix} '${name}'`;
    const [h, w, c] = imageShape(what, inputShape);
    const { kind, poolSize, strides, padding } = this;
    const oh = windowOutput(h, poolSize[0], strides[0], padding).out;
    const ow = windowOutput(w, poolSize[1], strides[1], padding).out;
    if (oh < 1 || ow < 1) throw new Error(`${what}: a ${poolSize.join('×')} window does not fit in its ${h}×${w} input with padding 'valid'`);
    const options = { kind, poolSize, strides, padding };
    return {
      layer: this,
      name,
      inputShape,
      outputShape: [oh, ow, c],
      params: [],
      activation: 'linear',
      reshapeOnly: false,
      usesStep: false,
      forward({ backend: b, x, training }) {
        const { output, argmax } = b.pool2d(x, { ...options, keepArgmax: training });
        return { y: output, ...(argmax ? { saved: [argmax] } : {}) };
      },
      backward({ backend: b, x, dy, saved: [argmax], needInputGradient, derivativeOf }) {
        if (!needInputGradient) return undefined;
        return b.pool2dBackward(dy, { ...options, inputShape: x.shape, ...(argmax ? { argmax } : {}), derivativeOf });
      },
    };
  }

  getConfig(): Record<string, unknown> {
    return { pool_size: [...this.poolSize], padding: this.padding, strides: [...this.strides], data_format: 'channels_last' };
  }

  describe(): string {
    const s = this.strides[0] === this.poolSize[0] && this.strides[1] === this.poolSize[1] ? '' : ` stride ${this.strides.join('×')}`;
    return `${this.kind === 'max' ? 'maxpool' : 'avgpool'} ${this.poolSize.join('×')}${s}${this.padding === 'same' ? ' same' : ''}`;
  }
}

/**
 * Max pooling: the largest value of each `poolSize` window (default 2, stepping by `strides`, default the window), halving the image at the defaults.
 *
 * @example
 * ```ts
 * maxPooling2d({ poolSize: 2 }); // [28, 28, 32] → [14, 14, 32]
 * ```
 */
export function maxPooling2d(config: Pooling2dConfig = {}): Pooling2D {
  return new Pooling2D('max', config);
}

/** Average pooling: the mean of each window (padding not counted). */
export function averagePooling2d(config: Pooling2dConfig = {}): Pooling2D {
  return new Pooling2D('avg', config);
}
