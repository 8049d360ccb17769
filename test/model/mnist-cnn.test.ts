// Real data, a real CNN: Keras's "simple MNIST convnet" (conv32 3×3 → max
// pool 2 → conv64 3×3 → max pool 2 → flatten → dropout 0.5 → dense 10
// softmax) on the fixed 8,000 / 2,000 split reaches ≥ 97.5% held-out accuracy
// on the WebGPU backend, where the 784-128-10 MLP stops near 95%.
//
// Adam at 0.002, batch 32, 6 epochs, seed 1: the same model and recipe as
// `webgpu-train --model cnn`. On llvmpipe the held-out accuracy by epoch was
// 95.20 96.45 97.40 97.65 97.00 97.85%; the kernels are deterministic, so a
// run on the same adapter reproduces it. At 0.001 it took 7 epochs (97.90%).
import { describe, expect } from 'vitest';
import { adam, buildModel, parseLayers, tensor } from '../../src/index.js';
import { loadMnist } from '../../src/datasets/mnist-node.js';
import { MNIST_PIXELS, oneHot } from '../../src/datasets/mnist.js';
import { gpuIt } from '../helpers/gpu.js';

export const KERAS_CONVNET = 'conv32x3,maxpool2,conv64x3,maxpool2,flatten,dropout0.5';

describe('MNIST with a convolutional network', () => {
  gpuIt('the Keras simple convnet reaches ≥ 97.5% held-out accuracy on the GPU', async (gpu) => {
    const { train, test } = loadMnist();
    const model = buildModel(
      { inputShape: [28, 28, 1], hidden: parseLayers(KERAS_CONVNET), task: { kind: 'multiclass', classes: 10 }, loss: 'categoricalCrossentropy' },
      { backend: gpu, seed: 1 },
    );
    model.compile({ optimizer: adam({ learningRate: 0.002 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const started = performance.now();
    const history = await model.fit(tensor(train.x, [train.size, 28, 28, 1]), tensor(oneHot(train.labels), [train.size, 10]), {
      epochs: 6,
      batchSize: 32,
      validationData: [tensor(test.x, [test.size, MNIST_PIXELS]), tensor(oneHot(test.labels), [test.size, 10])],
    });
    const seconds = (performance.now() - started) / 1000;
    const held = await model.evaluate(tensor(test.x, [test.size, 28, 28, 1]), tensor(oneHot(test.labels), [test.size, 10]));
    console.log(
      `MNIST CNN (${KERAS_CONVNET} → 10 softmax, ${model.countParams().toLocaleString('en-US')} parameters) on ${gpu.adapterName}: ` +
        `held-out accuracy by epoch ${history.val_accuracy!.map((a) => (a * 100).toFixed(2)).join(' ')}%; ` +
        `final ${(held.accuracy * 100).toFixed(2)}%, loss ${held.loss.toFixed(4)}; ` +
        `${seconds.toFixed(1)} s of training, ${((6 * train.size) / seconds).toFixed(0)} samples/s`,
    );
    expect(held.accuracy).toBeCloseTo(history.val_accuracy!.at(-1)!, 6);
    expect(held.accuracy).toBeGreaterThanOrEqual(0.975);
    model.dispose();
  }, 600_000);
});
