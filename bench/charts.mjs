// Charts of a run as SVG files: Vega-Lite specs, compiled and rendered by Vega
// in Node (no browser, no canvas).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile } from 'vega-lite';

const ENGINE_ORDER = ['ours-webgpu', 'ours-cpu', 'tfjs-webgpu', 'tfjs-wasm', 'tfjs-cpu'];
const color = { field: 'engine', type: 'nominal', sort: ENGINE_ORDER, scale: { domain: ENGINE_ORDER } };

async function render(spec) {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** One point per (row, engine) that has a value. */
const points = (rows, pick) =>
  rows.flatMap((row) => Object.entries(row.values).map(([engine, value]) => ({ engine, value, ...pick(row) })));

function groupedBars(title, values, category, unit, logScale) {
  return {
    title,
    width: { step: 14 },
    height: 220,
    data: { values },
    mark: 'bar',
    encoding: {
      column: { field: category, type: 'nominal', header: { labelAngle: 0, labelAlign: 'center' }, title: null, sort: null },
      x: { field: 'engine', type: 'nominal', sort: ENGINE_ORDER, axis: null },
      y: { field: 'value', type: 'quantitative', title: unit, ...(logScale ? { scale: { type: 'log' } } : {}) },
      color,
      tooltip: [{ field: 'engine' }, { field: 'value', format: '.3~g' }],
    },
  };
}

function curves(title, values, x, xTitle, unit) {
  return {
    title,
    width: 420,
    height: 260,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: x, type: 'quantitative', title: xTitle, scale: { type: 'log', base: 2 } },
      y: { field: 'value', type: 'quantitative', title: unit, scale: { type: 'log' } },
      color,
    },
  };
}

/** Writes the charts that have data; returns [{ file, title }] in report order. */
export async function writeCharts(results, dir) {
  const rows = (workload, unit) => results.rows.filter((r) => r.workload === workload && (!unit || r.unit === unit));
  const specs = [];
  const matmul = rows('matmul');
  if (matmul.length) {
    specs.push(['matmul.svg', groupedBars('matmul throughput by engine (GFLOP/s, log scale)', points(matmul, (r) => ({ case: `${r.params.form} ${r.params.n}` })), 'case', 'GFLOP/s', true)]);
  }
  const training = ['mnist', 'wide', 'cnn'].flatMap((w) => rows(w, 'samples/s'));
  if (training.length) {
    specs.push(['training.svg', groupedBars('training throughput by engine (samples/s, log scale)', points(training, (r) => ({ model: r.params.model })), 'model', 'samples/s', true)]);
  }
  const keras = rows('keras');
  if (keras.length) specs.push(['keras.svg', groupedBars('Keras example: fit wall time (s, lower is faster)', points(keras, () => ({ model: '10-16-1' })), 'model', 'seconds', false)]);
  const batches = rows('scaling').filter((r) => r.params.batch);
  if (batches.length) specs.push(['scaling-batch.svg', curves('MNIST MLP: training throughput by batch size', points(batches, (r) => r.params), 'batch', 'batch size', 'samples/s')]);
  const widths = rows('scaling').filter((r) => r.params.width);
  if (widths.length) specs.push(['scaling-width.svg', curves('784-H-10: time per training step by hidden width', points(widths, (r) => r.params), 'width', 'hidden width H', 'ms per step')]);

  const written = [];
  for (const [file, spec] of specs) {
    if (!spec.data.values.length) continue;
    writeFileSync(join(dir, file), await render(spec));
    written.push({ file, title: spec.title });
  }
  return written;
}
