// The run's results as a text table (stdout), JSON, and a Markdown report.
import { cpus } from 'node:os';

const REFERENCES = ['tfjs-webgpu', 'tfjs-wasm'];
const OURS = 'ours-webgpu';

const format = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toPrecision(3));

/** How many times faster our webgpu engine is than `other` on this row (>1: ours is faster). */
function speedup(row, other) {
  const ours = row.values[OURS];
  const theirs = row.values[other];
  if (row.better === 'none' || ours === undefined || theirs === undefined) return undefined;
  return row.better === 'higher' ? ours / theirs : theirs / ours;
}

function cell(row, engine) {
  if (engine in row.values) return format(row.values[engine]);
  if (engine in row.skipped) return 'skipped';
  return '—';
}

/** Header and body cells of the results table. */
function tableCells(run) {
  const engines = run.engines.filter((e) => !e.unavailable).map((e) => e.id);
  const header = ['workload', 'unit', ...engines, ...REFERENCES.map((r) => `ours÷${r}`)];
  const body = run.results.rows.map((row) => [
    row.name,
    row.unit,
    ...engines.map((e) => cell(row, e)),
    ...REFERENCES.map((r) => {
      const s = speedup(row, r);
      return s === undefined ? '' : `${s.toFixed(2)}×`;
    }),
  ]);
  return { header, body };
}

function intro(run) {
  const lines = [`adapter: ${run.adapter ?? 'none (no WebGPU engine ran)'}`];
  for (const e of run.engines) lines.push(e.unavailable ? `${e.id}: unavailable (${e.unavailable})` : `${e.id}: ${e.label} · ${e.adapter}`);
  lines.push(anchorsLine(run.anchors));
  return lines;
}

// ---- the anchors (bench/anchors/): PyTorch and JAX beside our webgpu engine ----------------------

/** One line: what the anchors were, or why there were none. */
function anchorsLine(anchors) {
  if (!anchors || anchors.status === 'off' || anchors.status === 'unavailable') return `anchors: ${anchors?.note ?? 'off'}`;
  const i = anchors.info;
  const versions = [i.torch && `torch ${i.torch}`, i.jax && `jax ${i.jax}`, i.optax && `optax ${i.optax}`].filter(Boolean).join(', ');
  const device = i.device ?? i.jaxDevice;
  return `anchors: ${i.executable} (Python ${i.python}; ${versions})${device ? ` on ${device}` : ''}, after our rows, on the same data with the same batches and optimizer`;
}

/** Each anchor with what it is, or why it gave no figures. */
function anchorLegend(anchors) {
  return anchors.anchors.map((a) => {
    if (a.unavailable) return `${a.id}: unavailable (${a.unavailable})`;
    if (a.failed) return `${a.id}: failed (${a.failed})`;
    return `${a.id}: ${a.label}`;
  });
}

// CUDA can be 100× ahead on small models: below 0.1, two significant digits, not 0.00×.
const ratioText = (s) => `${s >= 0.1 ? s.toFixed(2) : s.toPrecision(2)}×`;

/** How many times faster our webgpu engine is than an anchor on this row (>1: ours is faster). */
function anchorSpeedup(row, id) {
  const ours = row.values[OURS];
  const theirs = row.anchors.values[id];
  if (row.better === 'none' || ours === undefined || theirs === undefined) return undefined;
  return row.better === 'higher' ? ours / theirs : theirs / ours;
}

/** Header and body cells of the anchors table, or undefined when no anchor ran. */
function anchorCells(run) {
  if (run.anchors?.status !== 'ran') return undefined;
  const ids = run.anchors.anchors.filter((a) => !a.unavailable && !a.failed).map((a) => a.id);
  const rows = run.results.rows.filter((r) => r.anchors);
  if (!ids.length || !rows.length) return undefined;
  const header = ['workload', 'unit', OURS, ...ids.flatMap((id) => [id, `ours÷${id}`])];
  const body = rows.map((row) => [
    row.name,
    row.unit,
    cell(row, OURS),
    ...ids.flatMap((id) => {
      const value = id in row.anchors.values ? format(row.anchors.values[id]) : id in row.anchors.skipped ? 'failed' : '—';
      const s = anchorSpeedup(row, id);
      return [value, s === undefined ? '' : ratioText(s)];
    }),
  ]);
  return { header, body };
}

