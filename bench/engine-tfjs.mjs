// TensorFlow.js on its webgpu (the same Dawn adapter as ours), wasm and cpu
// backends, behind the engine interface of engine-ours.mjs. All three share one
// tf instance; each call selects its backend first. Models are built from the
// same description as ours, layer by layer (bench/model.mjs).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { exposeNavigatorGpu } from './dawn.mjs';
import { modelLayers } from './model.mjs';

const TRANSPOSES = { 'A·B': [false, false], 'Aᵀ·B': [true, false], 'A·Bᵀ': [false, true] };

/** The kernels training a layer needs beyond matmul and element-wise ones; a backend may lack some. */
const TRAINING_KERNELS = {
  conv2d: ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'],
  maxPooling2d: ['MaxPool', 'MaxPoolGrad'],
  averagePooling2d: ['AvgPool', 'AvgPoolGrad'],
};

/** The tf.layers layer of one of modelLayers()'s layers; the first gets the model's input shape. */
function tfLayer(l, inputShape) {
  const input = inputShape ? { inputShape: [...inputShape] } : {};
  switch (l.type) {
    case 'dense':
      return tf.layers.dense({ units: l.units, activation: l.activation, ...input });
    case 'conv2d':
      return tf.layers.conv2d({ filters: l.filters, kernelSize: l.kernelSize, strides: l.strides ?? 1, padding: l.padding ?? 'valid', activation: l.activation, ...input });
    case 'maxPooling2d':
    case 'averagePooling2d': {
      const pool = { poolSize: l.poolSize, strides: l.strides ?? l.poolSize, padding: l.padding ?? 'valid', ...input };
      return l.type === 'maxPooling2d' ? tf.layers.maxPooling2d(pool) : tf.layers.averagePooling2d(pool);
    }
    case 'flatten':
      return tf.layers.flatten(input);
    case 'dropout':
      return tf.layers.dropout({ rate: l.rate, ...input });
  }
  throw new Error(`bench: no TF.js layer for ${JSON.stringify(l)}`);
}

/** The folder with TF.js's .wasm files: beside a bundled benchmark, else in the package. */
function wasmFolder() {
  const beside = join(dirname(fileURLToPath(import.meta.url)), 'tfjs-wasm');
  if (existsSync(beside)) return `${beside}/`;
  const pkg = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return `${join(dirname(pkg), 'dist')}/`;
}

// Production mode: TF.js's debug-time checks off, as for a deployed model.
tf.enableProdMode();

/** Makes the backend available to tf.setBackend: { where it runs } or { unavailable: why }. */
async function prepare(backend) {
  if (backend === 'webgpu') {
    const adapter = await exposeNavigatorGpu();
    if (!adapter) return { unavailable: 'no WebGPU adapter' };
    // Registers the backend only when navigator.gpu exists, so it is imported after.
    await import('@tensorflow/tfjs-backend-webgpu');
    return { adapter };
  }
  if (backend === 'wasm') {
    setWasmPaths(wasmFolder());
    return { adapter: 'WebAssembly on the CPU' };
  }
  return { adapter: 'JavaScript on the CPU' };
}

/** @returns {Promise<object | {id, unavailable: string}>} */
export async function tfjsEngine(backend) {
  const id = `tfjs-${backend}`;
  let adapter;
  try {
    const prepared = await prepare(backend);
    if (prepared.unavailable) return { id, unavailable: prepared.unavailable };
    if (!(await tf.setBackend(backend))) return { id, unavailable: `tf.setBackend('${backend}') failed` };
    adapter = backend === 'wasm' ? `${prepared.adapter} (SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')})` : prepared.adapter;
  } catch (e) {
    return { id, unavailable: e.message };
  }
  const use = () => tf.setBackend(backend);

  return {
    id,
    label: `TensorFlow.js ${backend}`,
    adapter,
    isGpu: backend === 'webgpu',
    guarded: backend === 'cpu',

    async matmul(aValues, bValues, n, form) {
      await use();
      const a = tf.tensor2d(aValues, [n, n]);
      const b = tf.tensor2d(bValues, [n, n]);
      const product = () => tf.matMul(a, b, ...TRANSPOSES[form]);
      return {
        async run() {
          // Reading one element back waits for the product without copying all of it.
          const c = product();
          const corner = c.slice([0, 0], [1, 1]);
          await corner.data();
          tf.dispose([c, corner]);
        },
        async result() {
          const c = product();
          const values = await c.data();
          c.dispose();
          return values;
        },
        dispose() {
          tf.dispose([a, b]);
        },
      };
    },

    unsupported(spec) {
      for (const layer of modelLayers(spec)) {
        const missing = (TRAINING_KERNELS[layer.type] ?? []).find((k) => !tf.getKernel(k, backend));
        if (missing) return `TF.js ${tf.version.tfjs.split('.').slice(0, 2).join('.')}'s ${backend} backend has no ${missing} kernel`;
      }
      return undefined;
    },

    async fit(spec) {
      await use();
      const model = tf.sequential({ layers: modelLayers(spec).map((l, i) => tfLayer(l, i === 0 ? spec.inputShape : undefined)) });
      model.compile({ optimizer: tf.train.adam(0.001), loss: spec.loss, metrics: ['accuracy'] });
      // [rows, ...inputShape]: a 2-D tensor for vectors, 4-D (NHWC) for images.
      const samples = (set) => [tf.tensor(set.x, [set.rows, ...spec.inputShape]), tf.tensor2d(set.y, [set.rows, set.y.length / set.rows])];
      const [x, y] = samples(spec.train);
      const epochEnds = [];
      const start = performance.now();
      const history = await model.fit(x, y, {
        epochs: spec.epochs,
        batchSize: spec.batchSize,
        shuffle: true,
        // Never pause to yield to the event loop: time the training alone.
        yieldEvery: 'never',
        callbacks: spec.wallTimeOnly ? {} : { onEpochEnd: () => void epochEnds.push(performance.now() - start) },
      });
      const wallMs = performance.now() - start;
      let accuracy;
      if (spec.test) {
        const [xt, yt] = samples(spec.test);
        const [loss, acc] = model.evaluate(xt, yt, { batchSize: 1024 });
        accuracy = (await acc.data())[0];
        tf.dispose([xt, yt, loss, acc]);
      }
      const params = model.countParams();
      model.optimizer.dispose();
      model.dispose();
      tf.dispose([x, y]);
      return { epochEnds, wallMs, loss: history.history.loss.at(-1), accuracy, params };
    },

    close() {},
  };
}
