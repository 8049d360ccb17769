// The demo page for end-to-end tests in real headless Chromium: the page is
// built with Vite into a folder of its own, served on 127.0.0.1, and driven
// through its data-testid hooks. On a machine without a GPU, Chromium's
// WebGPU adapter is SwiftShader, so networks really train in WGSL, on the
// CPU cores. Each test file calls useDemoPage() once.
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { expect, type TestContext } from 'vitest';
import { repo, useBuiltPage } from './built-page.js';

/** Screenshots land here (git-ignored). */
export const artifacts = join(repo, 'test-artifacts');

export interface DemoPage {
  /** The browser, or the test is skipped (no Chromium, and REQUIRE_BROWSER unset). */
  ready(ctx: TestContext): Browser;
  /** A page on the demo, with every page error and console error collected (console warnings apart); waits for 'ready'. */
  open(b: Browser, init?: () => void, hash?: string): Promise<{ page: Page; errors: string[]; warnings: string[] }>;
}

/** Builds and serves the demo before the file's tests, and closes everything after. */
export function useDemoPage(): DemoPage {
  const built = useBuiltPage("the demo's browser test", ['--config', 'demo/vite.config.ts']);
  return {
    ready: (ctx) => built.ready(ctx),
    async open(b, init, hash = '') {
      const page = await b.newPage({ viewport: { width: 1400, height: 1000 } });
      const errors: string[] = [];
      const warnings: string[] = [];
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
        if (m.type() === 'warning') warnings.push(m.text());
      });
      if (init) await page.addInitScript(init);
      await page.goto(built.server().url + hash);
      await waitForStatus(page, 'ready', 60_000);
      return { page, errors, warnings };
    },
  };
}

/** The page's status line: 'ready', 'training', 'done', 'paused', … */
export async function waitForStatus(page: Page, status: string, timeout: number): Promise<void> {
  try {
    await page.waitForFunction((s) => document.body.dataset.status === s, status, { timeout, polling: 100 });
  } catch (e) {
    const error = (await page.isVisible('[data-testid=error]')) ? await page.textContent('[data-testid=error]') : 'none';
    throw new Error(`status never became '${status}' (it is '${await page.textContent('[data-testid=status]')}', error shown: ${error})`, { cause: e });
  }
}

export const text = async (page: Page, id: string): Promise<string> => ((await page.textContent(`[data-testid=${id}]`)) ?? '').trim();

/** Pixels of the boundary canvas, kept in the page for a later comparison. */
export async function snapshotBoundary(page: Page, key: string): Promise<void> {
  await page.evaluate((k) => {
    const c = document.querySelector<HTMLCanvasElement>('[data-testid=boundary]')!;
    const w = window as unknown as Record<string, Uint8ClampedArray>;
    w[k] = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
  }, key);
}

/** The share of boundary pixels that differ between two snapshots. */
export function changedShare(page: Page, a: string, b: string): Promise<number> {
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
export async function recordLosses(page: Page): Promise<void> {
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

export const losses = (page: Page): Promise<[number, number][]> => page.evaluate(() => (window as unknown as { losses: [number, number][] }).losses);

/** Sets a control and fires its change event, as a visitor's edit does. */
export async function setControl(page: Page, id: string, value: string): Promise<void> {
  const el = page.locator(`[data-testid=${id}]`);
  if ((await el.evaluate((e) => e.tagName)) === 'SELECT') await el.selectOption(value);
  else await el.fill(value);
  await el.dispatchEvent('change');
}

/** Trains the current model for `epochs` epochs from scratch and returns the displayed losses. */
export async function trainFromScratch(page: Page, epochs: number, timeout: number): Promise<[number, number][]> {
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

