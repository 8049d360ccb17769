// Saving and loading in Node. Every write goes to a temporary name first and
// is renamed into place, so an interrupted save never leaves a half-written
// model; temporaries are removed on every failure path, and those an earlier
// crashed run left behind are removed the next time we write beside them.
// Output paths are checked (checkModelTarget, checkFileTarget) before any
// work whose result would be lost if the write then failed.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, posix, relative, resolve, sep, win32 } from 'node:path';
import type { Backend } from '../backend/backend.js';
import type { Sequential } from '../nn/sequential.js';
import { describeModel, modelFromDescription } from './model-io.js';
import { safetensorsOf, type SafetensorsLayout } from './safetensors.js';
import { fromModelJson, ModelFormatError, toModelJson, weightsBytes, WEIGHTS_FILE, type ModelDescription } from './tfjs-format.js';

import { GENERATED_BY } from './artifacts.js';

export { GENERATED_BY };

/** An output path we cannot or may not write: the message names the path (the caller names the flag). */
export class OutputPathError extends Error {
  override name = 'OutputPathError';
}

// ---- temporaries -------------------------------------------------------------------------

/** `.NAME.tmp-<pid>-<random>`, and `….old` for a replaced model on its way out. */
const TEMPORARY = /^\..+\.tmp-(\d+)-[0-9a-z]+(\.old)?$/;

/** Temporaries this process has on disk right now: removeTemporaries() deletes them. */
const live = new Set<string>();

