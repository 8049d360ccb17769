// The Keras example users start from, line for line, on both backends:
//   Dense(16, relu, input 10), Dense(1, sigmoid), adam, binary cross-entropy,
//   accuracy, fit(X, y, epochs=5, batch_size=10).
import { describe, expect, it } from 'vitest';
import { getBackend, sequential, dense, type Backend } from '../../src/index.js';
import { kerasExampleData } from '../helpers/datasets.js';
import { gpuIt } from '../helpers/gpu.js';

async function kerasExample(backend: Backend) {
  const { x, y } = kerasExampleData();
  const model = sequential([
    dense({ units: 16, activation: 'relu', inputShape: [10] }),
    dense({ units: 1, activation: 'sigmoid' }),
  ], { backend, seed: 42 });
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const history = await model.fit(x, y, { epochs: 5, batchSize: 10 });
  return { model, history };
}

function expectLearning(history: { loss: number[]; accuracy?: number[] }) {
  expect(history.loss).toHaveLength(5);
  expect(history.accuracy).toHaveLength(5);
  for (const v of [...history.loss, ...history.accuracy!]) expect(Number.isFinite(v)).toBe(true);
  // Adam at lr 0.001 moves slowly: 50 steps still lower the loss every epoch.
  for (let e = 1; e < 5; e++) expect(history.loss[e]!).toBeLessThan(history.loss[e - 1]!);
}

describe('the Keras example', () => {
  it('trains on the cpu backend and its loss decreases', async () => {
    const { model, history } = await kerasExample(await getBackend('cpu'));
    console.log(`cpu: loss ${history.loss.map((l) => l.toFixed(4)).join(' → ')}`);
    expectLearning(history);
    expect(model.summary()).toContain('Total params: 193');
  });

  gpuIt('trains on the webgpu backend, its loss decreases, and it matches the cpu run', async (gpu) => {
    const { history } = await kerasExample(gpu);
    const { history: ref } = await kerasExample(await getBackend('cpu'));
    console.log(`webgpu: loss ${history.loss.map((l) => l.toFixed(4)).join(' → ')}`);
    expectLearning(history);
    history.loss.forEach((l, e) => expect(Math.abs(l - ref.loss[e]!)).toBeLessThan(1e-4));
    expect(history.accuracy).toEqual(ref.accuracy);
  });
});
