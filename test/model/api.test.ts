// The model API as users call it: inputs in every accepted form, predict,
// evaluate, weights in Keras order, summary, validation, callbacks, and the
// same seed giving the same model on both backends.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import { sequential, dense, tensor, sgd, History } from '../../src/index.js';
import { kerasExampleData, spirals } from '../helpers/datasets.js';
import { gpuIt } from '../helpers/gpu.js';

const cpu = new CpuBackend();

describe('model API', () => {
  it('the same seed gives the same initial weights; another seed does not', async () => {
    const make = (seed: number) =>
      sequential([dense({ units: 5, activation: 'relu', inputShape: [3], kernelInitializer: 'heNormal' }), dense({ units: 2 })], { seed });
    const a = await make(9).getWeights();
    expect(await make(9).getWeights()).toEqual(a);
    expect(await make(10).getWeights()).not.toEqual(a);
    // Keras order and shapes: kernel [inputs, units] row-major, then bias.
    expect(a.map((w) => w.length)).toEqual([15, 5, 10, 2]);
    expect(Array.from(a[1]!)).toEqual([0, 0, 0, 0, 0]);
    // Glorot uniform bounds for the 5 → 2 kernel: ±√(6 / 7).
    expect(Math.max(...a[2]!.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 7));
  });

  it('predict computes activation(x·W + b) layer by layer, in Keras weight order', async () => {
    const m = sequential([dense({ units: 2, activation: 'relu', inputShape: [3] }), dense({ units: 1, activation: 'sigmoid' })], { seed: 1 });
    m.setWeights([[1, -1, 0, 2, 1, 1], [0.5, -0.5], [1, -2], [0.25]]);
    const out = await m.predict([[1, 2, 3], [-1, 0, 0]]);
    expect(out.shape).toEqual([2, 1]);
    // Row 1: h = relu([1·1 + 2·0 + 3·1 + .5, 1·−1 + 2·2 + 3·1 − .5]) = [4.5, 5.5]; z = 4.5 − 11 + .25
    // Row 2: h = relu([−1 + .5, 1 − .5]) = [0, 0.5]; z = −1 + .25
    const sig = (z: number) => 1 / (1 + Math.exp(-z));
    const got = await out.data();
    expect(got[0]).toBeCloseTo(sig(-6.25), 6);
    expect(got[1]).toBeCloseTo(sig(-0.75), 6);
  });

  it('accepts number[][], flat label arrays and tensor(); summary shows shapes and counts', async () => {
    const { x, labels } = spirals(60);
    const m = sequential([dense({ units: 8, activation: 'tanh', inputShape: [2] }), dense({ units: 2, activation: 'softmax' })], { seed: 3 });
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const h1 = await m.fit(x, labels, { epochs: 2, batchSize: 8 });
    const h2 = await m.fit(tensor(x), tensor(labels, [60, 1]), { epochs: 1, batchSize: 8 });
    expect(h1).toBeInstanceOf(History);
    expect(h1.history.accuracy).toHaveLength(2);
    expect(h2.loss).toHaveLength(1);
    const summary = m.summary();
    expect(summary).toMatch(/dense_1 \(Dense\)\s+\[null, 8\]\s+tanh\s+24/);
    expect(summary).toMatch(/dense_2 \(Dense\)\s+\[null, 2\]\s+softmax\s+18/);
    expect(summary).toContain('Total params: 42');
  });

  it('validationSplit holds out the last samples and reports val_loss / val_accuracy', async () => {
    const { x, y } = kerasExampleData(4, 100);
    const m = sequential([dense({ units: 8, activation: 'relu', inputShape: [10] }), dense({ units: 1, activation: 'sigmoid' })], { seed: 4 });
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const h = await m.fit(x, y, { epochs: 3, batchSize: 10, validationSplit: 0.2, shuffle: false });
    expect(h.val_loss).toHaveLength(3);
    // The validation figures are exactly evaluate() on the held-out 20 samples after each epoch.
    const held = await m.evaluate(x.slice(80), y.slice(80));
    expect(h.val_loss!.at(-1)!).toBeCloseTo(held.loss, 5);
    expect(h.val_accuracy!.at(-1)!).toBeCloseTo(held.accuracy, 6);
  });

  it('callbacks see every epoch and batch; stopTraining ends fit after the epoch', async () => {
    const { x, y } = kerasExampleData(5, 50);
    const m = sequential([dense({ units: 4, activation: 'relu', inputShape: [10] }), dense({ units: 1, activation: 'sigmoid' })], { seed: 5 });
    m.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const events: string[] = [];
    const h = await m.fit(x, y, {
      epochs: 10,
      batchSize: 20, // 20 + 20 + a last partial batch of 10
      callbacks: {
        onBatchEnd: (b, logs) => void events.push(`b${b}:${logs.size}`),
        onEpochEnd: (e) => {
          events.push(`e${e}`);
          if (e === 1) m.stopTraining = true;
        },
        onTrainEnd: (hist) => void events.push(`end:${hist.loss.length}`),
      },
    });
    expect(events).toEqual(['b0:20', 'b1:20', 'b2:10', 'e0', 'b0:20', 'b1:20', 'b2:10', 'e1', 'end:2']);
    expect(h.loss).toHaveLength(2);
  });

  it('the last partial batch is trained, not dropped', async () => {
    // 11 samples, batch 5: steps of 5, 5 and 1. With shuffling off, changing only
    // the last sample must change the trained weights.
    const { x, y } = kerasExampleData(6, 11);
    const train = async (lastLabel: number) => {
      const m = sequential([dense({ units: 1, activation: 'sigmoid', inputShape: [10] })], { seed: 6, backend: cpu });
      m.compile({ optimizer: sgd({ learningRate: 0.5 }), loss: 'binaryCrossentropy' });
      await m.fit(x, [...y.slice(0, 10), [lastLabel]], { epochs: 1, batchSize: 5, shuffle: false });
      return m.getWeights();
    };
    expect(await train(0)).not.toEqual(await train(1));
  });

  gpuIt('predict and getWeights agree across backends for the same seed and weights', async (gpu) => {
    const { x } = kerasExampleData(8, 40);
    const layers = () => [dense({ units: 16, activation: 'relu', inputShape: [10] }), dense({ units: 3, activation: 'softmax' })];
    const a = sequential(layers(), { seed: 8, backend: cpu });
    const b = sequential(layers(), { seed: 8, backend: gpu });
    expect(await b.getWeights()).toEqual(await a.getWeights());
    const pa = await (await a.predict(x)).data();
    const pb = await (await b.predict(x)).data();
    pa.forEach((v, i) => expect(Math.abs(v - pb[i]!)).toBeLessThan(1e-6));
    b.dispose();
  });
});
