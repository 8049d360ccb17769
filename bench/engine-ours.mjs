// Our engine, on its WebGPU backend or its CPU reference backend, behind the
// interface every engine of the benchmark offers (see engine-tfjs.mjs):
//   matmul(a, b, n, form) → { run, result, dispose }   run() returns once the product is computed
//   fit(spec) → { epochEnds, accuracy, peakBytes }     epochEnds: ms from the start of fit
import { WebGpuBackend, CpuBackend, sequential, dense, tensor, adam } from '../dist/index.js';

const TRANSPOSES = { 'A·B': {}, 'Aᵀ·B': { transposeA: true }, 'A·Bᵀ': { transposeB: true } };

export async function oursEngine(kind) {
  const open = () => (kind === 'webgpu' ? WebGpuBackend.create() : new CpuBackend());
  let backend = await open();
  // CPU ops run when recorded; the GPU's complete when the queue drains.
  const finish = (t) => (kind === 'webgpu' ? backend.flush() : t.data());

  return {
    id: `ours-${kind}`,
    label: `webgpu-train (${kind})`,
    adapter: backend.adapterName,
    isGpu: kind === 'webgpu',
    guarded: kind === 'cpu',
    isSoftwareAdapter: kind === 'webgpu' && backend.isSoftwareAdapter,

    matmul(aValues, bValues, n, form) {
      const a = backend.tensor(aValues, [n, n]);
      const b = backend.tensor(bValues, [n, n]);
      const product = () => backend.matmul(a, b, TRANSPOSES[form]);
      return {
        async run() {
          const c = product();
          await finish(c);
          c.dispose();
        },
        async result() {
          const c = product();
          const values = await c.data();
          c.dispose();
          return values;
        },
        dispose() {
          a.dispose();
          b.dispose();
        },
      };
    },

    async fit(spec) {
      // A fresh device, so that its peak allocation is this workload's alone.
      if (spec.measureMemory && kind === 'webgpu') {
        backend.destroy();
        backend = await open();
      }
      const layers = spec.layers.map((l, i) =>
        dense({ units: l.units, activation: l.activation, ...(i === 0 ? { inputShape: [spec.inputs] } : {}) }),
      );
      const model = sequential(layers, { backend, seed: spec.seed });
      model.compile({ optimizer: adam({ learningRate: 0.001 }), loss: spec.loss, metrics: ['accuracy'] });
      const x = tensor(spec.train.x, [spec.train.rows, spec.inputs]);
      const y = tensor(spec.train.y, [spec.train.rows, spec.train.y.length / spec.train.rows]);
      const epochEnds = [];
      const start = performance.now();
      const history = await model.fit(x, y, {
        epochs: spec.epochs,
        batchSize: spec.batchSize,
        shuffle: true,
        callbacks: { onEpochEnd: () => void epochEnds.push(performance.now() - start) },
      });
      let accuracy;
      if (spec.test) {
        const xt = tensor(spec.test.x, [spec.test.rows, spec.inputs]);
        const yt = tensor(spec.test.y, [spec.test.rows, spec.test.y.length / spec.test.rows]);
        accuracy = (await model.evaluate(xt, yt)).accuracy;
      }
      const peakBytes = kind === 'webgpu' ? backend.stats().peakBytesAllocated : undefined;
      model.dispose();
      return { epochEnds, loss: history.loss.at(-1), accuracy, peakBytes };
    },

    close() {
      backend.destroy();
    },
  };
}
