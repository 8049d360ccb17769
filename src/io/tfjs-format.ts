// The TensorFlow.js layers format: model.json (a Keras Sequential topology and
// a weights manifest) plus raw little-endian float32 weights, in manifest
// order, in Keras's layouts (dense kernels [inputs, units], conv kernels
// [height, width, in channels, filters]). tf.loadLayersModel reads what we
// write, and we read Sequentials of the layer classes we have (LAYER_CLASSES)
// that TensorFlow.js or Keras wrote.
import { LOSSES } from '../backend/backend.js';
import type { Layer } from '../nn/layer.js';
import { LAYER_CLASSES } from '../nn/layers/index.js';

export const WEIGHTS_FILE = 'weights.bin';

/** What a saved model holds, independent of any backend. */
export interface ModelDescription {
  /** One sample's shape. */
  inputShape: number[];
  /** Each layer's class, name and Keras config (snake_case keys). */
  layers: { className: string; name: string; config: Record<string, unknown> }[];
  /** In Keras order: kernel, bias per layer. */
  weights: { name: string; shape: number[]; values: Float32Array }[];
  /** How the model was compiled, if it was (kept in userDefinedMetadata). */
  training?: { loss: string; optimizer: Record<string, unknown> };
  /** The model's user-defined metadata (model.json's userDefinedMetadata without our 'webgpuTrain' entry). */
  userDefinedMetadata?: Record<string, unknown>;
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
    class_name: l.className,
    config: {
      name: l.name,
      trainable: true,
      dtype: 'float32',
      ...(i === 0 ? { batch_input_shape: [null, ...d.inputShape] } : {}),
      ...l.config,
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
    ...(d.training || d.userDefinedMetadata ? { userDefinedMetadata: { ...d.userDefinedMetadata, ...(d.training ? { webgpuTrain: { training: d.training } } : {}) } } : {}),
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

/** One sample's shape from a Keras batch shape [null, ...], if it is one. */
function sampleShape(v: unknown): number[] | undefined {
  if (!Array.isArray(v) || v.length < 2) return undefined;
  const rest = v.slice(1);
  return rest.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0) ? (rest as number[]) : undefined;
}

/**
 * The layers of a description, made from their configs, each built once for
 * its input to learn its parameters' shapes. Throws ModelFormatError naming
 * the file and the layer.
 */
export function layersOf(d: Pick<ModelDescription, 'inputShape' | 'layers'>, where: string): { layers: Layer[]; weightShapes: number[][]; inputShapes: number[][] } {
  const layers: Layer[] = [];
  const weightShapes: number[][] = [];
  /** What each layer takes, one sample's shape. */
  const inputShapes: number[][] = [];
  let shape: readonly number[] = d.inputShape;
  d.layers.forEach((l, i) => {
    const make = LAYER_CLASSES[l.className];
    if (!make) {
      throw new ModelFormatError(`${where}: layer ${i + 1} ('${l.name}') is a ${l.className}; supported: ${Object.keys(LAYER_CLASSES).join(', ')}`);
    }
    try {
      const layer = make({ ...l.config, name: l.name }, `layer '${l.name}'`);
      const built = layer.build(shape, l.name, { seed: 0, index: i });
      inputShapes.push([...shape]);
      for (const p of built.params) weightShapes.push([...p.shape]);
      shape = built.outputShape;
      layers.push(layer);
    } catch (e) {
      if (e instanceof ModelFormatError) throw e;
      throw new ModelFormatError(`${where}: layer ${i + 1} ('${l.name}', ${l.className}): ${(e as Error).message}`);
    }
  });
  return { layers, weightShapes, inputShapes };
}

/** Where the weight shards come from: their sizes first (checked against what the layers need), then their bytes. */
export interface ShardReader {
  size(path: string): number;
  read(path: string): Uint8Array;
}

/**
 * Reads model.json text and the weight shards (in the manifest's path order)
 * back into a description. `where` names the file in errors. Given a
 * ShardReader, every check (weight count and shapes, the shards' total size,
 * the training metadata) runs before a shard is read.
 */
export function fromModelJson(text: string, shards: ((path: string) => Uint8Array) | ShardReader, where: string): ModelDescription {
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
    throw new ModelFormatError(`${where}: modelTopology is a ${String(topology.class_name)}; only a Sequential model can be loaded`);
  }
  const config = topology.config;
  const rawLayers = Array.isArray(config) ? config : isObject(config) && Array.isArray(config.layers) ? config.layers : undefined;
  if (!rawLayers || rawLayers.length === 0) throw new ModelFormatError(`${where}: the Sequential has no layers`);

