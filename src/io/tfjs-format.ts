// The TensorFlow.js layers format: model.json (a Keras Sequential topology and
// a weights manifest) plus raw little-endian float32 weights, in manifest
// order, kernels shaped [inputs, units]. tf.loadLayersModel reads what we
// write, and we read Dense-only Sequentials that TensorFlow.js wrote.
import type { LayerActivation } from '../nn/layers.js';
import { LAYER_ACTIVATIONS } from '../nn/layers.js';

export const WEIGHTS_FILE = 'weights.bin';

/** What a saved model holds, independent of any backend. */
export interface ModelDescription {
  inputSize: number;
  layers: { name: string; units: number; activation: LayerActivation; useBias: boolean }[];
  /** In Keras order: kernel, bias per layer. */
  weights: { name: string; shape: number[]; values: Float32Array }[];
  /** How the model was compiled, if it was (kept in userDefinedMetadata). */
  training?: { loss: string; optimizer: Record<string, unknown> };
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
}

export interface ModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: {
    class_name: 'Sequential';
    config: { name: string; layers: unknown[] };
    keras_version: string;
    backend: string;
  };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  userDefinedMetadata?: Record<string, unknown>;
}

export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}

export function toModelJson(d: ModelDescription, generatedBy: string): ModelJson {
  const layers = d.layers.map((l, i) => ({
    class_name: 'Dense',
    config: {
      name: l.name,
      trainable: true,
      dtype: 'float32',
      ...(i === 0 ? { batch_input_shape: [null, d.inputSize] } : {}),
      units: l.units,
      activation: l.activation,
      use_bias: l.useBias,
      kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
      bias_initializer: { class_name: 'Zeros', config: {} },
      kernel_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    },
  }));
  return {
    format: 'layers-model',
    generatedBy,
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential',
      config: { name: 'sequential', layers },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: d.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }],
    ...(d.training ? { userDefinedMetadata: { webgpuTrain: { training: d.training } } } : {}),
  };
}

