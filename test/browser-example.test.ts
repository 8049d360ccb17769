// The browser example (examples/browser/) and its guide (docs/browser.md)
// cannot rot: the example is type-checked and built with Vite against the
// library's source, then run in headless Chromium (WebGPU on SwiftShader):
// it trains, saves to IndexedDB, and after a reload loads the model back with
// the same predictions. A second page without navigator.gpu must say so and
// train on the CPU. Every ts block of the guide must be quoted from the
// example's main.ts, so the guide shows code that is built and run here.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserRequired, findChromium, launchChromium } from './e2e/chromium.js';
import { serveFolder, type StaticServer } from './e2e/static-server.js';

const root = resolve(import.meta.dirname, '..');
const example = join(root, 'examples/browser');
const outDir = mkdtempSync(join(tmpdir(), 'webgpu-train-browser-example-'));
let server: StaticServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  const vite = join(root, 'node_modules/vite/bin/vite.js');
  await promisify(execFile)(process.execPath, [vite, 'build', 'examples/browser', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'error'], { cwd: root });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(outDir, { recursive: true, force: true });
});

describe('the browser example', () => {
  it('type-checks against the library', () => {
    const program = ts.createProgram([join(example, 'main.ts'), join(example, 'vite.config.ts')], {
      strict: true,
      noUncheckedIndexedAccess: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: ['node'],
      paths: { 'webgpu-train': [join(root, 'src/index.ts')] },
      noEmit: true,
      skipLibCheck: true,
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName.startsWith(example))
      .map((d) => `${d.file!.fileName}:${d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    expect(problems).toEqual([]);
  }, 60_000);

  it("has a guide whose code is the example's", () => {
    const guide = readFileSync(join(root, 'docs/browser.md'), 'utf8');
    const main = readFileSync(join(example, 'main.ts'), 'utf8');
    const blocks = [...guide.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!.trimEnd());
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const block of blocks) expect(main, 'a ts block of docs/browser.md that is not in examples/browser/main.ts').toContain(block);
  });

  const pageOf = async (ctx: { skip(reason: string): void }, withoutWebGpu = false): Promise<Page | undefined> => {
    const executable = findChromium();
    if (!executable) {
      if (browserRequired) throw new Error('REQUIRE_BROWSER is set but there is no chromium on PATH (Debian: apt-get install chromium)');
      ctx.skip('no chromium on PATH (Debian: apt-get install chromium)');
      return undefined;
    }
    server ??= await serveFolder(outDir);
    browser ??= await launchChromium(executable);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // A browser without WebGPU, as Firefox or Safari on many machines still are.
    if (withoutWebGpu) await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
    await page.goto(server.url);
    await page.waitForSelector('#train:not([disabled])', { timeout: 30_000 });
    expect(errors).toEqual([]);
    return page;
  };
  const logOf = (page: Page) => page.locator('#log').textContent().then((t) => t ?? '');
  const predictionsIn = (log: string) => log.split('\n').filter((l) => l.includes(' xor '));

  it('trains on WebGPU, saves to IndexedDB, and loads the same model after a reload', async (ctx) => {
    const page = await pageOf(ctx);
    if (!page) return;
    expect(await page.locator('#backend').textContent()).toMatch(/^Training on the GPU: /);
    await page.click('#train');
    await page.waitForFunction(() => document.getElementById('log')?.textContent?.includes('saved to'), undefined, { timeout: 60_000 });
    const trained = await logOf(page);
    expect(trained).toContain('epoch 40: loss');
    expect(trained).toContain('saved to indexeddb://xor-model');
    expect(trained).not.toContain('error');
    const before = predictionsIn(trained);
    expect(before).toHaveLength(4);

    await page.reload();
    await page.waitForSelector('#load:not([disabled])');
    await page.click('#load');
    await page.waitForFunction(() => document.getElementById('log')?.textContent?.includes(' xor '), undefined, { timeout: 30_000 });
    const loaded = await logOf(page);
    expect(loaded).toContain('loaded indexeddb://xor-model');
    expect(predictionsIn(loaded)).toEqual(before);
    await page.close();
  }, 120_000);

  it('says so and trains on the CPU where the browser has no WebGPU', async (ctx) => {
    const page = await pageOf(ctx, true);
    if (!page) return;
    expect(await page.locator('#backend').textContent()).toMatch(/offers no WebGPU, so training runs on the CPU/);
    await page.click('#train');
    await page.waitForFunction(() => document.getElementById('log')?.textContent?.includes('saved to'), undefined, { timeout: 60_000 });
    expect(predictionsIn(await logOf(page))).toHaveLength(4);
    await page.close();
  }, 120_000);
});
