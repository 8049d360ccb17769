// A model as TensorFlow.js's ModelArtifacts (topology, weight specs, one
// weight buffer) and back: the in-memory form every storage — a directory,
// IndexedDB, localStorage, a download, a URL, picked files — reads and writes.
import type { Backend } from '../backend/backend.js';
import type { ModelArtifacts, SaveResult } from '../nn/saving.js';
import type { Sequential } from '../nn/sequential.js';
import { describeModel, modelFromDescription } from './model-io.js';
import { safetensorsOf, type SafetensorsLayout } from './safetensors.js';
import { fromModelJson, toModelJson, weightsBytes, type ModelDescription, type ModelJson } from './tfjs-format.js';

export const GENERATED_BY = 'webgpu-train 0.1.0';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The model's artifacts: its weights read back once. */
export async function toArtifacts(model: Sequential): Promise<ModelArtifacts> {
  const d = await describeModel(model);
  const json = toModelJson(d, GENERATED_BY);
  const bytes = weightsBytes(d);
  return {
    modelTopology: json.modelTopology as unknown as Record<string, unknown>,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata } : {}),
  };
}

/** model.json for these artifacts, its one weights file named `weightsPath`. */
export function modelJsonOf(a: ModelArtifacts, weightsPath: string): ModelJson {
  return {
    format: 'layers-model',
    generatedBy: a.generatedBy,
    convertedBy: null,
    modelTopology: a.modelTopology as unknown as ModelJson['modelTopology'],
    weightsManifest: [{ paths: [weightsPath], weights: a.weightSpecs }],
    ...(a.userDefinedMetadata ? { userDefinedMetadata: a.userDefinedMetadata } : {}),
  };
}

/** What TensorFlow.js reports about a save: sizes of the JSON parts and the weights. */
export function saveResult(a: ModelArtifacts, location: string): SaveResult {
  const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;
  return {
    location,
    modelArtifactsInfo: {
      dateSaved: new Date(),
      modelTopologyType: 'JSON',
      modelTopologyBytes: bytes(a.modelTopology),
      weightSpecsBytes: bytes(a.weightSpecs),
      weightDataBytes: a.weightData.byteLength,
    },
  };
}

/** Whether a value has the shape of ModelArtifacts (so loadModel can take one directly). */
export function isModelArtifacts(v: unknown): v is ModelArtifacts {
  return isObject(v) && isObject(v.modelTopology) && Array.isArray(v.weightSpecs) && v.weightData instanceof ArrayBuffer;
}

/** The description the artifacts hold, checked layer by layer and weight by weight; `where` names the source in errors. */
export function describeArtifacts(a: ModelArtifacts, where: string): ModelDescription {
  const text = JSON.stringify(modelJsonOf(a, 'weights'));
  return fromModelJson(text, () => new Uint8Array(a.weightData), where);
}

/**
 * model.json text and its weight files, fetched by the caller: the paths the
 * manifest names (in order), so an asynchronous source can fetch each before
 * the synchronous parser runs. Throws one line naming `where` when it is not JSON.
 */
export function manifestPaths(text: string, where: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`load: ${where}: not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(json) || !Array.isArray(json.weightsManifest)) throw new Error(`load: ${where}: no weightsManifest: not a TensorFlow.js layers model`);
  return json.weightsManifest.flatMap((g) => (isObject(g) && Array.isArray(g.paths) ? g.paths.map(String) : []));
}

/** A live model from a description, compiled as it was saved when the file says how. */
export function modelFrom(d: ModelDescription, backend: Backend, where: string): Sequential {
  const model = modelFromDescription(d, backend);
  if (d.training) {
    try {
      model.compile({ loss: d.training.loss as never, optimizer: d.training.optimizer as never });
    } catch (e) {
      model.dispose();
      throw new Error(`load: ${where}: the saved training configuration cannot be used: ${(e as Error).message}`);
    }
  }
  return model;
}

/**
 * The model's weights as a safetensors file's bytes: by default in PyTorch's
 * layout, the state_dict of the equivalent torch.nn.Sequential (names
 * '0.weight', …; Linear [out, in], Conv2d [out, in, kh, kw]; its metadata's
 * torch_modules lists the modules), or with 'keras' Keras's names and layouts.
 *
 * @example
 * const bytes = await toSafetensors(model);               // torch: model.load_state_dict(load_file(path))
 * const keras = await toSafetensors(model, 'keras');      // dense_1.kernel [in, out], …
 */
export async function toSafetensors(model: Sequential, layout: SafetensorsLayout = 'pytorch'): Promise<Uint8Array> {
  return safetensorsOf(await describeModel(model), layout, GENERATED_BY);
}