/** Anchor measurements that failed, one line each. */
const anchorFailures = (run) =>
  run.results.rows.flatMap((row) => Object.entries(row.anchors?.skipped ?? {}).map(([id, why]) => `${row.name} · ${id}: ${why}`));

/** A plain-text table: names left-aligned, figures right-aligned. */
function textGrid({ header, body }) {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
}

function anchorsText(run) {
  if (run.anchors?.status !== 'ran') return [];
  const cells = anchorCells(run);
  const failures = anchorFailures(run);
  return [
    '',
    'anchors, the same workloads in PyTorch and JAX:',
    ...anchorLegend(run.anchors).map((l) => `  ${l}`),
    ...(cells ? ['', ...textGrid(cells)] : []),
    ...(failures.length ? ['', ...failures.map((f) => `anchor failed: ${f}`)] : []),
  ];
}

/** Each profiled workload: a title line and rows of kernel, dispatches a step, ms a step, share. */
function profileCells(run) {
  return run.results.profiles.map(({ label, engine, profile: p }) => ({
    title:
      `${label} · ${engine}: ${p.steps} steps, ${p.dispatchesPerStep} dispatches and ${p.msPerStep.toFixed(3)} ms a step ` +
      (p.clock === 'gpu' ? "by the GPU's timestamps" : 'by the wall clock around each dispatch submitted alone (an upper bound: it counts each submission)'),
    header: ['kernel', 'dispatches a step', 'ms a step', 'share'],
    body: p.kernels.map((k) => [k.kernel, `×${(k.count / p.steps).toFixed(k.count % p.steps ? 2 : 0)}`, (k.ms / p.steps).toFixed(4), `${(100 * k.share).toFixed(1)}%`]),
  }));
}

function profilesText(run) {
  const cells = profileCells(run);
  if (!cells.length) return [];
  return ['', "where a training step's time goes (each dispatch timed on its own):", ...cells.flatMap((c) => ['', c.title, ...textGrid(c)])];
}

function profilesMarkdown(run) {
  const cells = profileCells(run);
  if (!cells.length) return '';
  return `## Where a training step's time goes

Each dispatch of a few training steps run in a compute pass of its own and timed (\`model.profileSteps\`),
after the timed rows; the model is left as it was. Totals per kernel, per step.

${cells.map((c) => `${c.title}:\n\n${markdownTable(c.header, c.body)}`).join('\n\n')}
`;
}

export function textTable(run) {
  const failed = run.results.failed;
  return [
    ...intro(run),
    '',
    ...textGrid(tableCells(run)),
    ...profilesText(run),
    ...anchorsText(run),
    '',
    `ours÷X: how many times faster webgpu-train (webgpu) is than X in this run (below 1: slower).`,
    failed.length
      ? `CORRECTNESS CHECKS FAILED: ${failed.map((c) => `${c.engine} ${c.workload}: ${c.what}`).join('; ')}`
      : `correctness checks: all ${run.results.checks.length} passed`,
  ].join('\n');
}

export function toJson(run) {
  return {
    adapter: run.adapter,
    date: run.date,
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
    engines: run.engines,
    sizes: run.sizesDescribed,
    rows: run.results.rows,
    checks: run.results.checks,
    profiles: run.results.profiles,
    anchors: run.anchors,
    ok: run.results.failed.length === 0,
  };
}

