// Loading over HTTP(S): model.json, then each weights file the manifest
// names, resolved against model.json's URL. Works wherever fetch does
// (browsers, Node 18+).
import { manifestPaths } from './artifacts.js';
import { registerStorage } from './storage.js';
import { fromModelJson } from './tfjs-format.js';

async function get(url: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`load: GET ${url} failed: ${(e as Error).message}`);
  }
  if (!res.ok) throw new Error(`load: GET ${url}: ${res.status} ${res.statusText}`.trimEnd());
  return res;
}

const http = {
  needs: 'fetch',
  available: () => typeof fetch === 'function',
  async load(url: string) {
    const text = await (await get(url)).text();
    const shards = new Map<string, Uint8Array>();
    for (const path of manifestPaths(text, url)) shards.set(path, new Uint8Array(await (await get(new URL(path, url).href)).arrayBuffer()));
    return fromModelJson(text, (p) => shards.get(p)!, url);
  },
};

registerStorage('http', http);
registerStorage('https', http);
