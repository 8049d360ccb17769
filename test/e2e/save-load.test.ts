// Saving and loading in a real browser (headless Chromium; WebGPU on
// SwiftShader): a page trains a model and saves it to IndexedDB, localStorage
// and downloads://; after a reload it loads each back — the downloaded files
// served over HTTP as a URL — and every copy predicts exactly what the
// trained model did. TensorFlow.js, in the same page, reads what we saved
// in IndexedDB and localStorage, and we read what it saved there.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useBuiltPage } from './built-page.js';

const built = useBuiltPage('the save/load browser test', ['test/e2e/save-load-page']);

type Steps = { tfjsPredict(url: string): Promise<number[]>; tfjsSave(url: string): Promise<void>; train(): Promise<string>; save(url: string): Promise<string>; load(source: string): Promise<number[]>; predict(): Promise<number[]>; failure(source: string): Promise<string> };
const call = <K extends keyof Steps>(page: Page, step: K, arg?: string) =>
  page.evaluate(([s, a]) => (window as unknown as { steps: Record<string, (a?: string) => Promise<unknown>> }).steps[s]!(a), [step, arg] as const) as ReturnType<Steps[K]>;

describe('save and load in the browser', () => {
  it('IndexedDB, localStorage and downloads:// survive a reload and predict the same; a URL loads the downloaded files', async (ctx) => {
    const browser = built.ready(ctx);
    const server = built.server();
    const outDir = built.outDir();
    const page = await browser.newPage({ acceptDownloads: true });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'ready');

    const backend = await call(page, 'train');
    const want = await call(page, 'predict');
    expect(await call(page, 'save', 'indexeddb://demo-model')).toBe('indexeddb://demo-model');
    expect(await call(page, 'save', 'localstorage://demo-model')).toBe('localstorage://demo-model');

    // downloads:// hands two files to the browser's download manager: keep them where the server serves.
    const downloads: string[] = [];
    mkdirSync(join(outDir, 'downloaded'), { recursive: true });
    page.on('download', (d) => {
      downloads.push(d.suggestedFilename());
      void d.saveAs(join(outDir, 'downloaded', d.suggestedFilename()));
    });
    expect(await call(page, 'save', 'downloads://demo-model')).toBe('demo-model.json + demo-model.weights.bin');
    await expect.poll(() => downloads.sort(), { timeout: 10_000 }).toEqual(['demo-model.json', 'demo-model.weights.bin']);

    await page.reload();
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'ready');
    const fromDb = await call(page, 'load', 'indexeddb://demo-model');
    const fromStorage = await call(page, 'load', 'localstorage://demo-model');
    // The download may still be being written: poll the URL until it loads.
    let fromUrl: number[] = [];
    await expect
      .poll(async () => {
        const m = await call(page, 'failure', `${server.url}downloaded/demo-model.json`);
        if (m === 'no error') fromUrl = await call(page, 'load', `${server.url}downloaded/demo-model.json`);
        return m;
      }, { timeout: 10_000 })
      .toBe('no error');
    console.log(`[save-load e2e] trained on ${backend}; predictions ${want.map((v) => v.toFixed(4)).join(' ')}`);
    expect(fromDb).toEqual(want);
    expect(fromStorage).toEqual(want);
    expect(fromUrl).toEqual(want);
    // TensorFlow.js's own storages are the same: each library reads what the other saved.
    const close = (got: number[]) => Math.max(...got.map((v, i) => Math.abs(v - want[i]!)));
    expect(close(await call(page, 'tfjsPredict', 'indexeddb://demo-model'))).toBeLessThan(1e-6);
    expect(close(await call(page, 'tfjsPredict', 'localstorage://demo-model'))).toBeLessThan(1e-6);
    await call(page, 'tfjsSave', 'indexeddb://saved-by-tfjs');
    await call(page, 'tfjsSave', 'localstorage://saved-by-tfjs');
    expect(close(await call(page, 'load', 'indexeddb://saved-by-tfjs'))).toBeLessThan(1e-6);
    expect(close(await call(page, 'load', 'localstorage://saved-by-tfjs'))).toBeLessThan(1e-6);
    expect(await call(page, 'failure', 'indexeddb://no-such-model')).toBe("load: indexeddb://no-such-model: no model is saved under 'no-such-model' in this origin's IndexedDB");
    expect(await call(page, 'failure', 'file://model')).toMatch(/^load: file:\/\/ works in Node/);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);
});
