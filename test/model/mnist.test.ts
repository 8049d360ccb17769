// Real data: the 784-128-10 MLP (relu, softmax, categorical cross-entropy,
// adam, batch 32) on the fixed 8,000 / 2,000 MNIST split reaches ≥ 95%
// held-out accuracy on the WebGPU backend. On this split, seeds 1–3 measured
// 95.1–95.5% held-out after 12 epochs (94.9–95.3% after 8): the model
// overfits early (98.5% training accuracy by epoch 8), so the held-out
// figure climbs slowly.
import { describe, expect, it } from 'vitest';
import { sequential, dense, tensor } from '../../src/index.js';
import { loadMnist } from '../../src/datasets/mnist-node.js';
import { MNIST_PIXELS, oneHot } from '../../src/datasets/mnist.js';
import { gpuIt } from '../helpers/gpu.js';

describe('MNIST', () => {
  it('the fixed split has 8,000 training and 2,000 held-out digits of every class', () => {
    const { train, test } = loadMnist();
    expect(train.size).toBe(8000);
    expect(test.size).toBe(2000);
    for (const set of [train, test]) {
      const perClass = new Array(10).fill(0);
      set.labels.forEach((d) => perClass[d]++);
      expect(Math.min(...perClass)).toBeGreaterThan(set.size / 20);
      expect(set.x.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(set.x.some((v) => v > 0.5)).toBe(true);
    }
  });

  gpuIt('784-128-10 adam MLP reaches ≥ 95% held-out accuracy on the GPU', async (gpu) => {
    const { train, test } = loadMnist();
    const model = sequential([
      dense({ units: 128, activation: 'relu', inputShape: [MNIST_PIXELS] }),
      dense({ units: 10, activation: 'softmax' }),
    ], { backend: gpu, seed: 1 });
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const started = performance.now();
    const history = await model.fit(tensor(train.x, [train.size, MNIST_PIXELS]), tensor(oneHot(train.labels), [train.size, 10]), {
      epochs: 12,
      batchSize: 32,
      validationData: [tensor(test.x, [test.size, MNIST_PIXELS]), tensor(oneHot(test.labels), [test.size, 10])],
    });
    const seconds = (performance.now() - started) / 1000;
    const best = Math.max(...history.val_accuracy!);
    const final = await model.evaluate(tensor(test.x, [test.size, MNIST_PIXELS]), tensor(oneHot(test.labels), [test.size, 10]));
    console.log(
      `MNIST on ${gpu.adapterName}: ${history.loss.length} epochs in ${seconds.toFixed(1)} s ` +
        `(${((train.size * history.loss.length) / seconds).toFixed(0)} samples/s)\n` +
        history.loss.map((l, e) => `  epoch ${e + 1}: loss ${l.toFixed(4)} acc ${history.accuracy![e]!.toFixed(4)} val_loss ${history.val_loss![e]!.toFixed(4)} val_acc ${history.val_accuracy![e]!.toFixed(4)}`).join('\n') +
        `\n  held-out accuracy after training: ${(final.accuracy * 100).toFixed(2)}%`,
    );
    expect(final.accuracy).toBeCloseTo(history.val_accuracy!.at(-1)!, 5);
    expect(final.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(best).toBeGreaterThanOrEqual(final.accuracy);
    model.dispose();
  }, 300_000);
});
