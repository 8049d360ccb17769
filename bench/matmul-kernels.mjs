// Naive, tiled (each tile shape) and register-blocked matmul on the WebGPU
// adapter, in one process, side by side:
// GFLOP/s (2·M·N·K per product), median of timed runs after a warm-up, timed
// to GPU completion (flush waits for the queue). Results are checked against
// each other so speed never hides a wrong answer. The last two columns are
// matmul's own choice: by the rules, then after autotuning that shape (the
// tuning time and the decision are printed below the table).
//   npm run bench:kernels [-- --sizes 256,512,1024 --runs 5]
import { WebGpuBackend } from '../dist/index.js';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { sizes: { type: 'string', default: '256,512,1024' }, runs: { type: 'string', default: '5' } },
});
const sizes = values.sizes.split(',').map(Number);
const runs = Number(values.runs);

const gpu = await WebGpuBackend.create();
console.log(`adapter: ${gpu.adapterName}`);
const VARIANTS = [
  { name: 'naive', kernel: 'naive' },
  { name: 'tiled 32²', kernel: 'tiled', tile: 'small' },
  { name: 'tiled 64²', kernel: 'tiled', tile: 'large' },
  { name: 'tiled 128²', kernel: 'tiled', tile: 'huge' },
  { name: 'register', kernel: 'register' },
  { name: 'rules', kernel: 'rules' },
  { name: 'tuned', kernel: 'tuned' },
];
const tunings = [];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const n of sizes) {
  const rand = () => Float32Array.from({ length: n * n }, () => Math.random() * 2 - 1);
  const a = gpu.tensor(rand(), [n, n]);
  const b = gpu.tensor(rand(), [n, n]);
  const row = { size: n };
  const results = {};
  const product = (kernel) => (kernel === 'rules' || kernel === 'tuned' ? gpu.matmul(a, b) : gpu.matmulWith(kernel, a, b));
  for (const { name, kernel, tile } of VARIANTS) {
    if (tile) gpu.tuning.gemmTile = tile;
    if (kernel === 'tuned') {
      const tuned = await gpu.tuneMatmul([{ M: n, N: n, K: n }]);
      const [bucket] = tuned.buckets;
      tunings.push(`${n}: tuned in ${tuned.ms.toFixed(0)} ms on the ${tuned.clock === 'gpu' ? "GPU's timestamps" : 'wall clock'}, ${bucket.key} -> ${JSON.stringify(bucket.decision)}`);
    }
    const warm = product(kernel);
    results[name] = await warm.data();
    warm.dispose();
    const times = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const c = product(kernel);
      await gpu.flush();
      times.push(performance.now() - t0);
      c.dispose();
    }
    delete gpu.tuning.gemmTile;
    row[name] = (2 * n ** 3) / (median(times) / 1000) / 1e9;
  }
  let maxDiff = 0;
  for (const { name } of VARIANTS) for (let i = 0; i < results[name].length; i++) maxDiff = Math.max(maxDiff, Math.abs(results[name][i] - results.naive[i]));
  row.maxDiff = maxDiff;
  rows.push(row);
  a.dispose();
  b.dispose();
}
console.log(`GFLOP/s\nsize   ${VARIANTS.map((v) => v.name.padStart(11)).join(' ')}   max |err vs naive|`);
for (const r of rows) {
  console.log(`${String(r.size).padEnd(6)} ${VARIANTS.map((v) => r[v.name].toFixed(2).padStart(11)).join(' ')}   ${r.maxDiff.toExponential(2).padStart(18)}`);
}
for (const t of tunings) console.log(t);
gpu.destroy();
