// The demo page's TensorFlow-Playground parts in headless Chromium: a link
// reproduces a run, L2 shrinks the weights, feature inputs change the
// boundary, regression shows no accuracy, discretize draws hard colours, and
// the overfitting presets. The 2-D sets train on the CPU backend here: on a
// software adapter it is the faster one, and the math is the same.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { artifacts, changedShare, setControl, snapshotBoundary, text, trainFromScratch, useDemoPage, waitForStatus } from './demo-page.js';

const { ready, open } = useDemoPage();

/** A value other than the page's default for every control (the backend is the CPU, the page's default on a software adapter). */
const FULL_STATE: Record<string, string> = {
  dataset: 'moons',
  noise: '0.2',
  points: '200',
  ratio: '70',
  features: 'x1,x2,x1sq,x2sq,x1x2',
  layers: '8,6',
  activation: 'tanh',
  loss: 'meanSquaredError',
  optimizer: 'momentum',
  lr: '0.03',
  reg: 'l1',
  regRate: '0.0003',
  mode: 'sgd',
  batch: '8',
  epochs: '10',
  seed: '7',
  backend: 'cpu',
  discretize: '1',
};

/** Each hash key's control, by data-testid. */
const CONTROL_OF: Record<string, string> = {
  dataset: 'dataset', noise: 'noise', points: 'train-size', ratio: 'train-ratio', layers: 'layers', activation: 'activation', loss: 'loss-fn',
  optimizer: 'optimizer', lr: 'lr', reg: 'regularization', regRate: 'regularization-rate', mode: 'mode', batch: 'batch-size', epochs: 'epochs', seed: 'seed', backend: 'backend',
};
const FEATURES = ['x1', 'x2', 'x1sq', 'x2sq', 'x1x2', 'sinx1', 'sinx2'];

const hashOf = (state: Record<string, string>): string => `#${Object.entries(state).map(([k, v]) => `${k}=${v}`).join('&')}`;

function decode(hash: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(hash.replace(/^.*#/, '')));
}

/** The controls as the page shows them, keyed as in the hash. */
async function shownState(page: Page): Promise<Record<string, string>> {
  const state: Record<string, string> = {};
  for (const [key, id] of Object.entries(CONTROL_OF)) state[key] = await page.locator(`[data-testid=${id}]`).inputValue();
  const ticked: string[] = [];
  for (const f of FEATURES) if (await page.locator(`[data-testid=feature-${f}]`).isChecked()) ticked.push(f);
  state.features = ticked.join(',');
  state.discretize = (await page.locator('[data-testid=discretize]').isChecked()) ? '1' : '0';
  return state;
}

/** Trains from the page's current settings and returns the displayed training loss, test loss and weight norm. */
async function trainAndRead(page: Page, epochs: number): Promise<{ losses: [number, number][]; loss: string; valLoss: string; norm: string; ms: number }> {
  const started = Date.now();
  const losses = await trainFromScratch(page, epochs, 60_000);
  return { losses, loss: await text(page, 'loss'), valLoss: await text(page, 'val-loss'), norm: await text(page, 'weight-norm'), ms: Date.now() - started };
}

/** The boundary canvas's colours: how many cover more than 0.5% of it, and the share of the two commonest. */
async function colourCounts(page: Page): Promise<{ distinct: number; major: number; topTwoShare: number }> {
  return page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('[data-testid=boundary]')!;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const counts = new Map<number, number>();
    for (let i = 0; i < d.length; i += 4) {
      const key = (d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const n = d.length / 4;
    const sorted = [...counts.values()].sort((a, b) => b - a);
    return { distinct: counts.size, major: sorted.filter((v) => v > 0.005 * n).length, topTwoShare: (sorted[0]! + (sorted[1] ?? 0)) / n };
  });
}

/** Pixels of the boundary canvas darker than any shading: the fitted curve's line and the points' outlines. */
function darkPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('[data-testid=boundary]')!;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i]! + d[i + 1]! + d[i + 2]! < 200) n++;
    return n;
  });
}

