// model.save(target) and loadModel(source): the scheme of the URL picks the
// storage (file://, indexeddb://, localstorage://, downloads://, http(s)://),
// each storage registering what it can do. Browser storages and HTTP are
// registered by the library's entry point; file:// by its Node entry, so a
// browser bundle never pulls in node:fs.
import type { Backend, BackendName } from '../backend/backend.js';
import { CpuBackend } from '../backend/cpu/index.js';
import { getBackend } from '../backend/index.js';
import { registerModelSaver, type ModelArtifacts, type SaveHandler, type SaveResult } from '../nn/saving.js';
import type { Sequential } from '../nn/sequential.js';
import { describeArtifacts, isModelArtifacts, manifestPaths, modelFrom, toArtifacts } from './artifacts.js';
import { fromModelJson, type ModelDescription } from './tfjs-format.js';

/** One storage: how it saves artifacts under a path, and how it reads a model back. */
export interface Storage {
  /** Where it works, for the error when it does not ("Node", "a browser with IndexedDB"). */
  needs: string;
  /** Whether this runtime has what the storage needs. */
  available(): boolean;
  /** Stores the artifacts under `path` (the URL after its scheme). */
  save?(path: string, artifacts: ModelArtifacts): Promise<SaveResult>;
  /** Reads the model saved under `path`; `url` is the whole URL, for messages and relative weights. */
  load?(path: string, url: string): Promise<ModelDescription>;
}

const storages = new Map<string, Storage>();

/**
 * Makes `scheme://` a place model.save and loadModel can use (the built-in
 * storages register themselves this way; a later registration replaces one).
 *
 * @example
 * const kept = new Map<string, ModelArtifacts>();
 * registerStorage('memory', {
 *   needs: 'nothing',
 *   available: () => true,
 *   save: async (path, a) => (kept.set(path, a), { location: `memory://${path}`, modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', modelTopologyBytes: 0, weightSpecsBytes: 0, weightDataBytes: a.weightData.byteLength } }),
 * });
 * await model.save('memory://best');
 */
export function registerStorage(scheme: string, storage: Storage): void {
  storages.set(scheme, storage);
}

const KNOWN = ['file', 'indexeddb', 'localstorage', 'downloads', 'http', 'https'];

function route(url: string, op: 'save' | 'load'): { storage: Storage; path: string } {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(url);
  if (!m) throw new Error(`${op}: '${url}' has no scheme; write file://${url} (Node), or indexeddb://, localstorage://, ${op === 'save' ? 'downloads://' : 'http(s)://'} in a browser`);
  const scheme = m[1]!.toLowerCase();
  const path = scheme === 'http' || scheme === 'https' ? url : m[2]!;
  const storage = storages.get(scheme);
  if (!storage) {
    if (scheme === 'file') throw new Error(`${op}: file:// works in Node, where 'webgpu-train' resolves to its Node entry; this runtime loaded the browser entry`);
    throw new Error(`${op}: unknown scheme '${scheme}://'; valid: ${KNOWN.map((k) => `${k}://`).join(', ')}`);
  }
  if (!storage.available()) throw new Error(`${op}: ${scheme}:// needs ${storage.needs}`);
  if (!storage[op]) throw new Error(`${op}: ${scheme}:// cannot ${op} a model${op === 'save' ? '; save with file://, indexeddb://, localstorage:// or downloads://' : ''}`);
  if (path === '') throw new Error(`${op}: '${url}' names no model after the scheme`);
  return { storage, path };
}

async function saveModelTo(model: Sequential, target: string | SaveHandler): Promise<SaveResult> {
  if (typeof target === 'object' && target !== null && typeof target.save === 'function') return target.save(await toArtifacts(model));
  if (typeof target !== 'string') throw new Error(`save: expected a URL string (file://, indexeddb://, …) or an object with save(artifacts), got ${typeof target}`);
  const { storage, path } = route(target, 'save');
  return storage.save!(path, await toArtifacts(model));
}

registerModelSaver(saveModelTo);

/** Browser files picked by the user: model.json and its weights file(s). */
export interface PickedFile {
  name: string;
  /** The file's contents as text (model.json). */
  text(): Promise<string>;
  /** The file's bytes (a weights file). */
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface LoadOptions {
  /** Where the model lives and trains: a backend, or its name. Default: the CPU reference, as sequential(). */
  backend?: Backend | BackendName | 'auto';
}

/** Reads model.json and the weights named in it from a list of picked files. */
async function describeFiles(files: readonly PickedFile[]): Promise<ModelDescription> {
  const names = files.map((f) => f.name).join(', ');
  const jsons = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
  if (jsons.length !== 1) throw new Error(`load: expected exactly one .json file (the model) among the files given (${names}), found ${jsons.length}`);
  const json = jsons[0]!;
  const text = await json.text();
  const shards = new Map<string, Uint8Array>();
  for (const path of manifestPaths(text, json.name)) {
    const base = path.split('/').pop()!;
    const file = files.find((f) => f.name === base);
    if (!file) throw new Error(`load: ${json.name} names the weights file '${base}', which is not among the files given (${names})`);
    shards.set(path, new Uint8Array(await file.arrayBuffer()));
  }
  return fromModelJson(text, (p) => shards.get(p)!, json.name);
}

/**
 * Loads a model saved in the TensorFlow.js layers format — by us, TensorFlow.js
 * or Keras — and compiles it as it was saved, when the file says how.
 * `source`: `file://dir` (Node), `indexeddb://name`, `localstorage://name`,
 * `http(s)://…/model.json`, the files of an `<input type=file multiple>`
 * (model.json and its weights), or ModelArtifacts in memory.
 *
 * @example
 * const model = await loadModel('indexeddb://my-model', { backend: await getBackend('webgpu') });
 * const y = await model.predict(x);
 */
export async function loadModel(source: string | readonly PickedFile[] | ArrayLike<PickedFile> | ModelArtifacts, options: LoadOptions = {}): Promise<Sequential> {
  let description: ModelDescription;
  let where: string;
  if (typeof source === 'string') {
    const { storage, path } = route(source, 'load');
    where = source;
    description = await storage.load!(path, source);
  } else if (isModelArtifacts(source)) {
    where = 'the model artifacts';
    description = describeArtifacts(source, where);
  } else if (source && typeof source === 'object' && typeof (source as ArrayLike<PickedFile>).length === 'number') {
    const files = Array.from(source as ArrayLike<PickedFile>);
    where = files.map((f) => f.name).join(' + ');
    description = await describeFiles(files);
  } else {
    throw new Error(`load: expected a URL string, a list of files or model artifacts, got ${source === null ? 'null' : typeof source}`);
  }
  const b = options.backend;
  const backend = b === undefined ? new CpuBackend() : typeof b === 'string' ? await getBackend(b) : b;
  return modelFrom(description, backend, where);
}
