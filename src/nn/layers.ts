// Layers. A dense (fully connected) layer computes y = activation(x·W + b)
// for a batch x of shape [batch, inputs]: W is its kernel [inputs, units] and
// b its bias [units], both learned by gradient descent.
import { ACTIVATIONS, type ActivationName } from '../backend/backend.js';
import { checkInitializer, type InitializerName } from './initializers.js';

export type LayerActivation = ActivationName | 'softmax';
export const LAYER_ACTIVATIONS: readonly LayerActivation[] = [...ACTIVATIONS, 'softmax'];

export interface DenseConfig {
  units: number;
  /** Default 'linear'. */
  activation?: LayerActivation;
  /** [inputs]: required on the first layer of a model. */
  inputShape?: readonly number[];
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform'. */
  kernelInitializer?: InitializerName;
  /** Default 'zeros'. */
  biasInitializer?: InitializerName;
  /** Default dense_1, dense_2, … by position in the model. */
  name?: string;
}

export interface Dense {
  readonly kind: 'dense';
  readonly units: number;
  readonly activation: LayerActivation;
  readonly inputShape: readonly number[] | undefined;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  readonly name: string | undefined;
}

const isPositiveInteger = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0;

/** A dense layer; checked here, so a bad layer fails where it is written. */
export function dense(config: DenseConfig): Dense {
  const where = `dense(${config?.name ? `'${config.name}'` : `units: ${String(config?.units)}`})`;
  if (!config || !isPositiveInteger(config.units)) {
    throw new Error(`${where}: units must be a positive integer, got ${String(config?.units)}`);
  }
  const activation = config.activation ?? 'linear';
  if (!(LAYER_ACTIVATIONS as readonly string[]).includes(activation)) {
    throw new Error(`${where}: unknown activation '${activation}'; valid: ${LAYER_ACTIVATIONS.join(', ')}`);
  }
  if (config.inputShape !== undefined) {
    const s = config.inputShape;
    if (!Array.isArray(s) || s.length !== 1 || !isPositiveInteger(s[0])) {
      throw new Error(`${where}: inputShape must be [inputs] with a positive integer, got ${JSON.stringify(s)}`);
    }
  }
  const kernelInitializer = config.kernelInitializer ?? 'glorotUniform';
  const biasInitializer = config.biasInitializer ?? 'zeros';
  checkInitializer(`${where} kernelInitializer`, kernelInitializer);
  checkInitializer(`${where} biasInitializer`, biasInitializer);
  return {
    kind: 'dense',
    units: config.units,
    activation,
    inputShape: config.inputShape ? [...config.inputShape] : undefined,
    useBias: config.useBias ?? true,
    kernelInitializer,
    biasInitializer,
    name: config.name,
  };
}
