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
  return lines;
}

export function textTable(run) {
  const { header, body } = tableCells(run);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const failed = run.results.failed;
  return [
    ...intro(run),
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
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
