// file:// for model.save and loadModel in Node: the directory format the
// command line writes and reads (model.json + weights.bin), with its checks —
// written atomically, a previous model replaced and any other file refused,
// weight paths kept inside the directory and their sizes checked first.
import { fileURLToPath } from 'node:url';
import { modelJsonOf, saveResult } from './artifacts.js';
import { readModelDir, writeModelDir } from './files.js';
import { registerStorage } from './storage.js';
import { WEIGHTS_FILE } from './tfjs-format.js';

/** The directory a file:// URL names: file:///abs/dir, or file://relative/dir as TensorFlow.js for Node takes it. */
function directoryOf(path: string, url: string): string {
  return path.startsWith('/') ? fileURLToPath(url) : decodeURIComponent(path);
}

registerStorage('file', {
  needs: 'Node',
  available: () => typeof process !== 'undefined' && !!process.versions?.node,
  async save(path, a) {
    const dir = directoryOf(path, `file://${path}`);
    const json = JSON.stringify(modelJsonOf(a, WEIGHTS_FILE), null, 2);
    // As TensorFlow.js's file:// does, saving again over a saved model replaces it.
    let written: string;
    try {
      written = writeModelDir(dir, { json, weights: new Uint8Array(a.weightData) }, { force: true });
    } catch (e) {
      throw new Error(`save: file://${path}: ${(e as Error).message.replace(/ \(use --force to replace it\)$/, '')}`);
    }
    return saveResult(a, written);
  },
  async load(path, url) {
    return readModelDir(directoryOf(path, url));
  },
});
