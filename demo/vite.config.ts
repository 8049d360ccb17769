// The demo page: `npm run demo` serves it, `npm run build:demo` writes a
// static site to dist-demo/. The library is imported from source, so its
// WGSL kernels arrive through the same `?raw` imports the library build uses.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { mnistDigits } from './mnist-plugin.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  // Relative asset paths: the built site works from any folder or sub-path.
  base: './',
  plugins: [mnistDigits()],
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  build: {
    outDir: here('../dist-demo'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // chart.js is most of the bundle; one chunk keeps the static site simple.
    chunkSizeWarningLimit: 1024,
  },
});
