// A 2-D convolution layer over NHWC images: every output pixel is
// activation(bias + Σ kernel · the window of input pixels under it). The
// kernel is [kernelHeight, kernelWidth, inChannels, filters], TensorFlow.js's
// and Keras's layout, so weights move between the libraries unchanged.
import { windowOutput } from '../../backend/shapes.js';
import type { Padding } from '../../backend/backend.js';
import type { Shape } from '../../tensor.js';
import { checkInitializer, type InitializerName } from '../initializers.js';
import { checkLayerActivation, type LayerActivation } from '../activations.js';
import { checkInputShape, formatSample, isPositiveInteger, pair, type BuiltLayer, type Layer, type ParamSpec } from '../layer.js';
import { initializerConfig } from './dense.js';
import { checkRegularizer, regularizerConfig, type Regularizer } from '../regularizers.js';

export interface Conv2dConfig {
  filters: number;
  /** The window: a size, or [height, width]. */
  kernelSize: number | readonly [number, number];
  /** Default 1. */
  strides?: number | readonly [number, number];
  /** Default 'valid'. */
  padding?: Padding;
  /** Default 'linear'. */
  activation?: LayerActivation;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform'. */
  kernelInitializer?: InitializerName;
  /** Default 'zeros'. */
  biasInitializer?: InitializerName;
  /** A penalty on the kernel, e.g. l2(0.01). */
  kernelRegularizer?: Regularizer;
  /** A penalty on the bias. */
  biasRegularizer?: Regularizer;
  /** The shape of one image, `[height, width, channels]`; required on the first layer of a model. */
  inputShape?: readonly number[];
  name?: string;
}

export function checkPadding(where: string, p: unknown): Padding {
  const padding = p ?? 'valid';
  if (padding !== 'valid' && padding !== 'same') throw new Error(`${where}: padding must be 'valid' or 'same', got ${JSON.stringify(p)}`);
  return padding;
}

/** One sample's [height, width, channels], or an error naming the layer. */
export function imageShape(what: string, inputShape: Shape): [number, number, number] {
  if (inputShape.length !== 3) {
    throw new Error(
      `${what} takes images [height, width, channels] per sample, but gets ${formatSample(inputShape)}` +
        (inputShape.length === 1 ? ': give the first layer an image inputShape, e.g. [28, 28, 1]' : ''),
    );
  }
  return inputShape as [number, number, number];
}

/** A 2-D convolution layer over NHWC images, its kernel `[kh, kw, in, filters]` as TensorFlow.js and Keras lay it out. Made by {@link conv2d}. */
export class Conv2D implements Layer {
  readonly className = 'Conv2D';
  readonly defaultNamePrefix = 'conv2d';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly activation: LayerActivation;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  readonly kernelRegularizer: Regularizer | undefined;
  readonly biasRegularizer: Regularizer | undefined;
  readonly inputShape: Shape | undefined;
  readonly name: string | undefined;

  constructor(config: Conv2dConfig) {
    const where = `conv2d(${config?.name ? `'${config.name}'` : `filters: ${String(config?.filters)}`})`;
    if (!config || !isPositiveInteger(config.filters)) throw new Error(`${where}: filters must be a positive integer, got ${String(config?.filters)}`);
    this.filters = config.filters;
    this.kernelSize = pair(where, 'kernelSize', config.kernelSize);
    this.strides = pair(where, 'strides', config.strides ?? 1);
    this.padding = checkPadding(where, config.padding);
    this.activation = checkLayerActivation(where, config.activation);
    if (this.activation === 'softmax') throw new Error(`${where}: softmax is only supported on a dense output layer`);
    this.useBias = config.useBias ?? true;
    this.kernelInitializer = config.kernelInitializer ?? 'glorotUniform';
    this.biasInitializer = config.biasInitializer ?? 'zeros';
    checkInitializer(`${where} kernelInitializer`, this.kernelInitializer);
    checkInitializer(`${where} biasInitializer`, this.biasInitializer);
    this.kernelRegularizer = checkRegularizer(`${where} kernelRegularizer`, config.kernelRegularizer);
    this.biasRegularizer = checkRegularizer(`${where} biasRegularizer`, config.biasRegularizer);
    this.inputShape = checkInputShape(where, config.inputShape, 3);
    this.name = config.name;
  }