function temporaryName(target: string): string {
  const random = Math.floor(Math.random() * 36 ** 6).toString(36);
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${Date.now().toString(36)}${random}`);
}

/** Removes every temporary this process still has (on an error, or before exiting on a second Ctrl-C). */
export function removeTemporaries(): void {
  for (const path of live) rmSync(path, { recursive: true, force: true });
  live.clear();
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, under another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporaries earlier runs left in `folder` when they crashed:
 * only names of our pattern, and only where that process is gone. A replaced
 * model (`.NAME.tmp-….old`) whose replacement never arrived is put back as NAME.
 */
export function removeStaleTemporaries(folder: string): void {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const m = TEMPORARY.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pidAlive(pid)) continue;
    const path = join(folder, name);
    try {
      if (m[2]) {
        const original = join(folder, name.slice(1, name.lastIndexOf('.tmp-')));
        if (!existsSync(original)) {
          renameSync(path, original);
          continue;
        }
      }
      rmSync(path, { recursive: true, force: true });
    } catch {
      // Someone else's business after all (or already gone): leave it.
    }
  }
}

// ---- checks before any work ----------------------------------------------------------------

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new OutputPathError(`${path}: ${code ?? (e as Error).message}`);
  }
}

const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'over the disk quota',
};

/**
 * That `target` can be created: its nearest existing ancestor is a directory
 * we can create entries in. Probed for real, by creating and removing an
 * entry there (permission bits do not tell: root ignores them, /proc does not).
 */
function checkWritableFolder(target: string, shown: string): void {
  let folder = dirname(target);
  let st = statOrUndefined(folder);
  while (!st && dirname(folder) !== folder) {
    folder = dirname(folder);
    st = statOrUndefined(folder);
  }
  if (!st) throw new OutputPathError(`${shown}: no folder on its path exists`);
  if (!st.isDirectory()) throw new OutputPathError(`${shown}: ${folder} is not a directory`);
  const probe = temporaryName(join(folder, basename(target)));
  try {
    mkdirSync(probe);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new OutputPathError(`cannot create ${shown}: ${folder} is not writable (${WHY[code] ? `${WHY[code]}, ` : ''}${code})`);
  }
  rmdirSync(probe);
}

const isInside = (path: string, folder: string) => {
  const r = relative(folder, path);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r));
};

/** Weight paths a model.json lists, relative to its folder, normalised ('./w.bin' → 'w.bin'). */
function listedWeights(modelJson: string): string[] | undefined {
  try {
    const json = JSON.parse(readFileSync(modelJson, 'utf8')) as { modelTopology?: unknown; weightsManifest?: { paths?: unknown }[] };
    if (typeof json !== 'object' || json === null || !json.modelTopology || !Array.isArray(json.weightsManifest)) return undefined;
    return json.weightsManifest.flatMap((g) => (Array.isArray(g?.paths) ? g.paths.filter((p): p is string => typeof p === 'string') : [])).map((p) => posix.normalize(p.replaceAll('\\', '/')));
  } catch {
    return undefined;
  }
}

/** What in `dir` is not part of the model saved there: everything, when there is no model.json. */
function notModelFiles(dir: string): string[] {
  const listed = listedWeights(join(dir, 'model.json'));
  const allowed = new Set(listed ? ['model.json', ...listed] : []);
  const others: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      if (allowed.has(path)) continue;
      const isDir = lstatSync(join(dir, path)).isDirectory();
      if (isDir && [...allowed].some((a) => a.startsWith(`${path}/`))) walk(path);
      else others.push(isDir ? `${path}/` : path);
    }
  };
  walk('');
  return others;
}

/**
 * That a model can be saved into `dir` (`shown` is how the user wrote it): a
 * new or empty directory, or with `force` one holding a previous model and
 * nothing else. Never the current directory, one holding it, or the home directory.
 */
export function checkModelTarget(dir: string, force: boolean, shown = dir): void {
  const target = resolve(dir);
  const st = statOrUndefined(target);
  if (st) {
    if (!st.isDirectory()) throw new OutputPathError(`${shown} exists and is not a directory`);
    if (isInside(process.cwd(), target)) {
      throw new OutputPathError(`${shown} is ${target === process.cwd() ? 'the current directory' : 'a folder holding the current directory'}; a model is saved into a folder of its own (e.g. ${join(shown, 'model')})`);
    }
    if (target === resolve(homedir())) throw new OutputPathError(`${shown} is the home directory; a model is saved into a folder of its own (e.g. ${join(shown, 'model')})`);
    if (readdirSync(target).length > 0) {
      if (!force) throw new OutputPathError(`${shown} exists and is not empty (use --force to replace it)`);
      const others = notModelFiles(target);
      if (others.length > 0) {
        const few = others.slice(0, 3).join(', ') + (others.length > 3 ? ` and ${others.length - 3} more` : '');
        throw new OutputPathError(`${shown} holds files that are not part of a saved model (${few}); --force replaces only a previous model (model.json and the weights it lists)`);
      }
    }
  }
  checkWritableFolder(target, shown);
}

/** That a file can be written at `file`: not a directory, not an existing file without `force`, in a writable folder. */
export function checkFileTarget(file: string, force: boolean, shown = file): void {
  const target = resolve(file);
  const st = statOrUndefined(target);
  if (st) {
    if (st.isDirectory()) throw new OutputPathError(`${shown} is a directory; give a file name`);
    if (!st.isFile()) throw new OutputPathError(`${shown} exists and is not a regular file`);
    if (!force) throw new OutputPathError(`${shown} exists (use --force to replace it)`);
  }
  checkWritableFolder(target, shown);
}

/** `dir`, or the first of `dir-2`, `dir-3`, … that does not exist yet. */
export function freeName(dir: string): string {
  if (!existsSync(dir)) return dir;
  for (let k = 2; ; k++) if (!existsSync(`${dir}-${k}`)) return `${dir}-${k}`;
}

// ---- writing -----------------------------------------------------------------------------------

/**
 * Writes the TensorFlow.js layers format (model.json + weights.bin) into
 * `dir` and returns where it went. `unique`: `dir` is a default name, not the
 * user's: when it (or a later -2, -3 …) is taken by the time the model is
 * written, the next free one is used instead of failing.
 */
export async function saveModel(model: Sequential, dir: string, options: { force?: boolean; unique?: boolean } = {}): Promise<string> {
  // Checked before the weights are read back: a bad target costs nothing.
  if (!options.unique) {
    removeStaleTemporaries(dirname(resolve(dir)));
    checkModelTarget(resolve(dir), options.force ?? false, dir);
  }
  const d = await describeModel(model);
  return writeModelDir(dir, { json: JSON.stringify(toModelJson(d, GENERATED_BY), null, 2), weights: weightsBytes(d) }, options);
}

/** The files of a model (model.json naming WEIGHTS_FILE, and its bytes) written into `dir` as saveModel does. */
export function writeModelDir(dir: string, files: { json: string; weights: Uint8Array }, options: { force?: boolean; unique?: boolean } = {}): string {
  let target = resolve(dir);
  const folder = dirname(target);
  // First, so that a model put back from a crashed replacement counts in the check.
  removeStaleTemporaries(folder);
  if (!options.unique) checkModelTarget(target, options.force ?? false, dir);
  mkdirSync(folder, { recursive: true });
  const tmp = temporaryName(target);
  live.add(tmp);
  try {
    mkdirSync(tmp);
    writeFileSync(join(tmp, 'model.json'), files.json);
    writeFileSync(join(tmp, WEIGHTS_FILE), files.weights);
    if (options.unique) {
      const base = target;
      for (let k = 1; ; k++) {
        const name = k === 1 ? base : `${base}-${k}`;
        if (existsSync(name)) continue;
        try {
          renameSync(tmp, name);
          target = name;
          break;
        } catch (e) {
          // Taken between the look and the rename (another run saving at the same moment).
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') throw e;
        }
      }
    } else if (existsSync(target)) {
      const old = `${tmp}.old`;
      renameSync(target, old);
      try {
        renameSync(tmp, target);
      } catch (e) {
        renameSync(old, target);
        throw e;
      }
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
  } finally {
    // Gone by rename on success; removed here on any failure.
    rmSync(tmp, { recursive: true, force: true });
    live.delete(tmp);
  }
  return target;
}

/** Writes `bytes` to `file` through a temporary file and a rename: never half-written. */
export function writeFileAtomic(file: string, bytes: Uint8Array | string, options: { force?: boolean } = {}): string {
  const target = resolve(file);
  const folder = dirname(target);
  removeStaleTemporaries(folder);
  checkFileTarget(target, options.force ?? false, file);
  mkdirSync(folder, { recursive: true });
  const tmp = temporaryName(target);
  live.add(tmp);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, target);
  } finally {
    rmSync(tmp, { force: true });
    live.delete(tmp);
  }
  return target;
}

/** Writes the weights as safetensors, in PyTorch's layout (default) or Keras's: see safetensors.ts. */
export async function exportSafetensors(model: Sequential, file: string, options: { force?: boolean; layout?: SafetensorsLayout } = {}): Promise<string> {
  const bytes = safetensorsOf(await describeModel(model), options.layout ?? 'pytorch', GENERATED_BY);
  return writeFileAtomic(file, bytes, options);
}

// ---- reading -----------------------------------------------------------------------------------

/**
 * Reads a TensorFlow.js layers model directory (ours, or a Sequential that
 * TensorFlow.js or Keras saved). The weight paths its manifest lists must be
 * regular files inside the directory, together exactly the size the layers
 * need: checked before a byte of them is read.
 */
export function loadModel(dir: string, backend: Backend): { model: Sequential; training: ModelDescription['training'] } {
  const description = readModelDir(dir);
  return { model: modelFromDescription(description, backend), training: description.training };
}

/** The description a model directory holds, read under loadModel's checks. */
export function readModelDir(dir: string): ModelDescription {
  const root = resolve(dir);
  const file = join(root, 'model.json');
  const st = statOrUndefined(file);
  if (!st) throw new Error(`load: ${file} does not exist`);
  if (!st.isFile()) throw new ModelFormatError(`${file}: not a regular file`);
  const text = readFileSync(file, 'utf8');
  const shard = (path: string): { full: string; size: number } => {
    if (path === '' || isAbsolute(path) || win32.isAbsolute(path)) {
      throw new ModelFormatError(`${file}: weights path '${path}' is ${path === '' ? 'empty' : 'absolute'}; weight paths are relative to the model directory`);
    }
    const full = resolve(root, path);
    if (full === root) throw new ModelFormatError(`${file}: weights path '${path}' is the model directory itself, not a file`);
    if (!isInside(full, root)) throw new ModelFormatError(`${file}: weights path '${path}' leads outside the model directory ${root}`);
    const s = statOrUndefined(full);
    if (!s) throw new Error(`load: weights file ${full} named in model.json does not exist`);
    if (!s.isFile()) throw new ModelFormatError(`${file}: weights path '${path}' is not a regular file`);
    return { full, size: s.size };
  };
  return fromModelJson(
    text,
    {
      size: (path) => shard(path).size,
      read: (path) => new Uint8Array(readFileSync(shard(path).full)),
    },
    file,
  );
}