/** All weights, concatenated little-endian float32, in manifest order. */
export function weightsBytes(d: ModelDescription): Uint8Array {
  const total = d.weights.reduce((n, w) => n + w.values.length, 0);
  const out = new Float32Array(total);
  let offset = 0;
  for (const w of d.weights) {
    out.set(w.values, offset);
    offset += w.values.length;
  }
  // Float32Array is platform-endian; every platform Node and browsers run on is little-endian.
  return new Uint8Array(out.buffer);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads model.json text and the weight shards (in the manifest's path order)
 * back into a description. `where` names the file in errors.
 */
export function fromModelJson(text: string, readShard: (path: string) => Uint8Array, where: string): ModelDescription {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(json) || !isObject(json.modelTopology)) throw new ModelFormatError(`${where}: no modelTopology: not a TensorFlow.js layers model`);
  // tf.Model.save nests the Keras model under model_config in some versions.
  const topology = isObject(json.modelTopology.model_config) ? json.modelTopology.model_config : json.modelTopology;
  if (topology.class_name !== 'Sequential') {
    throw new ModelFormatError(`${where}: modelTopology is a ${String(topology.class_name)}, only a Sequential of Dense layers can be loaded`);
  }
  const config = topology.config;
  const rawLayers = Array.isArray(config) ? config : isObject(config) && Array.isArray(config.layers) ? config.layers : undefined;
  if (!rawLayers || rawLayers.length === 0) throw new ModelFormatError(`${where}: the Sequential has no layers`);

  let inputSize: number | undefined;
  const layers: ModelDescription['layers'] = [];
  rawLayers.forEach((layer: unknown, i: number) => {
    if (!isObject(layer) || !isObject(layer.config)) throw new ModelFormatError(`${where}: layer ${i + 1} is malformed`);
    const c = layer.config;
    if (i === 0 && layer.class_name === 'InputLayer') {
      const shape = (c.batch_input_shape ?? c.batch_shape) as unknown;
      if (Array.isArray(shape) && typeof shape[1] === 'number') inputSize = shape[1];
      return;
    }
    if (layer.class_name !== 'Dense') {
      throw new ModelFormatError(`${where}: layer ${i + 1} is a ${String(layer.class_name)}; only Dense layers are supported`);
    }
    const shape = (c.batch_input_shape ?? c.batch_shape ?? (Array.isArray(c.input_shape) ? [null, ...c.input_shape] : undefined)) as unknown;
    if (layers.length === 0 && inputSize === undefined) {
      if (!Array.isArray(shape) || shape.length !== 2 || typeof shape[1] !== 'number') {
        throw new ModelFormatError(`${where}: the first Dense layer has no [null, inputs] batch_input_shape`);
      }
      inputSize = shape[1];
    }
    const activation = (c.activation ?? 'linear') as string;
    if (!(LAYER_ACTIVATIONS as readonly string[]).includes(activation)) {
      throw new ModelFormatError(`${where}: layer '${String(c.name)}' has activation '${activation}'; supported: ${LAYER_ACTIVATIONS.join(', ')}`);
    }
    if (typeof c.units !== 'number' || !Number.isInteger(c.units) || c.units < 1) {
      throw new ModelFormatError(`${where}: layer '${String(c.name)}' has no valid units`);
    }
    layers.push({ name: String(c.name ?? `dense_${layers.length + 1}`), units: c.units, activation: activation as LayerActivation, useBias: c.use_bias !== false });
  });
  if (inputSize === undefined) throw new ModelFormatError(`${where}: the input size is not given`);

  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) throw new ModelFormatError(`${where}: no weightsManifest`);
  const specs: WeightSpec[] = [];
  const shards: Uint8Array[] = [];
  for (const group of manifest) {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) throw new ModelFormatError(`${where}: malformed weightsManifest`);
    for (const p of group.paths) shards.push(readShard(String(p)));
    for (const w of group.weights) {
      if (!isObject(w) || typeof w.name !== 'string' || !Array.isArray(w.shape)) throw new ModelFormatError(`${where}: malformed weight entry`);
      if ((w.dtype ?? 'float32') !== 'float32') throw new ModelFormatError(`${where}: weight '${w.name}' is ${String(w.dtype)}; only float32 is supported`);
      specs.push({ name: w.name, shape: w.shape as number[], dtype: 'float32' });
    }
  }
  const bytes = concat(shards);
  const expected: number[][] = [];
  let fanIn = inputSize;
  for (const l of layers) {
    expected.push([fanIn, l.units]);
    if (l.useBias) expected.push([l.units]);
    fanIn = l.units;
  }
  if (specs.length !== expected.length) {
    throw new ModelFormatError(`${where}: the manifest lists ${specs.length} weights, the layers need ${expected.length}`);
  }
  const need = expected.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0) * 4;
  if (bytes.length !== need) {
    throw new ModelFormatError(`${where}: the weights files hold ${bytes.length} bytes, the model needs ${need} (${need / 4} float32 values)`);
  }
  const all = new Float32Array(bytes.slice().buffer);
  let offset = 0;
  const weights = specs.map((spec, i) => {
    const want = expected[i]!;
    if (spec.shape.length !== want.length || spec.shape.some((d, j) => d !== want[j])) {
      throw new ModelFormatError(`${where}: weight '${spec.name}' has shape [${spec.shape.join(', ')}], the layer needs [${want.join(', ')}]`);
    }
    const size = want.reduce((a, b) => a * b, 1);
    const values = all.slice(offset, offset + size);
    offset += size;
    return { name: spec.name, shape: want, values };
  });
  const meta = isObject(json.userDefinedMetadata) && isObject(json.userDefinedMetadata.webgpuTrain) ? json.userDefinedMetadata.webgpuTrain : undefined;
  const training = meta && isObject(meta.training) ? (meta.training as ModelDescription['training']) : undefined;
  return { inputSize, layers, weights, ...(training ? { training } : {}) };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
