// A TF.js or Keras user's habits, honoured or refused clearly: Keras's loss
// and metric strings, callbacks as an array of objects (TF.js) with every hook
// and no silently ignored names, earlyStopping, summary() that prints,
// tensors from nested arrays of any depth, tidy(), and getBackend('auto').
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import { dense, earlyStopping, getBackend, sequential, tensor, tidy, type CallbackObject, type WebGpuBackend } from '../../src/index.js';
import { kerasExampleData } from '../helpers/datasets.js';
import { gpuIt } from '../helpers/gpu.js';

const { x, y } = kerasExampleData(7, 100);
const keras = (seed = 42) => sequential([dense({ units: 16, activation: 'relu', inputShape: [10] }), dense({ units: 1, activation: 'sigmoid' })], { seed });

describe("Keras's and TensorFlow.js's habits", () => {
  it('the Keras example runs with its own strings: binary_crossentropy, accuracy; acc gives acc / val_acc', async () => {
    const m = keras();
    m.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
    const h = await m.fit(x, y, { epochs: 5, batchSize: 10 });
    expect(Object.keys(h.history)).toEqual(['loss', 'accuracy']);
    const ours = keras();
    ours.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    expect((await ours.fit(x, y, { epochs: 5, batchSize: 10 })).loss).toEqual(h.loss);
    const acc = keras();
    acc.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['acc'] });
    expect(Object.keys((await acc.fit(x, y, { epochs: 1, validationSplit: 0.2 })).history)).toEqual(['loss', 'acc', 'val_loss', 'val_acc']);
    for (const loss of ['mse', 'MSE', 'mean_squared_error', 'categorical_crossentropy', 'sparse_categorical_crossentropy'] as const) {
      expect(() => keras().compile({ optimizer: 'sgd', loss })).not.toThrow();
    }
    expect(() => keras().compile({ optimizer: 'sgd', loss: 'hinge' as never })).toThrow(/compile: unknown loss 'hinge'; valid: .* \(or Keras's binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy, mean_squared_error, mse\)/);
    expect(() => keras().compile({ optimizer: 'sgd', loss: 'mse', metrics: ['auc' as never] })).toThrow(/compile: unknown metric 'auc'; valid: accuracy, acc/);
  });

  it('callbacks as an array of objects, every hook in order; unknown names are refused before training', async () => {
    const m = keras();
    m.compile({ optimizer: 'sgd', loss: 'binary_crossentropy' });
    const events: string[] = [];
    class Logger implements CallbackObject {
      onTrainBegin() {
        events.push('train');
      }
      onEpochEnd(e: number) {
        events.push(`e${e}`);
      }
    }
    const plain: CallbackObject = {
      onEpochBegin: (e) => void events.push(`E${e}`),
      onBatchBegin: (b) => void events.push(`B${b}`),
      onBatchEnd: (b) => void events.push(`b${b}`),
      onTrainEnd: (h) => void events.push(`end:${h.loss.length}`),
    };
    await m.fit(x.slice(0, 40), y.slice(0, 40), { epochs: 2, batchSize: 20, callbacks: [new Logger(), plain] });
    expect(events).toEqual(['train', 'E0', 'B0', 'b0', 'B1', 'b1', 'e0', 'E1', 'B0', 'b0', 'B1', 'b1', 'e1', 'end:2']);
    const before = await m.getWeights();
    await expect(m.fit(x, y, { callbacks: [{ onYield: () => {} } as never] })).rejects.toThrow(
      /^fit: callbacks\[0\]: unknown callback 'onYield'; valid: onTrainBegin, onEpochBegin, onBatchBegin, onBatchEnd, onBatchEndEvery, onEpochEnd, onTrainEnd$/,
    );
    await expect(m.fit(x, y, { callbacks: { onEpochStart: () => {} } as never })).rejects.toThrow(/^fit: callbacks: unknown callback 'onEpochStart'/);
    await expect(m.fit(x, y, { callbacks: { onEpochEnd: 3 } as never })).rejects.toThrow(/^fit: callbacks: onEpochEnd must be a function, got number/);
    expect(await m.getWeights()).toEqual(before);
  });

  it('earlyStopping stops after `patience` epochs without improvement and restores the best weights', async () => {
    const m = keras(3);
    m.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
    let afterFirst: Float32Array[] = [];
    // The training loss only falls, so with mode 'max' epoch 0 stays the best: deterministic stopping.
    const stop = earlyStopping({ monitor: 'loss', mode: 'max', patience: 2, restoreBestWeights: true });
    const h = await m.fit(x, y, {
      epochs: 20,
      batchSize: 10,
      callbacks: [{ onEpochEnd: async (e) => void (e === 0 && (afterFirst = await m.getWeights())) }, stop],
    });
    expect(h.loss).toHaveLength(3);
    expect(stop.stoppedEpoch).toBe(2);
    expect(stop.bestEpoch).toBe(0);
    expect(await m.getWeights()).toEqual(afterFirst);
    // val_loss by default: without validation data it says what is missing.
    await expect(m.fit(x, y, { epochs: 2, callbacks: [earlyStopping()] })).rejects.toThrow(/^earlyStopping: fit reports no 'val_loss' \(give fit validationData or validationSplit\)$/);
    expect(() => earlyStopping({ monitor: 'auc' as never })).toThrow(/^earlyStopping: monitor 'auc' is not one of loss, accuracy, acc, mse, mean_squared_error, mae, mean_absolute_error, precision, recall \(or val_ before one\)$/);
  });

  it('summary() prints (with a print function of your choice) and returns the table; it names the backend', () => {
    const lines: string[] = [];
    const text = keras().summary((l) => lines.push(l));
    expect(lines).toEqual([text]);
    expect(text).toMatch(/^Model: sequential \(input \[null, 10\]\) on the cpu backend \(the default when none is given; sequential\(layers, \{ backend: await getBackend\(\) \}\) uses a GPU when there is one\)/);
    expect(sequential([dense({ units: 1, inputShape: [2] })], { backend: new CpuBackend() }).summary(null)).toMatch(/^Model: sequential \(input \[null, 2\]\) on the cpu backend\n/);
  });

  it('tensor() takes nested arrays of any depth with their full shape, refuses ragged ones, and gives them back', async () => {
    const t = tensor([[[1, 2]], [[3, 4]]]);
    expect(t.shape).toEqual([2, 1, 2]);
    expect(t.dtype).toBe('float32');
    expect(t.size).toBe(4);
    expect(await t.array()).toEqual([[[1, 2]], [[3, 4]]]);
    expect(await tensor([1, 2, 3, 4], [2, 2]).array()).toEqual([[1, 2], [3, 4]]);
    expect(() => tensor([[[1, 2]], [[3]]])).toThrow(/^tensor: element \[1\]\[0\] has 1 values, element \[0\]\[0\] has 2$/);
    expect(() => tensor([[1, 2], [3, 'x' as never]])).toThrow(/^tensor: row 1, column 1 is "x", not a number$/);
    expect(() => tensor(null as never)).toThrow(/^tensor: expected a Float32Array or \(nested\) arrays of numbers, got null$/);
  });

  it('tidy() disposes what it made except what it returns, and never a model built or compiled inside it', async () => {
    let kept: ReturnType<typeof tensor> | undefined;
    let dropped: ReturnType<typeof tensor> | undefined;
    const m = await tidy(async () => {
      const model = keras(5);
      model.compile({ optimizer: 'adam', loss: 'binary_crossentropy' });
      dropped = await model.predict(x);
      kept = tensor([1, 2]);
      return { model, kept };
    });
    expect(dropped!.disposed).toBe(true);
    expect(kept!.disposed).toBe(false);
    const h = await m.model.fit(x, y, { epochs: 1 });
    expect(Number.isFinite(h.loss[0])).toBe(true);
  });
});

describe('habits on the GPU', () => {
  gpuIt("getBackend('auto') picks the GPU and says why; tidy() keeps predict loops from holding GPU memory", async (gpu: WebGpuBackend) => {
    const auto = await getBackend('auto');
    expect(auto.name).toBe('webgpu');
    expect(auto.chosen).toMatch(gpu.isSoftwareAdapter ? /^auto: no hardware GPU; WebGPU on the software adapter / : /^auto: the hardware GPU /);
    const m = sequential([dense({ units: 8, activation: 'relu', inputShape: [10] }), dense({ units: 1 })], { backend: auto, seed: 1 });
    expect(m.summary(null)).toContain(`on the webgpu backend on ${auto.adapterName} (${auto.chosen})`);
    const live = () => (auto as WebGpuBackend).stats().buffersInUse;
    await tidy(async () => void (await (await m.predict(x)).data()));
    const before = live();
    for (let i = 0; i < 20; i++) await tidy(async () => void (await (await m.predict(x)).data()));
    expect(live()).toBe(before);
    m.dispose();
    auto.destroy();
  });
});
