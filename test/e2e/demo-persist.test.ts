// The demo page keeps its models: "save model" downloads model.json +
// weights.bin (the TensorFlow.js layers format), "load model" takes the two
// files back into a fresh page (controls set to match, weights kept, the same
// predictions), a model made for other data is refused in one line, and the
// last trained model survives a reload in IndexedDB. CPU backend throughout:
// here the question is the files, not the speed.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Download, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { setControl, text, trainFromScratch, useDemoPage, waitForStatus } from './demo-page.js';

const { ready, open } = useDemoPage();
const dir = mkdtempSync(join(tmpdir(), 'webgpu-train-demo-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The current model's outputs for the first validation samples, read in the page. */
const predictions = (page: Page): Promise<number[]> =>
  page.evaluate(() => (window as unknown as { webgpuTrainDemo: { predictions(n: number): Promise<number[]> } }).webgpuTrainDemo.predictions(64));

const maxDiff = (a: number[], b: number[]): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

const boundaryImage = (page: Page): Promise<string> => page.evaluate(() => document.querySelector<HTMLCanvasElement>('[data-testid=boundary]')!.toDataURL());

async function waitForStatusText(page: Page, prefix: string, timeout: number): Promise<void> {
  try {
    await page.waitForFunction((p) => (document.querySelector('[data-testid=status]')!.textContent ?? '').startsWith(p), prefix, { timeout, polling: 100 });
  } catch (e) {
    const error = (await page.isVisible('[data-testid=error]')) ? await page.textContent('[data-testid=error]') : 'none';
    throw new Error(`status never began with '${prefix}' (it is '${await text(page, 'status')}', error shown: ${error})`, { cause: e });
  }
}

const controls = async (page: Page) => ({
  layers: await page.locator('[data-testid=layers]').inputValue(),
  activation: await page.locator('[data-testid=activation]').inputValue(),
  loss: await page.locator('[data-testid=loss-fn]').inputValue(),
  optimizer: await page.locator('[data-testid=optimizer]').inputValue(),
  lr: await page.locator('[data-testid=lr]').inputValue(),
});

describe('demo page: saving and loading models', () => {
  it('save model downloads model.json + weights.bin; load model in a fresh page sets the controls and predicts the same; other data is refused in one line; IndexedDB keeps the last model across a reload', async (ctx) => {
    const browser = ready(ctx);
    const { page, errors, warnings } = await open(browser);
    expect(await page.locator('[data-testid=backend]').inputValue()).toBe('cpu');
    // A fresh browser profile keeps no model yet.
    expect(await page.isVisible('[data-testid=restore-model]')).toBe(false);

    // A model unlike the page's default (16,16 relu, adam 0.01), so the loaded controls must move.
    await setControl(page, 'layers', '8,8');
    await waitForStatus(page, 'ready', 30_000);
    await setControl(page, 'activation', 'tanh');
    await waitForStatus(page, 'ready', 30_000);
    await setControl(page, 'optimizer', 'sgd');
    await waitForStatus(page, 'ready', 30_000);
    await setControl(page, 'lr', '0.1');
    await waitForStatus(page, 'ready', 30_000);
    await trainFromScratch(page, 5, 30_000);
    const saved = await controls(page);
    const before = await predictions(page);
    const image = await boundaryImage(page);
    expect(before).toHaveLength(64);

    // The run's end kept the model in IndexedDB.
    await page.waitForFunction(() => document.querySelector('[data-testid=persist-hint]')!.textContent!.startsWith('Kept in this browser'), undefined, { timeout: 10_000 });

    // Downloads: two files, caught by Playwright and kept in a folder.
    const downloads: Download[] = [];
    page.on('download', (d) => downloads.push(d));
    await page.click('[data-testid=save-model]');
    await expect.poll(() => downloads.length, { timeout: 10_000 }).toBe(2);
    const files: string[] = [];
    for (const d of downloads) {
      const path = join(dir, d.suggestedFilename());
      await d.saveAs(path);
      files.push(path);
    }
    const names = downloads.map((d) => d.suggestedFilename()).sort();
    expect(names).toEqual(['webgpu-train-spiral.json', 'webgpu-train-spiral.weights.bin']);
    console.log(`[webgpu-train] demo save model: ${names.map((n) => `${n} (${statSync(join(dir, n)).size} bytes)`).join(', ')}`);
    // 2·8+8 + 8·8+8 + 8·1+1 = 105 float32 weights.
    expect(statSync(join(dir, 'webgpu-train-spiral.weights.bin')).size).toBe(105 * 4);

    // A fresh page (its own browser context: no IndexedDB copy) loads the two files.
    const fresh = await open(browser);
    expect(await fresh.page.isVisible('[data-testid=restore-model]')).toBe(false);
    expect((await controls(fresh.page)).layers).toBe('16,16');
    await fresh.page.setInputFiles('[data-testid=load-model]', files);
    await waitForStatusText(fresh.page, 'ready — loaded', 30_000);
    expect(await controls(fresh.page)).toEqual(saved);
    const after = await predictions(fresh.page);
    const diff = maxDiff(before, after);
    const sameImage = (await boundaryImage(fresh.page)) === image;
    console.log(`[webgpu-train] demo load model: controls ${JSON.stringify(await controls(fresh.page))}; max |Δ| of 64 predictions after load ${diff.toExponential(2)}; boundary canvas identical: ${sameImage}`);
    expect(diff).toBeLessThan(1e-6);
    expect(sameImage).toBe(true);
    expect(await text(fresh.page, 'epoch')).toBe('0');
    expect(await fresh.page.isVisible('[data-testid=error]')).toBe(false);

    // The loaded model trains on from its weights: one more epoch moves the predictions, and says so accurately.
    await fresh.page.click('[data-testid=step]');
    await waitForStatus(fresh.page, 'paused', 30_000);
    expect(await text(fresh.page, 'status')).toBe('paused after epoch 1');
    expect(maxDiff(after, await predictions(fresh.page))).toBeGreaterThan(1e-4);

    // The same files on the digits: one line naming the file, the model's input shape and the data set's; nothing changes.
    await setControl(fresh.page, 'dataset', 'mnist');
    await waitForStatus(fresh.page, 'ready', 60_000);
    const mnistControls = await controls(fresh.page);
    const mnistBefore = await predictions(fresh.page);
    await fresh.page.setInputFiles('[data-testid=load-model]', files);
    await waitForStatusText(fresh.page, 'ready — nothing loaded', 30_000);
    const error = await text(fresh.page, 'error');
    console.log(`[webgpu-train] demo load model on the wrong data set: "${error}"`);
    expect(error.split('\n')).toHaveLength(1);
    expect(error).toContain('webgpu-train-spiral.json');
    expect(error).toContain('[2]');
    expect(error).toContain("'mnist'");
    expect(error).toContain('[784]');
    expect(await controls(fresh.page)).toEqual(mnistControls);
    expect(maxDiff(mnistBefore, await predictions(fresh.page))).toBe(0);
    expect(fresh.errors).toHaveLength(1);
    expect(fresh.errors[0]).toContain(error);

    // And the other way round: a digits model on a 2-D set.
    await fresh.page.evaluate(() => {
      const size = document.querySelector<HTMLInputElement>('[data-testid=train-size]')!;
      size.value = '100';
      size.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await waitForStatus(fresh.page, 'ready', 30_000);
    await fresh.page.click('[data-testid=step]');
    await waitForStatus(fresh.page, 'paused', 60_000);
    const digitFiles: Download[] = [];
    fresh.page.on('download', (d) => digitFiles.push(d));
    await fresh.page.click('[data-testid=save-model]');
    await expect.poll(() => digitFiles.length, { timeout: 10_000 }).toBe(2);
    const mnistPaths: string[] = [];
    for (const d of digitFiles) {
      mnistPaths.push(join(dir, d.suggestedFilename()));
      await d.saveAs(mnistPaths[mnistPaths.length - 1]!);
    }
    await setControl(fresh.page, 'dataset', 'moons');
    await waitForStatus(fresh.page, 'ready', 30_000);
    await fresh.page.setInputFiles('[data-testid=load-model]', mnistPaths);
    await waitForStatusText(fresh.page, 'ready — nothing loaded', 30_000);
    const error2 = await text(fresh.page, 'error');
    console.log(`[webgpu-train] demo load of a digits model on a 2-D set: "${error2}"`);
    expect(error2.split('\n')).toHaveLength(1);
    expect(error2).toContain('webgpu-train-mnist.json');
    expect(error2).toMatch(/input shape is \[784\] but the data set 'moons' has input shape \[2\]/);
    expect(fresh.warnings).toEqual([]);
    await fresh.page.close();

    // IndexedDB: after a reload the page offers the last model; restoring brings its controls, epochs and answers back.
    await page.reload();
    await waitForStatus(page, 'ready', 60_000);
    // The page starts on new weights, whatever its controls say.
    expect(await text(page, 'epoch')).toBe('0');
    expect(maxDiff(before, await predictions(page))).toBeGreaterThan(1e-3);
    expect(await page.isVisible('[data-testid=restore-model]')).toBe(true);
    await page.click('[data-testid=restore-model]');
    await waitForStatusText(page, 'ready — restored', 30_000);
    expect(await controls(page)).toEqual(saved);
    expect(await text(page, 'epoch')).toBe('5');
    const restored = await predictions(page);
    const restoredDiff = maxDiff(before, restored);
    console.log(`[webgpu-train] demo restore from IndexedDB after a reload: max |Δ| of 64 predictions ${restoredDiff.toExponential(2)}; status "${await text(page, 'status')}"`);
    expect(restoredDiff).toBeLessThan(1e-6);
    expect(await boundaryImage(page)).toBe(image);

    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    await page.close();
  }, 120_000);
});
