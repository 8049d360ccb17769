// Fault injection: the GPU device is destroyed from a callback in the middle
// of an epoch. fit rejects with a DeviceLostError naming the epoch, nothing
// hangs, and every later call on the model (or the backend) gives the same
// clear error instead of a validation error or a wait that never ends.
import { describe, expect } from 'vitest';
import { dense, DeviceLostError, sequential, WebGpuBackend } from '../../src/index.js';
import { kerasExampleData } from '../helpers/datasets.js';
import { gpuIt } from '../helpers/gpu.js';

describe('losing the GPU device during fit', () => {
  gpuIt('fit rejects naming the epoch; predict, evaluate, getWeights, compile and new models all say the device is lost', async () => {
    // A backend of its own: the shared one must survive this test.
    const gpu = await WebGpuBackend.create();
    const { x, y } = kerasExampleData(2, 100);
    const m = sequential([dense({ units: 8, activation: 'relu', inputShape: [10] }), dense({ units: 1, activation: 'sigmoid' })], { backend: gpu, seed: 1 });
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    let epochsDone = 0;
    const run = m.fit(x, y, {
      epochs: 5,
      batchSize: 10,
      callbacks: {
        onEpochEnd: () => void epochsDone++,
        onBatchEnd: (batch) => {
          // The third batch of the second epoch.
          if (epochsDone === 1 && batch === 2) (gpu as unknown as { device: GPUDevice }).device.destroy();
        },
      },
    });
    await expect(run).rejects.toThrow(DeviceLostError);
    await expect(run).rejects.toThrow(/^fit: in epoch 2 of 5: webgpu: the GPU device is lost \(.+\); create a new backend$/);
    expect(epochsDone).toBe(1);
    expect(m.isTraining).toBe(false);
    const lost = /webgpu: the GPU device is lost/;
    await expect(m.predict(x)).rejects.toThrow(lost);
    await expect(m.evaluate(x, y)).rejects.toThrow(lost);
    await expect(m.getWeights()).rejects.toThrow(lost);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' })).toThrow(lost);
    expect(() => sequential([dense({ units: 2, inputShape: [3] })], { backend: gpu })).toThrow(DeviceLostError);
    gpu.destroy();
  }, 60_000);
});
