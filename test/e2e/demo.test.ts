// The demo page end to end, in real headless Chromium: the page is built
// with Vite, served on 127.0.0.1, and driven through its data-testid hooks.
// On a machine without a GPU, Chromium's WebGPU adapter is SwiftShader, so
// the network really trains in WGSL, on the CPU cores.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { browserRequired, findChromium, launchChromium } from './chromium.js';
import { serveFolder, type StaticServer } from './static-server.js';

const repo = resolve(import.meta.dirname, '../..');
const artifacts = join(repo, 'test-artifacts');
const run = promisify(execFile);

let skipReason: string | undefined;
let outDir: string | undefined;
let server: StaticServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  const executable = findChromium();
  if (!executable) {
    const reason = 'no chromium on PATH (Debian: apt-get install chromium)';
    if (browserRequired) throw new Error(`REQUIRE_BROWSER is set but the demo's browser test cannot run: ${reason}`);
    console.warn(`[webgpu-train] browser test skipped: ${reason}`);
    skipReason = reason;
    return;
  }
  // Build into a folder of its own, so the test never clobbers dist-demo/.
  outDir = mkdtempSync(join(tmpdir(), 'webgpu-train-demo-'));
  const vite = join(repo, 'node_modules', 'vite', 'bin', 'vite.js');
  await run(process.execPath, [vite, 'build', '--config', 'demo/vite.config.ts', '--logLevel', 'error', '--outDir', outDir, '--emptyOutDir'], { cwd: repo });
  server = await serveFolder(outDir);
  browser = await launchChromium(executable);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

function ready(ctx: TestContext): Browser {
  if (skipReason || !browser) {
    ctx.skip(skipReason ?? 'no browser');
    throw new Error('unreachable');
  }
  return browser;
}

/** A page on the demo, with every page error and console error collected. */
async function open(b: Browser, init?: () => void): Promise<{ page: Page; errors: string[] }> {
  const page = await b.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  if (init) await page.addInitScript(init);
  await page.goto(server!.url);
  await waitForStatus(page, 'ready', 60_000);
  return { page, errors };
}

/** The page's status line: 'ready', 'training', 'done', 'paused', … */
async function waitForStatus(page: Page, status: string, timeout: number): Promise<void> {
  try {
    await page.waitForFunction((s) => document.body.dataset.status === s, status, { timeout, polling: 100 });
  } catch (e) {
    const error = (await page.isVisible('[data-testid=error]')) ? await page.textContent('[data-testid=error]') : 'none';
    throw new Error(`status never became '${status}' (it is '${await page.textContent('[data-testid=status]')}', error shown: ${error})`, { cause: e });
  }
}

const text = async (page: Page, id: string): Promise<string> => ((await page.textContent(`[data-testid=${id}]`)) ?? '').trim();

/** Pixels of the boundary canvas, kept in the page for a later comparison. */
async function snapshotBoundary(page: Page, key: string): Promise<void> {
  await page.evaluate((k) => {
    const c = document.querySelector<HTMLCanvasElement>('[data-testid=boundary]')!;
    const w = window as unknown as Record<string, Uint8ClampedArray>;
    w[k] = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
  }, key);
}

/** The share of boundary pixels that differ between two snapshots. */
function changedShare(page: Page, a: string, b: string): Promise<number> {
  return page.evaluate(
    ([ka, kb]) => {
      const w = window as unknown as Record<string, Uint8ClampedArray>;
      const [pa, pb] = [w[ka!]!, w[kb!]!];
      let changed = 0;
      for (let i = 0; i < pa.length; i += 4) {
        if (Math.abs(pa[i]! - pb[i]!) + Math.abs(pa[i + 1]! - pb[i + 1]!) + Math.abs(pa[i + 2]! - pb[i + 2]!) > 6) changed++;
      }
      return changed / (pa.length / 4);
    },
    [a, b],
  );
}

/** Records the displayed (epoch, loss) after every change, from inside the page. */
async function recordLosses(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { losses: [number, number][] };
    w.losses = [];
    const epoch = document.querySelector('[data-testid=epoch]')!;
    const loss = document.querySelector('[data-testid=loss]')!;
    new MutationObserver(() => {
      const v = Number(loss.textContent);
      if (Number.isFinite(v)) w.losses.push([Number(epoch.textContent), v]);
    }).observe(loss, { childList: true, characterData: true, subtree: true });
  });
}

