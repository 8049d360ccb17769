// `npm run bench`: every engine, every workload, side by side in one process
// on the same adapter and data. Progress goes to stderr; the table (or --json)
// to stdout; results.json, report.md and the charts to bench/results/ (--out).
// After our rows, the same workloads in PyTorch and JAX when the machine's
// python3 has them (bench/anchors/). Exit code 1 when a correctness check fails
// (or --anchors on finds no anchors), 2 on a bad option.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOptions, UsageError, WORKLOADS } from './options.mjs';
import { oursEngine } from './engine-ours.mjs';
import { tfjsEngine } from './engine-tfjs.mjs';
import { loadMnist } from './data.mjs';
import { TimeGuard } from './measure.mjs';
import { Results } from './results.mjs';
import { WORKLOAD_FUNCTIONS } from './workloads.mjs';
import { markdownReport, textTable, toJson } from './report.mjs';
import { writeCharts } from './charts.mjs';
import { AnchorsUnavailable, describeProbe, probeAnchors, runAnchors } from './anchors/anchors.mjs';

const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);

async function openEngine(id) {
  try {
    const [family, backend] = id.split(/-(.*)/);
    return family === 'ours' ? await oursEngine(backend) : await tfjsEngine(backend);
  } catch (e) {
    return { id, unavailable: e.message.split('\n')[0] };
  }
}

/** The sizes as numbers (the scaling run's sample counts per batch size spelled out). */
function describeSizes(sizes) {
  const { batchSamples, ...scaling } = sizes.scaling;
  return { ...sizes, scaling: { ...scaling, samplesPerBatchSize: Object.fromEntries(scaling.batches.map((b) => [b, batchSamples(b)])) } };
}

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.help) {
    console.log(opts.help);
    return 0;
  }
  // Asked first, so that --anchors on fails before minutes of measuring.
  const anchors = await probeAnchors(opts.anchors);
  log(describeProbe(anchors));
  const engines = [];
  for (const id of opts.engines) {
    const engine = await openEngine(id);
    log(engine.unavailable ? `${id}: unavailable (${engine.unavailable})` : `${id}: ${engine.label} · ${engine.adapter}`);
    engines.push(engine);
  }
  const ours = engines.find((e) => e.id === 'ours-webgpu');
  if (ours?.unavailable && /^(1|true)$/.test(process.env.REQUIRE_GPU ?? '')) {
    throw new Error(`REQUIRE_GPU is set but webgpu-train could not open a WebGPU adapter: ${ours.unavailable}`);
  }
  const running = engines.filter((e) => !e.unavailable);
  const gpu = running.find((e) => e.isGpu);
  // 4096² only where a hardware GPU makes it quick.
  if (gpu && !gpu.isSoftwareAdapter && gpu.id === 'ours-webgpu' && !opts.sizesGiven && !opts.smoke) opts.sizes.matmul.sizes.push(4096);

  const needsDigits = opts.workloads.some((w) => w !== 'matmul' && w !== 'keras');
  const ctx = {
    engines: running,
    sizes: opts.sizes,
    data: needsDigits ? { mnist: loadMnist(opts.mnistBin) } : {},
    guard: new TimeGuard(opts.maxSeconds),
    results: new Results(),
    peaks: {},
    log,
  };
  for (const w of WORKLOADS.filter((name) => opts.workloads.includes(name))) {
    log(`— ${w}`);
    await WORKLOAD_FUNCTIONS[w](ctx);
  }
  for (const e of running) e.close();
  // After our engines let go of the GPU: the same workloads under CUDA, on the same data.
  if (anchors.status === 'available') await runAnchors(anchors, ctx, { timeoutSeconds: opts.anchorsTimeout, log });

  const run = {
    adapter: gpu?.adapter,
    date: new Date().toISOString(),
    engines: engines.map(({ id, label, adapter, unavailable }) => (unavailable ? { id, unavailable } : { id, label, adapter })),
    sizesDescribed: describeSizes(opts.sizes),
    results: ctx.results,
    anchors,
  };
  const out = resolve(opts.out ?? join(dirname(fileURLToPath(import.meta.url)), 'results'));
  mkdirSync(out, { recursive: true });
  const json = toJson(run);
  writeFileSync(join(out, 'results.json'), `${JSON.stringify(json, null, 2)}\n`);
  const charts = await writeCharts(ctx.results, out);
  writeFileSync(join(out, 'report.md'), markdownReport(run, charts));
  console.log(opts.json ? JSON.stringify(json, null, 2) : textTable(run));
  log(`report: ${join(out, 'report.md')}`);
  return json.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof UsageError || e instanceof AnchorsUnavailable ? `bench: ${e.message}` : e);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
