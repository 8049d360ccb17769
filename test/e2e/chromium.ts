// Debian's Chromium, driven by playwright-core: never a browser download.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export { browserRequired } from '../helpers/required.js';

/** The chromium on PATH (Debian's /usr/bin/chromium), or undefined. */
export function findChromium(): string | undefined {
  try {
    const found = execFileSync('/bin/sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim();
    if (found) return found;
  } catch {
    // not on PATH
  }
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
}

export function launchChromium(executablePath: string): Promise<Browser> {
  // Playwright adds --headless and gives every launch a fresh, temporary profile
  // (it refuses --user-data-dir here); --no-sandbox is what root needs.
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      // Without a GPU, Chromium offers WebGPU only with this flag: SwiftShader's Vulkan adapter.
      '--enable-unsafe-webgpu',
      '--disable-gpu-sandbox',
      // The machine's network is closed: keep Chromium from trying to phone home.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}