function screenshot(page: Page, name: string): Promise<Buffer> {
  mkdirSync(artifacts, { recursive: true });
  const path = join(artifacts, name);
  console.log(`[webgpu-train] screenshot: ${path}`);
  return page.screenshot({ path, fullPage: true });
}

describe('demo page: the Playground features', () => {
  it('a link with every control set reproduces the run exactly, and "copy link" gives that link back', async (ctx) => {
    const browser = ready(ctx);
    const hash = hashOf(FULL_STATE);
    const first = await open(browser, undefined, hash);
    expect(await shownState(first.page)).toEqual(FULL_STATE);
    // The page keeps the hash as it reads it (plus the controls a link may leave out).
    const kept = decode(await first.page.evaluate(() => location.hash));
    for (const [k, v] of Object.entries(FULL_STATE)) expect(kept[k], k).toBe(v);
    expect(await first.page.textContent('#data-hint')).toContain('200 points drawn: 140 to train on, 60 held out');
    const a = await trainAndRead(first.page, 10);

    const second = await open(browser, undefined, hash);
    expect(await shownState(second.page)).toEqual(FULL_STATE);
    const b = await trainAndRead(second.page, 10);
    console.log(`[webgpu-train] playground link ${hash}: page 1 loss ${a.loss} (test ${a.valLoss}, ‖W‖ ${a.norm}, ${a.ms} ms), page 2 loss ${b.loss} (test ${b.valLoss}, ‖W‖ ${b.norm}, ${b.ms} ms)`);
    // The same link, the same run: every displayed figure equal to the last digit.
    expect(b.loss).toBe(a.loss);
    expect(b.valLoss).toBe(a.valLoss);
    expect(b.norm).toBe(a.norm);
    expect(b.losses).toEqual(a.losses);
    expect(a.losses[a.losses.length - 1]![1]).toBeLessThan(a.losses[0]![1]);

    // "copy link": the clipboard gets this page's address with the same settings.
    await second.page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await second.page.click('[data-testid=copy-link]');
    await second.page.waitForFunction(() => document.querySelector('[data-testid=copy-link-result]')!.textContent !== '', undefined, { timeout: 5_000 });
    expect(await text(second.page, 'copy-link-result')).toBe('copied');
    const copied = await second.page.evaluate(() => navigator.clipboard.readText());
    console.log(`[webgpu-train] playground copied link: ${copied}`);
    expect(copied).toBe(await second.page.evaluate(() => location.href));
    const fromClipboard = decode(copied);
    for (const [k, v] of Object.entries(FULL_STATE)) expect(fromClipboard[k], k).toBe(v);

    // Without clipboard access the link is shown to copy by hand.
    await second.page.context().clearPermissions();
    await second.page.evaluate(() => {
      Object.defineProperty(navigator, 'clipboard', { value: { writeText: () => Promise.reject(new Error('denied')) } });
    });
    await second.page.click('[data-testid=copy-link]');
    await second.page.waitForSelector('[data-testid=copy-link-text]', { timeout: 5_000 });
    expect(await second.page.locator('[data-testid=copy-link-text]').inputValue()).toBe(copied);

    // A link pasted into the address bar of an open page: the run it describes.
    await second.page.evaluate(() => {
      location.hash = '#dataset=xor&backend=cpu&layers=5&reg=l2&regRate=0.01';
    });
    await second.page.waitForFunction(() => (document.querySelector('[data-testid=status]')!.textContent ?? '').startsWith('ready — new model'), undefined, { timeout: 30_000 });
    expect(await text(second.page, 'status')).toBe('ready — new model: weights reset because the link changed');
    const pasted = await shownState(second.page);
    expect([pasted.dataset, pasted.layers, pasted.reg, pasted.regRate]).toEqual(['xor', '5', 'l2', '0.01']);
    // Controls the link leaves out keep their values (the moons link's seed).
    expect(pasted.seed).toBe('7');

    expect(first.errors).toEqual([]);
    expect(second.errors).toEqual([]);
    await first.page.close();
    await second.page.close();
  }, 90_000);

  it('L2 regularization shrinks the first layer\'s weights (the ‖W‖ stat)', async (ctx) => {
    const browser = ready(ctx);
    const base = { dataset: 'spiral', backend: 'cpu', layers: '16,16', lr: '0.03', epochs: '40' };
    const plain = await open(browser, undefined, hashOf({ ...base, reg: 'none' }));
    const withL2 = await open(browser, undefined, hashOf({ ...base, reg: 'l2', regRate: '0.003' }));
    // Same seed, same starting weights.
    expect(await text(withL2.page, 'weight-norm')).toBe(await text(plain.page, 'weight-norm'));
    const start = await text(plain.page, 'weight-norm');
    const a = await trainAndRead(plain.page, 40);
    const b = await trainAndRead(withL2.page, 40);
    const ratio = Number(b.norm) / Number(a.norm);
    console.log(`[webgpu-train] playground ‖W‖ (first layer) after 40 epochs of spiral: ${a.norm} without regularization, ${b.norm} with L2 0.003 (ratio ${ratio.toFixed(3)}; both started at ${start}); loss ${a.loss} vs ${b.loss} (the L2 loss includes its penalty)`);
    expect(ratio).toBeLessThan(0.9);
    expect(plain.errors).toEqual([]);
    expect(withL2.errors).toEqual([]);
    await plain.page.close();
    await withL2.page.close();
  }, 60_000);

  it('feature inputs change the boundary: x₁, x₂ against x₁, x₂, x₁², x₂²; none is refused', async (ctx) => {
    const { page, errors } = await open(ready(ctx), undefined, hashOf({ dataset: 'circles', backend: 'cpu', layers: '4', epochs: '15' }));
    expect(await page.locator('[data-testid=features] input[type=checkbox]').count()).toBe(7);
    await trainAndRead(page, 15);
    await snapshotBoundary(page, 'linear');
    for (const f of ['x1sq', 'x2sq']) {
      await page.click(`[data-testid=feature-${f}]`);
      await waitForStatus(page, 'ready', 30_000);
    }
    expect(await page.evaluate(() => location.hash)).toContain('features=x1,x2,x1sq,x2sq');
    expect(await page.textContent('#model-hint')).toMatch(/^4 → 4 relu/);
    const squares = await trainAndRead(page, 15);
    await snapshotBoundary(page, 'squares');
    const changed = await changedShare(page, 'linear', 'squares');
    console.log(`[webgpu-train] playground circles, 15 epochs: boundary pixels changed by adding x₁², x₂²: ${(changed * 100).toFixed(1)}% (loss with them ${squares.loss})`);
    expect(changed).toBeGreaterThan(0.05);
    expect(errors).toEqual([]);

    // No feature at all: the page says what to do instead of training on nothing.
    for (const f of ['x1', 'x2', 'x1sq', 'x2sq']) await page.click(`[data-testid=feature-${f}]`);
    await waitForStatus(page, 'stopped', 30_000);
    expect(await text(page, 'error')).toContain('tick at least one input feature');
    await page.close();
  }, 60_000);

  it('regression (a curve, and bumps over the plane): the loss falls, no accuracy anywhere, the fit is drawn', async (ctx) => {
    const { page, errors } = await open(ready(ctx), undefined, hashOf({ dataset: 'curve', backend: 'cpu', lr: '0.03', epochs: '60' }));
    expect(await page.locator('[data-testid=loss-fn] option').allTextContents()).toEqual(['mean squared error (linear output)']);
    expect(await page.isVisible('[data-testid=features]')).toBe(false);
    expect(await page.textContent('#model-hint')).toMatch(/^1 → 16 tanh → 16 tanh → 1 linear/);
    expect(await page.getAttribute('[data-testid=boundary]', 'data-view')).toBe('curve');
    const curve = await trainAndRead(page, 60);
    const [first, last] = [curve.losses[0]![1], curve.losses[curve.losses.length - 1]![1]];
    const dark = await darkPixels(page);
    console.log(`[webgpu-train] playground curve regression, 60 epochs: loss ${first} → ${last} (test ${curve.valLoss}), ${curve.ms} ms; fitted line ${dark} dark pixels`);
    expect(last).toBeLessThan(first * 0.5);
    expect(await text(page, 'accuracy')).toBe('–');
    expect(await page.isVisible('#acc-panel')).toBe(false);
    expect(await page.isVisible('.legend .c1')).toBe(false);
    expect(dark).toBeGreaterThan(300);
    await screenshot(page, 'playground-regression-curve.png');

    await setControl(page, 'dataset', 'bumps');
    await waitForStatus(page, 'ready', 30_000);
    expect(await page.getAttribute('[data-testid=boundary]', 'data-view')).toBe('surface');
    expect(await page.isVisible('[data-testid=features]')).toBe(true);
    const bumps = await trainAndRead(page, 30);
    const colours = await colourCounts(page);
    console.log(`[webgpu-train] playground bumps regression, 30 epochs: loss ${bumps.losses[0]![1]} → ${bumps.loss} (test ${bumps.valLoss}); surface ${colours.distinct} colours`);
    expect(bumps.losses[bumps.losses.length - 1]![1]).toBeLessThan(bumps.losses[0]![1]);
    expect(await text(page, 'accuracy')).toBe('–');
    expect(await page.isVisible('#acc-panel')).toBe(false);
    expect(colours.distinct).toBeGreaterThan(50);
    await screenshot(page, 'playground-regression-bumps.png');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('discretize draws hard class colours instead of the shading', async (ctx) => {
    const { page, errors } = await open(ready(ctx), undefined, hashOf({ dataset: 'circles', backend: 'cpu', epochs: '15' }));
    await trainAndRead(page, 15);
    const shaded = await colourCounts(page);
    await page.click('[data-testid=discretize]');
    await page.waitForFunction(() => location.hash.includes('discretize=1'));
    await expect.poll(async () => (await colourCounts(page)).topTwoShare, { timeout: 10_000 }).toBeGreaterThan(0.85);
    const hard = await colourCounts(page);
    console.log(
      `[webgpu-train] playground discretize: shaded ${shaded.distinct} colours (${shaded.major} over 0.5% of the canvas, top two ${(shaded.topTwoShare * 100).toFixed(1)}%); discretized ${hard.distinct} colours (${hard.major} over 0.5%, top two ${(hard.topTwoShare * 100).toFixed(1)}%)`,
    );
    // The two class colours, and the two colours of the data points drawn over them.
    expect(hard.major).toBeLessThanOrEqual(4);
    expect(shaded.major).toBeGreaterThan(hard.major);
    expect(shaded.topTwoShare).toBeLessThan(hard.topTwoShare);
    expect(errors).toEqual([]);
    await page.close();
  }, 45_000);

  it('the overfitting presets: test loss above training loss; L2 and dropout narrow the gap', async (ctx) => {
    const { page, errors } = await open(ready(ctx));
    await setControl(page, 'backend', 'cpu');
    await waitForStatus(page, 'ready', 30_000);
    const runs: Record<string, { loss: number; valLoss: number; norm: string; ms: number }> = {};
    for (const preset of ['overfitting', 'overfitting-l2', 'overfitting-dropout']) {
      await setControl(page, 'preset', preset);
      await waitForStatus(page, 'ready', 30_000);
      expect(await page.locator('[data-testid=train-size]').inputValue()).toBe('40');
      expect(decode(await page.evaluate(() => location.hash)).reg).toBe(preset === 'overfitting-l2' ? 'l2' : 'none');
      const r = await trainAndRead(page, 100);
      runs[preset] = { loss: Number(r.loss), valLoss: Number(r.valLoss), norm: r.norm, ms: r.ms };
      await screenshot(page, `playground-${preset}.png`);
    }
    console.log(`[webgpu-train] playground presets after 100 epochs (training loss / test loss / ‖W‖ / ms): ${Object.entries(runs).map(([k, r]) => `${k} ${r.loss} / ${r.valLoss} / ${r.norm} / ${r.ms}`).join('; ')}`);
    const over = runs.overfitting!;
    expect(over.valLoss).toBeGreaterThan(over.loss * 2);
    expect(runs['overfitting-l2']!.valLoss).toBeLessThan(over.valLoss * 0.6);
    expect(runs['overfitting-dropout']!.valLoss).toBeLessThan(over.valLoss * 0.6);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
