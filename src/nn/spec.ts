// One way to build a model from a description, used by the command line, the
// demo and the benchmark: hidden layers as plain data (or as text, the
// --layers form), and the output layer chosen from the task and the loss, so
// that every entry point agrees on what a loss needs.
import type { LossName, Padding } from '../backend/backend.js';
import type { Layer } from './layer.js';
import { LAYER_ACTIVATIONS, type LayerActivation } from './activations.js';
import { dense } from './layers/dense.js';
import { conv2d } from './layers/conv2d.js';
import { averagePooling2d, maxPooling2d } from './layers/pooling.js';
import { flatten } from './layers/flatten.js';
import { dropout } from './layers/dropout.js';
import type { Regularizer } from './regularizers.js';
import { sequential, type Sequential, type SequentialOptions } from './sequential.js';

export type LayerSpec =
  | { type: 'dense'; units: number; activation?: LayerActivation }
  | { type: 'conv2d'; filters: number; kernelSize: number; strides?: number; padding?: Padding; activation?: LayerActivation }
  | { type: 'maxPooling2d' | 'averagePooling2d'; poolSize: number; strides?: number; padding?: Padding }
  | { type: 'flatten' }
  | { type: 'dropout'; rate: number };

/** What the labels ask of a model: two classes, several, or a number to predict. */
export interface Task {
  kind: 'binary' | 'multiclass' | 'regression';
  /** 2 for binary, the class count for multiclass, 1 for regression. */
  classes: number;
}

export interface ModelSpec {
  /** One sample's shape: [features], or [height, width, channels] for images. */
  inputShape: readonly number[];
  /** The hidden layers; the output layer comes from the task and the loss. */
  hidden: readonly LayerSpec[];
  /** Activation of hidden dense and conv layers that name none. Default 'relu'. */
  activation?: LayerActivation;
  task: Task;
  loss: LossName;
  /**
   * A penalty on every dense and conv kernel, the output layer's included (l1, l2, l1l2).
   * Biases are left free, as Keras's examples do: they shift a unit rather than grow it.
   */
  kernelRegularizer?: Regularizer;
}

/** The output layer a loss needs for a task: its units and activation. */
export function outputLayerFor(task: Task, loss: LossName): { units: number; activation: LayerActivation } {
  switch (loss) {
    case 'binaryCrossentropy':
      return { units: 1, activation: 'sigmoid' };
    case 'categoricalCrossentropy':
    case 'sparseCategoricalCrossentropy':
      return { units: task.classes, activation: 'softmax' };
    case 'meanSquaredError':
      // Squared error against one-hot rows for several classes, against 0/1 for two, against the value for regression.
      if (task.kind === 'regression') return { units: 1, activation: 'linear' };
      if (task.kind === 'binary') return { units: 1, activation: 'sigmoid' };
      return { units: task.classes, activation: 'softmax' };
  }
}

/** The targets fit wants for this loss: one-hot rows, integer labels, or the values themselves. */
export function targetsFor(task: Task, loss: LossName, labels: ArrayLike<number>): { values: Float32Array; cols: number } {
  const out = outputLayerFor(task, loss);
  if (loss === 'sparseCategoricalCrossentropy' || out.units === 1) return { values: Float32Array.from(labels), cols: 1 };
  const values = new Float32Array(labels.length * out.units);
  for (let i = 0; i < labels.length; i++) values[i * out.units + labels[i]!] = 1;
  return { values, cols: out.units };
}

function layerOf(s: LayerSpec, activation: LayerActivation, inputShape: readonly number[] | undefined, kernelRegularizer: Regularizer | undefined): Layer {
  const input = inputShape ? { inputShape } : {};
  const penalty = kernelRegularizer ? { kernelRegularizer } : {};
  switch (s.type) {
    case 'dense':
      return dense({ units: s.units, activation: s.activation ?? activation, ...penalty, ...input });
    case 'conv2d':
      return conv2d({ filters: s.filters, kernelSize: s.kernelSize, strides: s.strides ?? 1, padding: s.padding ?? 'valid', activation: s.activation ?? activation, ...penalty, ...input });
    case 'maxPooling2d':
    case 'averagePooling2d': {
      const make = s.type === 'maxPooling2d' ? maxPooling2d : averagePooling2d;
      return make({ poolSize: s.poolSize, strides: s.strides ?? s.poolSize, padding: s.padding ?? 'valid', ...input });
    }
    case 'flatten':
      return flatten(input);
    case 'dropout':
      return dropout({ rate: s.rate, ...input });
  }
}

const IMAGE_LAYERS = new Set<LayerSpec['type']>(['conv2d', 'maxPooling2d', 'averagePooling2d']);

/**
 * Every layer a description builds, in order, each activation spelled out:
 * the hidden layers, a flatten() before a dense layer that follows image
 * layers (so "conv32x3,maxpool2,128" means what it says), and the output layer
 * the task and loss need. Other engines (the benchmark's TensorFlow.js model)
 * build from this list to get the same model.
 */
