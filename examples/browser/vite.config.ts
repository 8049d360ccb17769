// Builds this example inside the repository, against the library's source:
// `npx vite examples/browser` serves it, `npx vite build examples/browser` writes
// examples/browser/dist/. In a project of your own, where `npm install
// webgpu-train` puts the package in node_modules, no config is needed.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  resolve: { alias: { 'webgpu-train': fileURLToPath(new URL('../../src/index.ts', import.meta.url)) } },
  // Relative asset paths: the built app works from any folder.
  base: './',
  build: { target: 'es2022' },
});