  let inputShape: number[] | undefined;
  const layers: ModelDescription['layers'] = [];
  rawLayers.forEach((layer: unknown, i: number) => {
    if (!isObject(layer) || !isObject(layer.config) || typeof layer.class_name !== 'string') throw new ModelFormatError(`${where}: layer ${i + 1} is malformed`);
    const c = layer.config;
    const batchShape = sampleShape(c.batch_input_shape ?? c.batch_shape) ?? (Array.isArray(c.input_shape) ? sampleShape([null, ...c.input_shape]) : undefined);
    if (i === 0 && layer.class_name === 'InputLayer') {
      inputShape = batchShape;
      return;
    }
    if (layers.length === 0 && inputShape === undefined) {
      if (!batchShape) throw new ModelFormatError(`${where}: the first layer has no batch_input_shape [null, …]`);
      inputShape = batchShape;
    }
    const { batch_input_shape: _b, batch_shape: _s, input_shape: _i, name, trainable: _t, dtype: _d, ...rest } = c;
    layers.push({ className: layer.class_name, name: String(name ?? `${layer.class_name.toLowerCase()}_${layers.length + 1}`), config: rest });
  });
  if (inputShape === undefined) throw new ModelFormatError(`${where}: the input shape is not given`);
  const { weightShapes: expected } = layersOf({ inputShape, layers }, where);

  const meta = isObject(json.userDefinedMetadata) && isObject(json.userDefinedMetadata.webgpuTrain) ? json.userDefinedMetadata.webgpuTrain : undefined;
  const training = meta && isObject(meta.training) ? (meta.training as ModelDescription['training']) : undefined;
  if (training && !(LOSSES as readonly unknown[]).includes(training.loss)) {
    throw new ModelFormatError(`${where}: userDefinedMetadata.webgpuTrain.training.loss is ${JSON.stringify(training.loss) ?? 'missing'}, not a known loss (${LOSSES.join(', ')})`);
  }
  if (training && !isObject(training.optimizer)) throw new ModelFormatError(`${where}: userDefinedMetadata.webgpuTrain.training.optimizer is not an object`);

  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) throw new ModelFormatError(`${where}: no weightsManifest`);
  const specs: WeightSpec[] = [];
  const paths: string[] = [];
  for (const group of manifest) {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) throw new ModelFormatError(`${where}: malformed weightsManifest`);
    for (const p of group.paths) {
      if (typeof p !== 'string') throw new ModelFormatError(`${where}: weightsManifest path ${JSON.stringify(p)} is not a string`);
      paths.push(p);
    }
    for (const w of group.weights) {
      if (!isObject(w) || typeof w.name !== 'string' || !Array.isArray(w.shape)) throw new ModelFormatError(`${where}: malformed weight entry`);
      if ((w.dtype ?? 'float32') !== 'float32') throw new ModelFormatError(`${where}: weight '${w.name}' is ${String(w.dtype)}; only float32 is supported`);
      specs.push({ name: w.name, shape: w.shape as number[], dtype: 'float32' });
    }
  }
  const checkCount = () => {
    if (specs.length !== expected.length) {
      throw new ModelFormatError(`${where}: the manifest lists ${specs.length} weights, the layers need ${expected.length}`);
    }
  };
  const checkShapes = () =>
    specs.forEach((spec, i) => {
      const want = expected[i]!;
      if (spec.shape.length !== want.length || spec.shape.some((d, j) => d !== want[j])) {
        throw new ModelFormatError(`${where}: weight '${spec.name}' has shape [${spec.shape.join(', ')}], the layer needs [${want.join(', ')}]`);
      }
    });
  const need = expected.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0) * 4;
  const checkSize = (bytes: number) => {
    if (bytes !== need) {
      throw new ModelFormatError(`${where}: the weights files hold ${bytes} bytes, the model needs ${need} (${need / 4} float32 values)`);
    }
  };
  let bytes: Uint8Array;
  if (typeof shards === 'function') {
    bytes = concat(paths.map((p) => shards(p)));
    checkCount();
    checkSize(bytes.length);
    checkShapes();
  } else {
    checkCount();
    checkShapes();
    checkSize(paths.reduce((n, p) => n + shards.size(p), 0));
    bytes = concat(paths.map((p) => shards.read(p)));
    // A shard that changed between the look and the read.
    checkSize(bytes.length);
  }
  const all = new Float32Array(bytes.slice().buffer);
  let offset = 0;
  const weights = specs.map((spec, i) => {
    const want = expected[i]!;
    const size = want.reduce((a, b) => a * b, 1);
    const values = all.slice(offset, offset + size);
    offset += size;
    return { name: spec.name, shape: want, values };
  });
  const { webgpuTrain: _ours, ...user } = isObject(json.userDefinedMetadata) ? json.userDefinedMetadata : {};
  return { inputShape, layers, weights, ...(training ? { training } : {}), ...(Object.keys(user).length > 0 ? { userDefinedMetadata: user } : {}) };
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