export function modelLayerSpecs(spec: ModelSpec): LayerSpec[] {
  const activation = spec.activation ?? 'relu';
  const specs: LayerSpec[] = [];
  let images = spec.inputShape.length === 3;
  for (const s of spec.hidden) {
    if (s.type === 'dense' && images) specs.push({ type: 'flatten' });
    if (s.type === 'flatten' || s.type === 'dense') images = false;
    if (IMAGE_LAYERS.has(s.type)) images = true;
    specs.push(s.type === 'dense' || s.type === 'conv2d' ? { ...s, activation: s.activation ?? activation } : s);
  }
  const out = outputLayerFor(spec.task, spec.loss);
  if (images) specs.push({ type: 'flatten' });
  specs.push({ type: 'dense', units: out.units, activation: out.activation });
  return specs;
}

/** The model a description asks for (see modelLayerSpecs). */
export function buildModel(spec: ModelSpec, options: SequentialOptions = {}): Sequential {
  const activation = spec.activation ?? 'relu';
  return sequential(
    modelLayerSpecs(spec).map((s, i) => layerOf(s, activation, i === 0 ? spec.inputShape : undefined, spec.kernelRegularizer)),
    options,
  );
}

const LAYER_SYNTAX = 'N (dense), convFxK[sS][same], maxpoolN[sS][same], avgpoolN[sS][same], flatten, dropoutR; each with an optional :activation';

/**
 * Hidden layers from text: "128,64", or "conv32x3,maxpool2,conv64x3,maxpool2,flatten,dropout0.5".
 * Throws naming the item that is not a layer.
 */
export function parseLayers(text: string): LayerSpec[] {
  const items = text.split(',').map((p) => p.trim());
  if (items.length === 1 && (items[0] === '' || items[0] === '0')) return [];
  return items.map((item) => {
    const [body = '', act] = item.split(':');
    let activation: LayerActivation | undefined;
    if (act !== undefined) {
      if (!(LAYER_ACTIVATIONS as readonly string[]).includes(act)) throw new Error(`'${item}': unknown activation '${act}'; valid: ${LAYER_ACTIVATIONS.join(', ')}`);
      activation = act as LayerActivation;
    }
    const withActivation = activation ? { activation } : {};
    let m: RegExpMatchArray | null;
    if ((m = body.match(/^(?:dense)?(\d+)$/))) return { type: 'dense', units: positive(item, m[1]!), ...withActivation };
    if ((m = body.match(/^conv(\d+)x(\d+)(?:s(\d+))?(same|valid)?$/))) {
      return {
        type: 'conv2d',
        filters: positive(item, m[1]!),
        kernelSize: positive(item, m[2]!),
        ...(m[3] ? { strides: positive(item, m[3]) } : {}),
        ...(m[4] ? { padding: m[4] as Padding } : {}),
        ...withActivation,
      };
    }
    if ((m = body.match(/^(max|avg)pool(\d+)(?:s(\d+))?(same|valid)?$/))) {
      if (activation) throw new Error(`'${item}': pooling has no activation`);
      return {
        type: m[1] === 'max' ? 'maxPooling2d' : 'averagePooling2d',
        poolSize: positive(item, m[2]!),
        ...(m[3] ? { strides: positive(item, m[3]) } : {}),
        ...(m[4] ? { padding: m[4] as Padding } : {}),
      };
    }
    if (body === 'flatten' && !activation) return { type: 'flatten' };
    if ((m = body.match(/^dropout(\d*\.?\d+)$/)) && !activation) {
      const rate = Number(m[1]);
      if (!(rate >= 0 && rate < 1)) throw new Error(`'${item}': a dropout rate is in [0, 1)`);
      return { type: 'dropout', rate };
    }
    throw new Error(`'${item}' is not a layer; write ${LAYER_SYNTAX}`);
  });
}

function positive(item: string, digits: string): number {
  const n = Number(digits);
  if (!Number.isInteger(n) || n < 1) throw new Error(`'${item}': ${digits} is not a positive whole number`);
  return n;
}

/** The text form of layers (parseLayers reads it back). */
export function formatLayers(specs: readonly LayerSpec[]): string {
  return specs
    .map((s) => {
      const act = 'activation' in s && s.activation ? `:${s.activation}` : '';
      switch (s.type) {
        case 'dense':
          return `${s.units}${act}`;
        case 'conv2d':
          return `conv${s.filters}x${s.kernelSize}${s.strides && s.strides !== 1 ? `s${s.strides}` : ''}${s.padding === 'same' ? 'same' : ''}${act}`;
        case 'maxPooling2d':
        case 'averagePooling2d':
          return `${s.type === 'maxPooling2d' ? 'max' : 'avg'}pool${s.poolSize}${s.strides && s.strides !== s.poolSize ? `s${s.strides}` : ''}${s.padding === 'same' ? 'same' : ''}`;
        case 'flatten':
          return 'flatten';
        case 'dropout':
          return `dropout${s.rate}`;
      }
    })
    .join(',');
}

/** Whether the layers need images (conv or pooling) rather than vectors. */
export const usesImages = (specs: readonly LayerSpec[]): boolean => specs.some((s) => IMAGE_LAYERS.has(s.type));
