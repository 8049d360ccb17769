// Saving and loading in Node. Every write goes to a temporary name first and
// is renamed into place, so an interrupted save never leaves a half-written model.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Backend } from '../backend/backend.js';
import type { Sequential } from '../nn/sequential.js';
import { describeModel, modelFromDescription } from './model-io.js';
import { encodeSafetensors } from './safetensors.js';
import { fromModelJson, toModelJson, weightsBytes, WEIGHTS_FILE, type ModelDescription } from './tfjs-format.js';

export const GENERATED_BY = 'webgpu-train 0.1.0';

function temporaryName(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${Date.now().toString(36)}`);
}

/** Refuses to replace a non-empty directory unless `force`. */
export function checkSaveTarget(dir: string, force: boolean): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new Error(`save: ${dir} exists and is not a directory`);
  if (readdirSync(dir).length > 0 && !force) throw new Error(`save: ${dir} exists and is not empty (use --force to replace it)`);
}

/** Writes the TensorFlow.js layers format (model.json + weights.bin) into `dir`. */
export async function saveModel(model: Sequential, dir: string, options: { force?: boolean } = {}): Promise<string> {
  const target = resolve(dir);
  checkSaveTarget(target, options.force ?? false);
  const d = await describeModel(model);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = temporaryName(target);
  mkdirSync(tmp);
  try {
    writeFileSync(join(tmp, 'model.json'), JSON.stringify(toModelJson(d, GENERATED_BY), null, 2));
    writeFileSync(join(tmp, WEIGHTS_FILE), weightsBytes(d));
    if (existsSync(target)) {
      const old = `${tmp}.old`;
      renameSync(target, old);
      renameSync(tmp, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return target;
}

/** Reads a TensorFlow.js layers model directory (ours, or a Dense-only Sequential TensorFlow.js saved). */
export function loadModel(dir: string, backend: Backend): { model: Sequential; training: ModelDescription['training'] } {
  const file = join(resolve(dir), 'model.json');
  if (!existsSync(file)) throw new Error(`load: ${file} does not exist`);
  const text = readFileSync(file, 'utf8');
  const description = fromModelJson(
    text,
    (path) => {
      const shard = join(dirname(file), path);
      if (!existsSync(shard)) throw new Error(`load: weights file ${shard} named in model.json does not exist`);
      return new Uint8Array(readFileSync(shard));
    },
    file,
  );
  return { model: modelFromDescription(description, backend), training: description.training };
}

/** Writes the weights as safetensors, names like dense_1.kernel, shapes as Keras has them. */
export async function exportSafetensors(model: Sequential, file: string): Promise<string> {
  const target = resolve(file);
  const d = await describeModel(model);
  const bytes = encodeSafetensors(
    d.weights.map((w) => ({ name: w.name.replace('/', '.'), shape: w.shape, values: w.values })),
    { format: 'pt', generated_by: GENERATED_BY },
  );
  mkdirSync(dirname(target), { recursive: true });
  const tmp = temporaryName(target);
  writeFileSync(tmp, bytes);
  renameSync(tmp, target);
  return target;
}
