// GEMM tuning decisions on disk in Node: one JSON file per adapter in a cache
// directory ($XDG_CACHE_HOME/webgpu-train, or ~/.cache/webgpu-train), written
// atomically (a temporary file renamed over the old one). A file that cannot
// be read, does not parse, or was written for other kernel sources is
// ignored: tuning runs again and replaces it. Imported by the Node entry only
// (src/node.ts), so browser bundles never see node:fs.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { hash53, parseTuningFile, registerTuningStore, tuningFileText, type TuningStore } from './autotune.js';

/** The default directory: $XDG_CACHE_HOME/webgpu-train, else ~/.cache/webgpu-train. */
export function defaultTuningDirectory(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'webgpu-train');
}

/** The file holding one adapter's decisions in a directory. */
export function tuningFilePath(directory: string, adapter: string): string {
  const slug = adapter.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
  return join(directory, `gemm-tuning-${slug}-${hash53(adapter).toString(16)}.json`);
}

/** A tuning store over JSON files in `directory` (the default cache directory when undefined). */
export function nodeTuningStore(directory = defaultTuningDirectory()): TuningStore {
  return {
    async load(adapter, sourceHash) {
      try {
        return parseTuningFile(await readFile(tuningFilePath(directory, adapter), 'utf8'), adapter, sourceHash);
      } catch {
        return undefined;
      }
    },
    async save(adapter, sourceHash, buckets) {
      const file = tuningFilePath(directory, adapter);
      const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      try {
        await mkdir(directory, { recursive: true });
        await writeFile(temporary, tuningFileText(adapter, sourceHash, buckets));
        await rename(temporary, file);
      } catch {
        // A read-only or full disk: the decisions stay in memory.
        await rm(temporary, { force: true }).catch(() => undefined);
      }
    },
  };
}

registerTuningStore((directory) => nodeTuningStore(directory));
