// The layer contract. A Layer is what dense(), conv2d(), … return: a checked
// configuration, reusable in several models. Building it for an input shape
// gives a BuiltLayer: its output shape, the parameters it declares (the model
// keeps them in its parameter store), and its forward and backward passes
// written with backend ops, which fit records into a training plan.
//
// Two fusions cross layer boundaries, and the contract keeps both:
//  - forward: a layer applies its own activation (dense and conv2d fold it,
//    with the bias, into their kernel's epilogue);
//  - backward: `dy` is the gradient with respect to the layer's output
//    *before* its activation (dZ), and a layer asked for its input gradient
//    returns the *layer below's* dZ, multiplying by that layer's activation
//    derivative (`derivativeOf`) in its own last kernel: dZ = (dY·Wᵀ) ⊙ f′(Y).
import type { Backend, BatchRows, DerivativeOf, LossName, LossOptions } from '../backend/backend.js';
import type { Shape, Tensor } from '../tensor.js';
import type { InitializerName } from './initializers.js';
import type { LayerActivation } from './activations.js';
import type { Regularizer } from './regularizers.js';

/** A parameter a layer declares; the model allocates it in its parameter store. */
export interface ParamSpec {
  /** Keras's weight name inside the layer: 'kernel', 'bias'. */
  name: string;
  shape: Shape;
  initializer: InitializerName;
  /** Inputs and outputs per unit, for scaled initializers (Glorot, He). */
  fanIn: number;
  fanOut: number;
  /** A penalty on the parameter's size, added to the loss. */
  regularizer?: Regularizer;
}

export interface ForwardArgs {
  backend: Backend;
  /** [batch, ...inputShape]; with `rows`, the whole resident data set [samples, features]. */
  x: Tensor;
  /**
   * Given only to a first layer that declares readsBatchRows: its batch is
   * these rows of x, read in place (no gathered copy, no dispatch).
   */
  rows?: BatchRows;
  /** The layer's parameters, in declared order (views into the model's store). */
  params: readonly Tensor[];
  /** Inside fit: dropout drops. Outside, dropout passes its input through. */
  training: boolean;
  /** Leave the activation out (the last layer, when the loss applies its sigmoid or softmax itself). */
  logits: boolean;
  /** The training step counter, a [1] tensor on the backend (training only). */
  step: Tensor | undefined;
}

export interface ForwardResult {
  /** [batch, ...outputShape]. */
  y: Tensor;
  /** What the backward pass needs beyond x and y (max pooling's argmax). */
  saved?: Tensor[];
}

export interface BackwardArgs {
  backend: Backend;
  /** The forward pass's input (with `rows`, the whole data set, as in ForwardArgs) and output. */
  x: Tensor;
  y: Tensor;
  rows?: BatchRows;
  /** dLoss/dZ: the gradient with respect to the output before the activation. */
  dy: Tensor;
  params: readonly Tensor[];
  /** Where the parameter gradients go: views into the model's gradient store, in declared order. */
  grads: readonly Tensor[];
  saved: readonly Tensor[];
  step: Tensor | undefined;
  /** False for the lowest layers, whose input gradient nothing needs. */
  needInputGradient: boolean;
  /** The layer below's activation and output (= this layer's x): fold f′ into the input gradient. */
  derivativeOf: DerivativeOf | undefined;
}

export interface BuiltLayer {
  readonly layer: Layer;
  readonly name: string;
  /** One sample's shape in and out (no batch dimension). */
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  readonly params: readonly ParamSpec[];
  /** The activation applied to the output; 'linear' for layers without one. */
  readonly activation: LayerActivation;
  /** The output is the input reshaped (flatten): an activation below carries through it. */
  readonly reshapeOnly: boolean;
  /** Reads the training step counter (dropout's mask). */
  readonly usesStep: boolean;
  /**
   * As the first layer, takes its batch as rows of the resident data set
   * (ForwardArgs.rows) and reads them in place: the step then needs no
   * gather dispatch. Layers without it get a gathered batch.
   */
  readonly readsBatchRows?: boolean;
  /** Records the layer's output for a batch (with its activation applied) and whatever its backward pass needs saved. */
  forward(a: ForwardArgs): ForwardResult;
  /** Writes the parameter gradients; returns the layer below's dZ when asked for it. */
  backward(a: BackwardArgs): Tensor | undefined;
  /**
   * As the output layer whose pre-activation the loss takes: its forward
   * product and the loss in one op (Backend.headLoss), giving the
   * pre-activation and the loss's gradient with respect to it. Layers
   * without it run forward, then the loss.
   */
  forwardScored?(a: ForwardArgs, score: { loss: LossName; target: Tensor; options: LossOptions }): { y: Tensor; grad: Tensor };
}

export interface Layer {
  /** The Keras / TensorFlow.js class, as model files name it: 'Dense', 'Conv2D', … */
  readonly className: string;
  /** The name given in the config; by default the model names it (dense_1, conv2d_1, …). */
  readonly name: string | undefined;
  /** One sample's shape: required on a model's first layer. */
  readonly inputShape: Shape | undefined;
  /** The name prefix Keras uses for this class: dense, conv2d, max_pooling2d, … */
  readonly defaultNamePrefix: string;
  /**
   * For an input of `inputShape` (one sample): the output shape, parameters
   * and passes. Throws an Error naming the layer and the shapes when the
   * input does not suit it.
   */
  build(inputShape: Shape, name: string, context: { seed: number; index: number }): BuiltLayer;
  /** The configuration as Keras and TensorFlow.js write it (snake_case keys), without name and input shape. */
  getConfig(): Record<string, unknown>;
  /** One line for headers and summaries, e.g. "conv2d 32 3×3 relu". */
  describe(): string;
}

/** Positive integers [height, width] from a number or a pair. */
export function pair(where: string, what: string, v: unknown): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`${where}: ${what} must be a positive integer or two of them [height, width], got ${JSON.stringify(v)}`);
  }
  return [p[0] as number, p[1] as number];
}

export const isPositiveInteger = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0;

/** Checks an inputShape given in a layer's config. */
export function checkInputShape(where: string, s: unknown, rank?: number): Shape | undefined {
  if (s === undefined) return undefined;
  if (!Array.isArray(s) || s.length === 0 || !s.every(isPositiveInteger) || (rank !== undefined && s.length !== rank)) {
    const want = rank === 3 ? '[height, width, channels]' : rank === 1 ? '[inputs]' : 'positive integers';
    throw new Error(`${where}: inputShape must be ${want} with positive integers, got ${JSON.stringify(s)}`);
  }
  return [...s];
}

export function formatSample(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}
