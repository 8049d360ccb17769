import { defineConfig } from 'vite';

// The benchmark as one ESM file for machines without node_modules
// (bench/pack-for-gpu.sh): our library (from dist/), TensorFlow.js and Vega are
// inlined; only Dawn's native bindings ('webgpu') and Node's builtins stay imports.
// BENCH_ENTRY=dawn-toggles bundles bench/dawn-toggles.mjs (npm run bench:dawn) the same way.
const entry = process.env.BENCH_ENTRY ?? 'run';
export default defineConfig({
  logLevel: 'warn',
  build: {
    ssr: `bench/${entry}.mjs`,
    outDir: '.device',
    emptyOutDir: false,
    target: 'node20',
    minify: true,
    sourcemap: false,
    rollupOptions: {
      external: ['webgpu', /^node:/],
      output: {
        entryFileNames: entry === 'run' ? 'bench.mjs' : `${entry}.mjs`,
        codeSplitting: false,
        // TF.js's wasm loader is CommonJS: it calls require() for Node builtins and
        // looks for its .wasm files from __dirname, which an ES module lacks.
        banner: [
          "import { createRequire as __createRequire } from 'node:module';",
          "import { fileURLToPath as __fileURLToPath } from 'node:url';",
          'const require = __createRequire(import.meta.url);',
          'const __filename = __fileURLToPath(import.meta.url);',
          "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
        ].join('\n'),
      },
    },
  },
  ssr: { target: 'node', noExternal: true },
});
