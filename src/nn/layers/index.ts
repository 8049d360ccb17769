// Every layer class, by the name Keras and TensorFlow.js model files give it:
// how to build one from such a file's config (snake_case keys).
import type { Padding } from '../../backend/backend.js';
import type { Layer } from '../layer.js';
import type { LayerActivation } from '../activations.js';
import { dense, initializerFromConfig } from './dense.js';
import { conv2d } from './conv2d.js';
import { averagePooling2d, maxPooling2d } from './pooling.js';
import { flatten } from './flatten.js';
import { dropout } from './dropout.js';
import { regularizerFromConfig } from '../regularizers.js';

export { Dense, dense, type DenseConfig } from './dense.js';
export { Conv2D, conv2d, type Conv2dConfig } from './conv2d.js';
export { Pooling2D, maxPooling2d, averagePooling2d, type Pooling2dConfig } from './pooling.js';
export { Flatten, flatten, type FlattenConfig } from './flatten.js';
export { Dropout, dropout, type DropoutConfig } from './dropout.js';

type Config = Record<string, unknown>;

/** A layer's kernel and bias regularizers, as the file gives them; an activity regularizer is refused. */
function regularizers(c: Config, where: string) {
  if (c.activity_regularizer !== undefined && c.activity_regularizer !== null) throw new Error(`${where}: an activity_regularizer is not supported`);
  const kernel = regularizerFromConfig(`${where} kernel_regularizer`, c.kernel_regularizer);
  const bias = regularizerFromConfig(`${where} bias_regularizer`, c.bias_regularizer);
  return { ...(kernel ? { kernelRegularizer: kernel } : {}), ...(bias ? { biasRegularizer: bias } : {}) };
}

/** Settings our layers do not have: refused with the layer named, rather than dropped. */
function refuseUnsupported(where: string, c: Config): void {
  if (c.data_format !== undefined && c.data_format !== null && c.data_format !== 'channels_last') {
    throw new Error(`${where}: data_format '${String(c.data_format)}' is not supported (only channels_last, NHWC)`);
  }
  const dilation = c.dilation_rate;
  if (dilation !== undefined && dilation !== null && !(Array.isArray(dilation) ? dilation.every((d) => d === 1) : dilation === 1)) {
    throw new Error(`${where}: dilation_rate ${JSON.stringify(dilation)} is not supported`);
  }
  if (c.noise_shape !== undefined && c.noise_shape !== null) throw new Error(`${where}: a noise_shape is not supported`);
}

/** The name, and the input shape where the config gives a batch shape [null, …] (a model's first layer). */
const common = (c: Config) => {
  const batch = c.batch_input_shape;
  const inputShape = Array.isArray(batch) && batch.length > 1 ? (batch.slice(1) as number[]) : undefined;
  return { ...(typeof c.name === 'string' ? { name: c.name } : {}), ...(inputShape ? { inputShape } : {}) };
};
const padding = (c: Config) => (c.padding === undefined ? undefined : (String(c.padding).toLowerCase() as Padding));
const size = (v: unknown) => v as number | [number, number];

/** Builds a layer from a model file's class name and config; throws naming what is not supported. */
export const LAYER_CLASSES: Record<string, (c: Config, where: string) => Layer> = {
  Dense: (c, where) =>
    dense({
      ...common(c),
      units: c.units as number,
      activation: (c.activation ?? 'linear') as LayerActivation,
      useBias: c.use_bias !== false,
      kernelInitializer: initializerFromConfig(c.kernel_initializer, 'glorotUniform'),
      biasInitializer: initializerFromConfig(c.bias_initializer, 'zeros'),
      ...regularizers(c, where),
    }),
  Conv2D: (c, where) => {
    refuseUnsupported(where, c);
    return conv2d({
      ...common(c),
      filters: c.filters as number,
      kernelSize: size(c.kernel_size),
      strides: size(c.strides ?? 1),
      ...(padding(c) ? { padding: padding(c) } : {}),
      activation: (c.activation ?? 'linear') as LayerActivation,
      useBias: c.use_bias !== false,
      kernelInitializer: initializerFromConfig(c.kernel_initializer, 'glorotUniform'),
      biasInitializer: initializerFromConfig(c.bias_initializer, 'zeros'),
      ...regularizers(c, where),
    });
  },
  MaxPooling2D: (c, where) => {
    refuseUnsupported(where, c);
    return maxPooling2d({ ...common(c), poolSize: size(c.pool_size ?? 2), ...(c.strides ? { strides: size(c.strides) } : {}), ...(padding(c) ? { padding: padding(c) } : {}) });
  },
  AveragePooling2D: (c, where) => {
    refuseUnsupported(where, c);
    return averagePooling2d({ ...common(c), poolSize: size(c.pool_size ?? 2), ...(c.strides ? { strides: size(c.strides) } : {}), ...(padding(c) ? { padding: padding(c) } : {}) });
  },
  Flatten: (c, where) => {
    refuseUnsupported(where, c);
    return flatten(common(c));
  },
  Dropout: (c, where) => {
    refuseUnsupported(where, c);
    return dropout({ ...common(c), rate: c.rate as number });
  },
};
