import { defineConfig } from 'vitest/config';

// One config for the library build (dist/, WGSL inlined through ?raw imports)
// and for the tests, which import the same sources.
export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    target: 'es2022',
    lib: {
      // index: the library anywhere; node: the same plus file:// (package.json's "node" condition); cli: the command line.
      entry: { index: 'src/index.ts', node: 'src/node.ts', cli: 'src/cli/main.ts' },
      formats: ['es'],
    },
    rollupOptions: {
      // Dawn's native bindings are loaded at run time in Node only.
      external: ['webgpu', 'cli-progress', /^node:/],
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Each file gets its own process and its own GPU device. The software
    // adapter spreads every dispatch over all cores, so files run one at a time.
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
