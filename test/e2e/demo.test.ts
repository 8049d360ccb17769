// The demo page end to end, in real headless Chromium (see demo-page.ts).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { artifacts, changedShare, setControl, snapshotBoundary, text, trainFromScratch, useDemoPage, waitForStatus } from './demo-page.js';

const { ready, open } = useDemoPage();

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
