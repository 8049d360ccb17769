// Training runs entirely on the GPU: per epoch, a constant number of queue
// submissions and readbacks, however many batches there are; no buffer is
// created in steady state; dispose() gives everything back.
import { describe, expect } from 'vitest';
import { sequential, dense, type WebGpuBackend } from '../../src/index.js';
import { kerasExampleData } from '../helpers/datasets.js';
import { gpuIt } from '../helpers/gpu.js';

function kerasModel(gpu: WebGpuBackend) {
  const model = sequential([
    dense({ units: 16, activation: 'relu', inputShape: [10] }),
    dense({ units: 1, activation: 'sigmoid' }),
  ], { backend: gpu, seed: 1 });
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return model;
}

/** Submissions, readbacks and dispatches of each epoch of one fit. */
async function perEpoch(gpu: WebGpuBackend, batchSize: number, epochs: number, withBatchCallback = false) {
  const { x, y } = kerasExampleData(3, 200);
  const model = kerasModel(gpu);
  const counts: { submissions: number; readbacks: number; dispatches: number }[] = [];
  let last = gpu.stats();
  await model.fit(x, y, {
    epochs,
    batchSize,
    validationSplit: 0.2,
    callbacks: {
      onEpochEnd: () => {
        const now = gpu.stats();
        counts.push({
          submissions: now.submissions - last.submissions,
          readbacks: now.readbacks - last.readbacks,
          dispatches: now.dispatches - last.dispatches,
        });
        last = now;
      },
      ...(withBatchCallback ? { onBatchEnd: () => {} } : {}),
    },
  });
  model.dispose();
  return counts;
}

describe('training on the GPU', () => {
  gpuIt('submits once and reads back once per epoch, whatever the number of batches', async (gpu) => {
    // 160 training samples: 160 batches of 1, 10 of 16, 1 of 160.
    const sgd = await perEpoch(gpu, 1, 3);
    const mini = await perEpoch(gpu, 16, 3);
    const full = await perEpoch(gpu, 160, 3);
    console.log(
      'per epoch (epochs 2–3): ' +
        [['batch 1', sgd], ['batch 16', mini], ['batch 160', full]]
          .map(([name, c]) => `${name}: ${JSON.stringify((c as typeof sgd)[1])}`)
          .join('; '),
    );
    for (const counts of [sgd, mini, full]) {
      for (const epoch of counts.slice(1)) {
        expect(epoch.submissions).toBe(1);
        expect(epoch.readbacks).toBe(1);
      }
    }
    // The work itself does scale with the batches: one plan replay per batch.
    expect(sgd[1]!.dispatches).toBeGreaterThan(10 * mini[1]!.dispatches - 100);
  });

  gpuIt('an onBatchEnd callback costs one readback per batch, as documented', async (gpu) => {
    const counts = await perEpoch(gpu, 16, 2, true);
    expect(counts[1]!.readbacks).toBe(10 + 1);
  });

  gpuIt('live GPU buffers stay constant after the first epoch, through predict and evaluate; dispose returns them', async (gpu) => {
    gpu.trim();
    const before = gpu.stats().liveBuffers;
    const { x, y } = kerasExampleData(5, 120);
    const model = kerasModel(gpu);
    const liveAfter: number[] = [];
    const snapshot = () => void liveAfter.push(gpu.stats().liveBuffers);
    const predictAndEvaluate = async () => {
      const p = await model.predict(x);
      await p.data();
      p.dispose();
      snapshot();
      await model.evaluate(x, y);
      snapshot();
    };
    let afterFirstEpoch = 0;
    await model.fit(x, y, { epochs: 1, batchSize: 16, callbacks: { onEpochEnd: () => void (afterFirstEpoch = gpu.stats().liveBuffers) } });
    // The first predict allocates its own working set (activations for a
    // whole chunk of samples, not a batch); from then on nothing grows.
    await predictAndEvaluate();
    const created = gpu.stats().buffersCreated;
    for (let round = 0; round < 3; round++) {
      await model.fit(x, y, { epochs: 3, batchSize: 16, callbacks: { onEpochEnd: snapshot } });
      await predictAndEvaluate();
    }
    console.log(
      `live GPU buffers: before the model ${before}; after the first epoch ${afterFirstEpoch}; ` +
        `then after each predict / evaluate / epoch: ${liveAfter.join(' ')}`,
    );
    expect(liveAfter[0]! - afterFirstEpoch).toBeLessThanOrEqual(model.layers.length + 1);
    expect(new Set(liveAfter).size).toBe(1);
    expect(gpu.stats().buffersCreated).toBe(created);
    model.dispose();
    expect(gpu.stats().liveBuffers).toBe(before);
  });
});