  build(inputShape: Shape, name: string): BuiltLayer {
    const [h, w, c] = imageShape(`conv2d '${name}'`, inputShape);
    const [kh, kw] = this.kernelSize;
    const { filters, strides, padding, activation, useBias } = this;
    const oh = windowOutput(h, kh, strides[0], padding).out;
    const ow = windowOutput(w, kw, strides[1], padding).out;
    if (oh < 1 || ow < 1) {
      throw new Error(`conv2d '${name}': a ${kh}×${kw} kernel does not fit in its ${h}×${w} input with padding 'valid' (use padding 'same' or a smaller kernel)`);
    }
    const params: ParamSpec[] = [
      { name: 'kernel', shape: [kh, kw, c, filters], initializer: this.kernelInitializer, fanIn: kh * kw * c, fanOut: kh * kw * filters, ...(this.kernelRegularizer ? { regularizer: this.kernelRegularizer } : {}) },
    ];
    if (useBias) params.push({ name: 'bias', shape: [filters], initializer: this.biasInitializer, fanIn: filters, fanOut: filters, ...(this.biasRegularizer ? { regularizer: this.biasRegularizer } : {}) });
    const window = { strides, padding };
    return {
      layer: this,
      name,
      inputShape,
      outputShape: [oh, ow, filters],
      params,
      activation,
      reshapeOnly: false,
      usesStep: false,
      forward({ backend: b, x, params: [kernel, bias], logits }) {
        return { y: b.conv2d(x, kernel!, { ...window, bias, activation: logits || activation === 'softmax' ? 'linear' : activation }) };
      },
      backward({ backend: b, x, dy, params: [kernel], grads: [dKernel, dBias], needInputGradient, derivativeOf }) {
        // The kernel's and the bias's gradients in one pass.
        b.conv2dBackwardFilter(x, dy, { ...window, kernelSize: [kh, kw], bias: useBias, out: { kernel: dKernel!, ...(dBias ? { bias: dBias } : {}) } });
        if (!needInputGradient) return undefined;
        return b.conv2dBackwardData(dy, kernel!, { ...window, inputShape: x.shape, derivativeOf });
      },
    };
  }

  getConfig(): Record<string, unknown> {
    return {
      filters: this.filters,
      kernel_size: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      activation: this.activation,
      use_bias: this.useBias,
      kernel_initializer: initializerConfig(this.kernelInitializer),
      bias_initializer: initializerConfig(this.biasInitializer),
      kernel_regularizer: regularizerConfig(this.kernelRegularizer),
      bias_regularizer: regularizerConfig(this.biasRegularizer),
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    };
  }

  describe(): string {
    const s = this.strides[0] === 1 && this.strides[1] === 1 ? '' : ` stride ${this.strides.join('×')}`;
    return `conv ${this.filters} ${this.kernelSize.join('×')}${s}${this.padding === 'same' ? ' same' : ''} ${this.activation}`;
  }
}

/**
 * A 2-D convolution layer over NHWC images `[samples, height, width, channels]`: `filters` learned `kernelSize`×`kernelSize` windows slid over the image (`strides`, `padding: 'valid' | 'same'`), then `activation`.
 *
 * @example
 * ```ts
 * const cnn = sequential([
 *   conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
 *   maxPooling2d({ poolSize: 2 }),
 *   flatten(),
 *   dense({ units: 10, activation: 'softmax' }),
 * ]);
 * ```
 */
export function conv2d(config: Conv2dConfig): Conv2D {
  return new Conv2D(config);
}
