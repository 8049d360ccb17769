// Metrics beyond accuracy in fit and evaluate: mse, mae, precision and recall
// (Keras's names, val_ for validation), each equal to the same figure worked
// out here from predict() — on the CPU reference and on WebGPU.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import { dense, earlyStopping, sequential, sgd, type Backend } from '../../src/index.js';
import { kerasExampleData } from '../helpers/datasets.js';
import { gpuIt } from '../helpers/gpu.js';

const { x, y } = kerasExampleData(11, 120);
const trainX = x.slice(0, 90);
const trainY = y.slice(0, 90);
const valX = x.slice(90);
const valY = y.slice(90);

/** The four metrics of predictions p against targets t, as Keras defines them (threshold 0.5). */
function expected(p: Float32Array, t: number[][]) {
  const flat = t.flat();
  let se = 0;
  let ae = 0;
  let tp = 0;
  let predicted = 0;
  let actual = 0;
  flat.forEach((v, i) => {
    se += (p[i]! - v) ** 2;
    ae += Math.abs(p[i]! - v);
    if (p[i]! >= 0.5) predicted++;
    if (v >= 0.5) actual++;
    if (p[i]! >= 0.5 && v >= 0.5) tp++;
  });
  return { mse: se / flat.length, mae: ae / flat.length, precision: predicted ? tp / predicted : 0, recall: tp / actual };
}

function model(backend: Backend) {
  const m = sequential([dense({ units: 8, activation: 'relu', inputShape: [10] }), dense({ units: 1, activation: 'sigmoid' })], { seed: 5, backend });
  m.compile({ optimizer: sgd({ learningRate: 0.5 }), loss: 'binary_crossentropy', metrics: ['accuracy', 'mse', 'mae', 'precision', 'recall'] });
  return m;
}

async function check(backend: Backend) {
  const m = model(backend);
  // One batch per epoch: the training figures are those of the weights before the epoch's one update.
  const before = await (await m.predict(trainX)).data();
  const h = await m.fit(trainX, trainY, { epochs: 2, batchSize: 90, shuffle: false, validationData: [valX, valY] });
  expect(Object.keys(h.history)).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy', 'mse', 'mae', 'precision', 'recall', 'val_mse', 'val_mae', 'val_precision', 'val_recall']);
  const train = expected(before, trainY);
  const val = expected(await (await m.predict(valX)).data(), valY);
  let maxErr = 0;
  for (const k of ['mse', 'mae', 'precision', 'recall'] as const) {
    maxErr = Math.max(maxErr, Math.abs(h.history[k]![0]! - train[k]), Math.abs(h.history[`val_${k}`]![1]! - val[k]));
    expect(h.history[k]![0]).toBeCloseTo(train[k], 5);
    expect(h.history[`val_${k}`]![1]).toBeCloseTo(val[k], 5);
  }
  const e = await m.evaluate(valX, valY);
  for (const k of ['mse', 'mae', 'precision', 'recall'] as const) expect(e[k]).toBeCloseTo(val[k], 5);
  console.log(`[metrics] ${backend.name}: max |fit − predict()| over mse, mae, precision, recall ${maxErr.toExponential(2)}; val precision ${val.precision.toFixed(3)}, recall ${val.recall.toFixed(3)}`);
  // Not a constant: the figures move as the model trains.
  expect(h.history.mse![1]).not.toBe(h.history.mse![0]);
}

describe('metrics beyond accuracy', () => {
  it('cpu: fit and evaluate report mse, mae, precision, recall equal to predict()', () => check(new CpuBackend()));
  gpuIt('webgpu: the same, summed on the device', (gpu) => check(gpu));

  it('aliases keep their names; a metric given twice is refused; earlyStopping can watch one', async () => {
    const m = sequential([dense({ units: 1, activation: 'sigmoid', inputShape: [10] })], { seed: 1, backend: new CpuBackend() });
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mse', 'mean_squared_error'] })).toThrow(/^compile: the metric 'mean_squared_error' is given twice$/);
    m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mean_absolute_error'] });
    // A baseline no epoch can beat: it stops after the first, having found the metric under its name.
    const stop = earlyStopping({ monitor: 'val_mean_absolute_error', patience: 0, baseline: -1 });
    const h = await m.fit(x, y, { epochs: 3, validationSplit: 0.25, callbacks: [stop] });
    expect(Object.keys(h.history)).toEqual(['loss', 'val_loss', 'mean_absolute_error', 'val_mean_absolute_error']);
    expect(h.loss).toHaveLength(1);
    expect(stop.stoppedEpoch).toBe(0);
    await expect(m.fit(x, y, { epochs: 1, callbacks: [earlyStopping({ monitor: 'precision' })] })).rejects.toThrow(/^earlyStopping: fit reports no 'precision' \(compile with metrics: \['precision'\]\)$/);
  });
});