function markdownTable(header, body) {
  const esc = (s) => s.replaceAll('|', '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`,
    ...body.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

export function markdownReport(run, charts) {
  const { header, body } = tableCells(run);
  const skipped = run.results.rows.flatMap((row) => Object.entries(row.skipped).map(([e, why]) => `- ${row.name} · ${e}: ${why}`));
  const failed = run.results.failed;
  return `# webgpu-train benchmark

${run.date} · Node ${process.version} · ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}

${intro(run).map((l) => `- ${l}`).join('\n')}

## Results

${markdownTable(header, body)}

ours÷X: how many times faster webgpu-train on WebGPU is than engine X, measured in this
same run on the same adapter and data (below 1: slower). Absolute figures on a shared or
software adapter are noisy; the ratios are what to compare between runs.

${failed.length ? `**Correctness checks failed:**\n\n${failed.map((c) => `- ${c.engine} · ${c.workload}: ${c.what}`).join('\n')}` : `Correctness: all ${run.results.checks.length} checks passed (matmul entries against float64, held-out accuracy, finite losses, parameter counts).`}

${skipped.length ? `Skipped:\n\n${skipped.join('\n')}\n` : ''}
${profilesMarkdown(run)}
${anchorsMarkdown(run)}
## Charts

${charts.map((c) => `![${c.title}](${c.file})`).join('\n\n')}

## How it was measured

- One process, engines one after another on the same adapter, the same data for all.
- matmul: C = A·B of uniform [-1, 1] fp32 matrices; one warm-up product (its values are
  checked on 64 entries against float64), then the median of several timed products
  (down to 3 when they would take over 5 s together), each timed until the result is computed: our engine waits for
  the GPU queue to drain; TF.js reads one element of the product back.
- Training: each workload describes its model once (input shape, hidden layers in the
  \`--layers\` text form, task, loss); our engine builds it with the library's \`buildModel\`,
  TF.js as the same \`tf.layers\` (dense, conv2d, pooling, flatten, dropout) with the output
  layer chosen by the same rule, and every engine's model must have the parameter count the
  description gives. Glorot-uniform kernels and zero biases, adam (lr 0.001), shuffled every
  epoch; \`model.fit\` on both sides. One fit runs warm-up epochs then timed epochs; the timed
  epochs are measured between epoch-end callbacks, where each engine has read its loss back.
- An engine that lacks a kernel the model needs to train (TF.js's wasm backend has no
  Conv2DBackpropFilter) is marked skipped with that reason.
- Keras example: the median wall time of whole fits after one warm-up fit.
- The plain-JavaScript engines (webgpu-train cpu, TF.js cpu) skip a measurement whose
  estimated time (from the same engine's speed on the previous, smaller one; for the
  convnet, on a probe fit of a few samples) is over --max-seconds, marked so; the WebGPU
  and wasm engines are never skipped for time.
- Sizes of this run:

\`\`\`json
${JSON.stringify(run.sizesDescribed, null, 2)}
\`\`\`
`;
}

function anchorsMarkdown(run) {
  if (run.anchors?.status !== 'ran') return `## Anchors: PyTorch and JAX\n\n${anchorsLine(run.anchors)}\n`;
  const cells = anchorCells(run);
  const failures = anchorFailures(run);
  return `## Anchors: PyTorch and JAX

${anchorsLine(run.anchors)}

${anchorLegend(run.anchors).map((l) => `- ${l}`).join('\n')}
${cells ? `\n${markdownTable(cells.header, cells.body)}\n\nours÷X: how many times faster webgpu-train on WebGPU is than anchor X on the same GPU in the\nsame run (below 1: slower).\n` : ''}${failures.length ? `\nFailed:\n\n${failures.map((f) => `- ${f}`).join('\n')}\n` : ''}
How the anchors were measured:

- Run by \`bench/anchors/anchors.py\` with the machine's Python after our rows, torch and jax each
  in a process of its own, on the digits, labels and samples our engines trained on (written
  for it as raw float32 and bytes), with the same model, batch size, epochs and adam (lr 0.001,
  β 0.9 / 0.999, ε 1e-7), Glorot-uniform kernels and zero biases, shuffled every epoch.
- fp32 throughout: TF32 off in cuBLAS and cuDNN, JAX at matmul precision 'highest'; each
  process checks it with a product that fp32 computes exactly and TF32 cannot.
- pytorch-graph and jax-jit have no matmul figures: for one product, a graph or a jit adds
  nothing to cuBLAS.
- matmul (pytorch-eager: cuBLAS): a warm-up product with 64 entries checked against float64,
  then the median of timed products, each from a CUDA synchronize to a synchronize.
- Training: samples/s over the timed epochs after the warm-up epochs; an epoch ends when its
  mean loss is read back. pytorch-eager: a Python loop of index-gather, forward, backward and
  \`Adam.step()\`. pytorch-graph: the whole step captured as one CUDA graph per batch size
  (gather by a static index tensor, Adam with capturable=True) and replayed; the first steps
  run eagerly before capture. jax-jit: one jitted function per epoch, its steps in \`lax.scan\`.
- Keras example: the median wall time of whole fits after a warm-up fit, as our row.
`;
}