const losses = (page: Page): Promise<[number, number][]> => page.evaluate(() => (window as unknown as { losses: [number, number][] }).losses);

/** Sets a control and fires its change event, as a visitor's edit does. */
async function setControl(page: Page, id: string, value: string): Promise<void> {
  const el = page.locator(`[data-testid=${id}]`);
  if ((await el.evaluate((e) => e.tagName)) === 'SELECT') await el.selectOption(value);
  else await el.fill(value);
  await el.dispatchEvent('change');
}

/** Trains the current model for `epochs` epochs from scratch and returns the displayed losses. */
async function trainFromScratch(page: Page, epochs: number, timeout: number): Promise<[number, number][]> {
  await setControl(page, 'epochs', String(epochs));
  await page.click('[data-testid=reset]');
  await waitForStatus(page, 'ready', 30_000);
  expect(await text(page, 'epoch')).toBe('0');
  await recordLosses(page);
  await page.click('[data-testid=train]');
  await waitForStatus(page, 'done', timeout);
  expect(await text(page, 'epoch')).toBe(String(epochs));
  return losses(page);
}

describe('demo page in headless Chromium', () => {
  it('shows the WebGPU adapter, trains spiral on it (loss falls, boundary changes) and on the CPU backend', async (ctx) => {
    const { page, errors } = await open(ready(ctx));

    const adapter = await text(page, 'adapter');
    console.log(`[webgpu-train] demo page adapter: ${adapter}`);
    expect(adapter).not.toBe('none');
    // Headless Chromium without a GPU offers SwiftShader; a machine with a GPU names its own.
    expect(adapter).toMatch(/swiftshader|llvmpipe|nvidia|amd|radeon|intel|apple|mali|adreno|geforce/i);
    expect(await page.isVisible('[data-testid=no-webgpu]')).toBe(false);

    // Spiral on WebGPU: the page's small default model (2 → 16 → 16 → 1, adam).
    await setControl(page, 'dataset', 'spiral');
    await waitForStatus(page, 'ready', 30_000);
    expect(await page.locator('[data-testid=backend]').inputValue()).toBe('webgpu');
    await snapshotBoundary(page, 'before');
    const gpuLosses = await trainFromScratch(page, 15, 90_000);
    await snapshotBoundary(page, 'after');
    console.log(`[webgpu-train] spiral on WebGPU, displayed loss by epoch: ${gpuLosses.map(([e, l]) => `${e}:${l}`).join(' ')}`);
    const [first, last] = [gpuLosses[0]!, gpuLosses[gpuLosses.length - 1]!];
    expect(first[0]).toBeLessThan(last[0]);
    expect(last[0]).toBe(15);
    expect(last[1]).toBeLessThan(first[1] - 0.03);
    expect(Number(await text(page, 'accuracy'))).toBeGreaterThan(0.55);
    const changed = await changedShare(page, 'before', 'after');
    console.log(`[webgpu-train] boundary pixels changed by training: ${(changed * 100).toFixed(1)}%`);
    expect(changed).toBeGreaterThan(0.05);
    expect(Number((await text(page, 'epochs-per-s')).replace(/,/g, ''))).toBeGreaterThan(0);
    expect(await page.isVisible('[data-testid=error]')).toBe(false);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'demo-spiral-webgpu.png'), fullPage: true });

    // The same data on the CPU reference backend.
    await setControl(page, 'backend', 'cpu');
    await waitForStatus(page, 'ready', 30_000);
    expect(await text(page, 'backend-name')).toBe('CPU');
    const cpuLosses = await trainFromScratch(page, 15, 60_000);
    const [cFirst, cLast] = [cpuLosses[0]!, cpuLosses[cpuLosses.length - 1]!];
    expect(cLast[1]).toBeLessThan(cFirst[1] - 0.03);
    // Same seed, same math: the two backends end at nearly the same loss.
    expect(Math.abs(cLast[1] - last[1])).toBeLessThan(0.02);
    expect(await page.isVisible('[data-testid=error]')).toBe(false);
    await page.screenshot({ path: join(artifacts, 'demo-spiral-cpu.png'), fullPage: true });

    expect(errors).toEqual([]);
    await page.close();
  }, 150_000);

  it('trains a CNN on the MNIST digits: its filters, the feature maps of a drawn digit, its answer', async (ctx) => {
    const { page, errors } = await open(ready(ctx));
    await setControl(page, 'dataset', 'mnist');
    await waitForStatus(page, 'ready', 60_000);
    await setControl(page, 'architecture', 'cnn');
    await waitForStatus(page, 'ready', 30_000);
    expect(await page.locator('[data-testid=layers]').inputValue()).toBe('conv8x3,maxpool2,conv16x3,maxpool2,flatten,32');
    expect(await page.textContent('#model-hint')).toContain('28×28×1 → conv 8 3×3 relu → maxpool 2×2 → conv 16 3×3 relu → maxpool 2×2 → flatten → 32 relu → 10 softmax');
    // 1,000 of the training digits keep an epoch short on a software adapter.
    await page.evaluate(() => {
      const size = document.querySelector<HTMLInputElement>('[data-testid=train-size]')!;
      size.value = '1000';
      size.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await waitForStatus(page, 'ready', 30_000);
    const started = Date.now();
    const cnnLosses = await trainFromScratch(page, 2, 240_000);
    const seconds = (Date.now() - started) / 1000;
    console.log(`[webgpu-train] MNIST CNN on WebGPU in Chromium (1,000 digits, 2 epochs, ${seconds.toFixed(0)} s): loss by epoch ${cnnLosses.map(([e, l]) => `${e}:${l}`).join(' ')}, accuracy ${await text(page, 'accuracy')}`);
    expect(cnnLosses[cnnLosses.length - 1]![1]).toBeLessThan(cnnLosses[0]![1]);
    expect(Number(await text(page, 'accuracy'))).toBeGreaterThan(0.5);
    // The first layer is a convolution: its eight 3×3 filters, and the feature maps of both convolutions.
    expect(await page.textContent('#first-layer-title')).toBe('What the first-layer filters look for');
    expect(await page.locator('[data-testid=weight-images] canvas').count()).toBe(8);
    expect(await page.locator('[data-testid=feature-maps] .maps').count()).toBe(2);
    expect(await page.locator('[data-testid=feature-maps] canvas').count()).toBe(8 + 16);
    expect(await page.textContent('#maps-source')).toBe('the first held-out digit');
    // Draw a "1": the maps and the ten probabilities follow the drawing.
    await page.locator('[data-testid=draw]').scrollIntoViewIfNeeded();
    const pad = (await page.locator('[data-testid=draw]').boundingBox())!;
    await page.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * 0.15);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * (0.15 + 0.07 * i));
    await page.mouse.up();
    await page.waitForFunction(() => document.querySelector('#maps-source')!.textContent === 'your drawing', undefined, { timeout: 30_000 });
    const probs = await page.locator('[data-testid=probs] .pct').allTextContents();
    expect(probs).toHaveLength(10);
    const total = probs.reduce((sum, p) => sum + Number(p.replace('%', '')), 0);
    expect(Math.abs(total - 100)).toBeLessThan(1);
    expect(await page.isVisible('[data-testid=error]')).toBe(false);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'demo-mnist-cnn-webgpu.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 360_000);

  it('without WebGPU, says so and still trains on the CPU backend', async (ctx) => {
    // A browser without navigator.gpu, as most browsers without WebGPU look.
    const { page, errors } = await open(ready(ctx), () => {
      delete (Navigator.prototype as { gpu?: unknown }).gpu;
    });
    expect(await text(page, 'adapter')).toBe('none');
    expect(await page.isVisible('[data-testid=no-webgpu]')).toBe(true);
    expect(await text(page, 'no-webgpu')).toMatch(/no WebGPU/);
    expect(await page.locator('[data-testid=backend]').inputValue()).toBe('cpu');
    const cpuLosses = await trainFromScratch(page, 10, 30_000);
    expect(cpuLosses[cpuLosses.length - 1]![1]).toBeLessThan(cpuLosses[0]![1]);
    expect(await page.isVisible('[data-testid=error]')).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
