// The page test/e2e/save-load.test.ts drives: the library as a browser app
// imports it, with a few steps exposed on window for the test to call.
import { dense, getBackend, loadModel, sequential, type Backend, type Sequential } from '../../../src/index.js';

const x = Array.from({ length: 8 }, (_, i) => Array.from({ length: 4 }, (_, j) => Math.sin(i * 4 + j)));
const y = x.map((row) => [row[0]! + row[1]! > 0 ? 1 : 0]);

let backend: Backend | undefined;
let model: Sequential | undefined;

const steps = {
  async train(): Promise<string> {
    backend = await getBackend('auto');
    model = sequential([dense({ units: 8, activation: 'relu', inputShape: [4] }), dense({ units: 1, activation: 'sigmoid' })], { seed: 9, backend });
    model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
    await model.fit(x, y, { epochs: 3, batchSize: 4 });
    return backend.name;
  },
  async save(url: string): Promise<string> {
    return (await model!.save(url)).location;
  },
  async load(source: string): Promise<number[]> {
    backend ??= await getBackend('auto');
    const loaded = await loadModel(source, { backend });
    return Array.from(await (await loaded.predict(x)).data());
  },
  async predict(): Promise<number[]> {
    return Array.from(await (await model!.predict(x)).data());
  },
  /** TensorFlow.js loads what we saved (any URL it knows) and predicts. */
  async tfjsPredict(url: string): Promise<number[]> {
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    const m = await tf.loadLayersModel(url);
    return Array.from((m.predict(tf.tensor(x)) as { dataSync(): Float32Array }).dataSync());
  },
  /** TensorFlow.js saves the weights of our model at `from` under its own name; we load that. */
  async tfjsSave(url: string, from = 'indexeddb://demo-model'): Promise<void> {
    backend ??= await getBackend('auto');
    model = await loadModel(from, { backend });
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }), tf.layers.dense({ units: 1, activation: 'sigmoid' })] });
    m.setWeights((await model!.getWeights()).map((w, i) => tf.tensor(w, m.getWeights()[i]!.shape)));
    await m.save(url);
  },
  /** A save or load that fails, as the message the user would see. */
  async failure(source: string): Promise<string> {
    try {
      await loadModel(source);
      return 'no error';
    } catch (e) {
      return (e as Error).message;
    }
  },
};

(window as unknown as { steps: typeof steps }).steps = steps;
document.querySelector('[data-testid=status]')!.textContent = 'ready';
