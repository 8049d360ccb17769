// Browser storages, in TensorFlow.js's own layouts so that either library
// reads what the other saved: IndexedDB (database 'tensorflowjs', stores
// 'models_store' and 'model_info_store' keyed by modelPath), localStorage
// (keys tensorflowjs_models/<name>/…, weights in base64), and downloads
// (<name>.json + <name>.weights.bin through the browser's save dialog).
import type { ModelArtifacts } from '../nn/saving.js';
import { describeArtifacts, modelJsonOf, saveResult } from './artifacts.js';
import { registerStorage } from './storage.js';

// ---- IndexedDB ---------------------------------------------------------------------------

const DATABASE = 'tensorflowjs';
const MODELS = 'models_store';
const INFO = 'model_info_store';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function openDatabase(): Promise<IDBDatabase> {
  const open = indexedDB.open(DATABASE, 1);
  open.onupgradeneeded = () => {
    open.result.createObjectStore(MODELS, { keyPath: 'modelPath' });
    open.result.createObjectStore(INFO, { keyPath: 'modelPath' });
  };
  return request(open);
}

registerStorage('indexeddb', {
  needs: 'a browser with IndexedDB',
  available: () => typeof indexedDB !== 'undefined',
  async save(name, a) {
    const db = await openDatabase();
    try {
      const result = saveResult(a, `indexeddb://${name}`);
      // One transaction over both stores: the model and its info are written together or not at all.
      const tx = db.transaction([MODELS, INFO], 'readwrite');
      const done = new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error ?? new Error('the transaction was aborted'));
      });
      tx.objectStore(INFO).put({ modelPath: name, modelArtifactsInfo: result.modelArtifactsInfo });
      tx.objectStore(MODELS).put({ modelPath: name, modelArtifacts: a, modelArtifactsInfo: result.modelArtifactsInfo });
      await done.catch((e: Error) => {
        throw new Error(`save: indexeddb://${name}: ${e.message} (the model is ${a.weightData.byteLength} bytes)`);
      });
      return result;
    } finally {
      db.close();
    }
  },
  async load(name, url) {
    const db = await openDatabase();
    try {
      const record = (await request(db.transaction(MODELS, 'readonly').objectStore(MODELS).get(name))) as { modelArtifacts?: ModelArtifacts } | undefined;
      if (!record?.modelArtifacts) throw new Error(`load: ${url}: no model is saved under '${name}' in this origin's IndexedDB`);
      return describeArtifacts(record.modelArtifacts, url);
    } finally {
      db.close();
    }
  },
});

// ---- localStorage ------------------------------------------------------------------------

const keysOf = (name: string) => {
  const key = (suffix: string) => `tensorflowjs_models/${name}/${suffix}`;
  return { info: key('info'), topology: key('model_topology'), weightSpecs: key('weight_specs'), weightData: key('weight_data'), metadata: key('model_metadata') };
};

function toBase64(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let binary = '';
  // In slices: String.fromCharCode takes its bytes as arguments, and arguments are limited.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): ArrayBuffer {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

registerStorage('localstorage', {
  needs: 'a browser with localStorage',
  available: () => typeof localStorage !== 'undefined',
  async save(name, a) {
    const keys = keysOf(name);
    const result = saveResult(a, `localstorage://${name}`);
    const values: [string, string][] = [
      [keys.info, JSON.stringify(result.modelArtifactsInfo)],
      [keys.topology, JSON.stringify(a.modelTopology)],
      [keys.weightSpecs, JSON.stringify(a.weightSpecs)],
      [keys.weightData, toBase64(a.weightData)],
      [keys.metadata, JSON.stringify({ format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy, userDefinedMetadata: a.userDefinedMetadata })],
    ];
    // A model saved earlier under this name comes back if the quota stops this one half way.
    const before = values.map(([k]) => [k, localStorage.getItem(k)] as const);
    try {
      for (const [k, v] of values) localStorage.setItem(k, v);
    } catch (e) {
      for (const [k, v] of before) v === null ? localStorage.removeItem(k) : localStorage.setItem(k, v);
      throw new Error(`save: localstorage://${name}: ${(e as Error).message} (the weights take ${Math.ceil(a.weightData.byteLength / 3) * 4} characters; IndexedDB holds more)`);
    }
    return result;
  },
  async load(name, url) {
    const keys = keysOf(name);
    const topology = localStorage.getItem(keys.topology);
    const specs = localStorage.getItem(keys.weightSpecs);
    const data = localStorage.getItem(keys.weightData);
    if (topology === null || specs === null || data === null) throw new Error(`load: ${url}: no model is saved under '${name}' in this origin's localStorage`);
    const meta = JSON.parse(localStorage.getItem(keys.metadata) ?? '{}') as Partial<ModelArtifacts>;
    return describeArtifacts(
      {
        modelTopology: JSON.parse(topology) as Record<string, unknown>,
        weightSpecs: JSON.parse(specs) as ModelArtifacts['weightSpecs'],
        weightData: fromBase64(data),
        format: meta.format ?? 'layers-model',
        generatedBy: meta.generatedBy ?? '',
        convertedBy: meta.convertedBy ?? null,
        ...(meta.userDefinedMetadata ? { userDefinedMetadata: meta.userDefinedMetadata } : {}),
      },
      url,
    );
  },
});

// ---- downloads ---------------------------------------------------------------------------

function download(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The download has taken its copy once the click has been handled.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

registerStorage('downloads', {
  needs: 'a browser page (document)',
  available: () => typeof document !== 'undefined',
  async save(name, a) {
    const weights = `${name}.weights.bin`;
    const json = modelJsonOf(a, `./${weights}`);
    download(new Blob([JSON.stringify(json)], { type: 'application/json' }), `${name}.json`);
    download(new Blob([a.weightData], { type: 'application/octet-stream' }), weights);
    return saveResult(a, `${name}.json + ${weights}`);
  },
});
