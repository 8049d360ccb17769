// A page built with Vite into a temporary folder of its own, served on
// 127.0.0.1, with headless Chromium to drive it: set up before a test file's
// tests and closed after. Without Chromium the tests are skipped, unless
// REQUIRE_BROWSER is set (as on CI): then it is an error.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, type TestContext } from 'vitest';
import { browserRequired, findChromium, launchChromium } from './chromium.js';
import { serveFolder, type StaticServer } from './static-server.js';

export const repo = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

export interface BuiltPage {
  /** The browser, or the test is skipped (no Chromium, and REQUIRE_BROWSER unset). */
  ready(ctx: TestContext): Browser;
  /** The server of the built folder (after ready). */
  server(): StaticServer;
  /** The built folder, served as the server's root (after ready). */
  outDir(): string;
}

/**
 * `what` names the test in the REQUIRE_BROWSER error; `viteArgs` say what
 * vite build builds (a root, or --config FILE), into a folder of its own so
 * that a test never clobbers a build of the user's.
 */
export function useBuiltPage(what: string, viteArgs: readonly string[]): BuiltPage {
  let skipReason: string | undefined;
  let outDir: string | undefined;
  let server: StaticServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    const executable = findChromium();
    if (!executable) {
      const reason = 'no chromium on PATH (Debian: apt-get install chromium)';
      if (browserRequired) throw new Error(`REQUIRE_BROWSER is set but ${what} cannot run: ${reason}`);
      console.warn(`[webgpu-train] browser test skipped: ${reason}`);
      skipReason = reason;
      return;
    }
    outDir = mkdtempSync(join(tmpdir(), 'webgpu-train-page-'));
    const vite = join(repo, 'node_modules', 'vite', 'bin', 'vite.js');
    await run(process.execPath, [vite, 'build', ...viteArgs, '--logLevel', 'error', '--outDir', outDir, '--emptyOutDir'], { cwd: repo });
    server = await serveFolder(outDir);
    browser = await launchChromium(executable);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  return {
    ready(ctx) {
      if (skipReason || !browser) {
        ctx.skip(skipReason ?? 'no browser');
        throw new Error('unreachable');
      }
      return browser;
    },
    server: () => server!,
    outDir: () => outDir!,
  };
}
