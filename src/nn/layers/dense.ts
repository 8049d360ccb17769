// A dense (fully connected) layer: y = activation(x·W + b) for a batch x of
// shape [batch, inputs], W its kernel [inputs, units] and b its bias [units],
// both learned by gradient descent.
import type { Shape } from '../../tensor.js';
import { checkInitializer, type InitializerName } from '../initializers.js';
import { checkLayerActivation, type LayerActivation } from '../activations.js';
import { checkInputShape, formatSample, isPositiveInteger, type BuiltLayer, type Layer, type ParamSpec } from '../layer.js';
import { checkRegularizer, regularizerConfig, type Regularizer } from '../regularizers.js';

export interface DenseConfig {
  units: number;
  /** Default 'linear'. */
  activation?: LayerActivation;
  /** The shape of one sample, `[inputs]`; required on the first layer of a model. */
  inputShape?: readonly number[];
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
  /** Default dense_1, dense_2, … by position in the model. */
  name?: string;
}

/** A dense (fully connected) layer, y = activation(x·W + b): TensorFlow.js's `tf.layers.dense`. Made by {@link dense}. */
export class Dense implements Layer {
  readonly className = 'Dense';
  readonly defaultNamePrefix = 'dense';
  readonly units: number;
  readonly activation: LayerActivation;
  readonly inputShape: Shape | undefined;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  readonly kernelRegularizer: Regularizer | undefined;
  readonly biasRegularizer: Regularizer | undefined;
  readonly name: string | undefined;

  constructor(config: DenseConfig) {
    const where = `dense(${config?.name ? `'${config.name}'` : `units: ${String(config?.units)}`})`;
    if (!config || !isPositiveInteger(config.units)) {
      throw new Error(`${where}: units must be a positive integer, got ${String(config?.units)}`);
    }
    this.units = config.units;
    this.activation = checkLayerActivation(where, config.activation);
    this.inputShape = checkInputShape(where, config.inputShape, 1);
    this.useBias = config.useBias ?? true;
    this.kernelInitializer = config.kernelInitializer ?? 'glorotUniform';
    this.biasInitializer = config.biasInitializer ?? 'zeros';
    checkInitializer(`${where} kernelInitializer`, this.kernelInitializer);
    checkInitializer(`${where} biasInitializer`, this.biasInitializer);
    this.kernelRegularizer = checkRegularizer(`${where} kernelRegularizer`, config.kernelRegularizer);
    this.biasRegularizer = checkRegularizer(`${where} biasRegularizer`, config.biasRegularizer);
    this.name = config.name;
  }

  build(inputShape: Shape, name: string): BuiltLayer {
    if (inputShape.length !== 1) {
      throw new Error(
        `dense '${name}' takes one vector of features per sample, but gets ${formatSample(inputShape)}: put flatten() before it`,
      );
    }
    const inputs = inputShape[0]!;
    const { units, activation, useBias } = this;
    const params: ParamSpec[] = [{ name: 'kernel', shape: [inputs, units], initializer: this.kernelInitializer, fanIn: inputs, fanOut: units, ...(this.kernelRegularizer ? { regularizer: this.kernelRegularizer } : {}) }];
    if (useBias) params.push({ name: 'bias', shape: [units], initializer: this.biasInitializer, fanIn: units, fanOut: units, ...(this.biasRegularizer ? { regularizer: this.biasRegularizer } : {}) });
    return {
      layer: this,
      name,
      inputShape,
      outputShape: [units],
      params,
      activation,
      reshapeOnly: false,
      usesStep: false,
      // Both products that read the input (y = x·W and dW = xᵀ·dZ) take its rows in place.
      readsBatchRows: true,
      forward({ backend: b, x, rows, params: [kernel, bias], logits }) {
        const batch = rows ? { rowsOfA: rows } : {};
        if (logits || activation === 'softmax') {
          const z = b.matmul(x, kernel!, { bias, ...batch });
          if (logits) return { y: z };
          const y = b.softmax(z);
          z.dispose();
          return { y };
        }
        return { y: b.matmul(x, kernel!, { bias, activation, ...batch }) };
      },
      forwardScored({ backend: b, x, params: [kernel, bias] }, { loss, target, options }) {
        const { prediction, grad } = b.headLoss(loss, x, kernel!, bias, target, options);
        return { y: prediction, grad };
      },
      backward({ backend: b, x, rows, dy, params: [kernel], grads: [dKernel, dBias], needInputGradient, derivativeOf }) {
        // dW = xᵀ·dZ, and in the same pass db = Σ over the batch of dZ.
        b.matmul(x, dy, { transposeA: true, out: dKernel, ...(dBias ? { columnSumsInto: dBias } : {}), ...(rows ? { rowsOfA: rows } : {}) });
        if (!needInputGradient) return undefined;
        return b.matmul(dy, kernel!, { transposeB: true, derivativeOf }); // dX = dZ·Wᵀ (⊙ f′ below)
      },
    };
  }

  getConfig(): Record<string, unknown> {
    return {
      units: this.units,
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
    return `${this.units} ${this.activation}`;
  }
}

const INITIALIZER_CLASSES: Record<InitializerName, string> = {
  glorotUniform: 'GlorotUniform',
  heNormal: 'HeNormal',
  zeros: 'Zeros',
  ones: 'Ones',
};

/** An initializer as Keras writes it in a model file. */
export function initializerConfig(name: InitializerName): { class_name: string; config: Record<string, unknown> } {
  const className = INITIALIZER_CLASSES[name];
  return { class_name: className, config: name === 'zeros' || name === 'ones' ? {} : { seed: null } };
}

/** Our name for an initializer a model file names, or the default when it is one we do not draw from (its weights are loaded anyway). */
export function initializerFromConfig(v: unknown, fallback: InitializerName): InitializerName {
  const className = typeof v === 'object' && v !== null ? (v as { class_name?: unknown }).class_name : v;
  const found = (Object.entries(INITIALIZER_CLASSES) as [InitializerName, string][]).find(([, c]) => c === className);
  return found ? found[0] : fallback;
}

/**
 * A dense (fully connected) layer: `units` outputs, each a weighted sum of every input plus a bias, through `activation`. The config is checked here, so a bad layer fails where it is written.
 *
 * @example
 * ```ts
 * const model = sequential([
 *   dense({ units: 16, activation: 'relu', inputShape: [10] }),
 *   dense({ units: 1, activation: 'sigmoid' }),
 * ]);
 * ```
 */
export function dense(config: DenseConfig): Dense {
  return new Dense(config);
}
