// Our engine, on its WebGPU backend or its CPU reference backend, behind the
// interface every engine of the benchmark offers (see engine-tfjs.mjs):
//   matmul(a, b, n, form) → { run, result, dispose }   run() returns once the product is computed
//   fit(spec) → { epochEnds, loss, accuracy, peakBytes, params }   epochEnds: ms from the start of fit
//   unsupported(spec) → why this engine cannot train the model, or undefined
//   profile(spec, steps) → Sequential.profileSteps's StepProfile (ours on WebGPU only; others leave it undefined)
// where spec is the workload's model description (bench/model.mjs) with its data.
import { WebGpuBackend, CpuBackend, buildModel, parseLayers, tensor, adam } from '../dist/index.js';

const TRANSPOSES = { 'A·B': {}, 'Aᵀ·B': { transposeA: true }, 'A·Bᵀ': { transposeB: true } };

export async function oursEngine(kind) {
  const open = () => (kind === 'webgpu' ? WebGpuBackend.create() : new CpuBackend());
  let backend = await open();
  // CPU ops run when recorded; the GPU's complete when the queue drains.
  const finish = (t) => (kind === 'webgpu' ? backend.flush() : t.data());

  /** The model from the workload's description, as every entry point of the library builds it, and its training data. */
  const buildFor = (spec) => {
    const { inputShape, hidden, activation, task, loss } = spec;
    const model = buildModel({ inputShape, hidden: parseLayers(hidden), activation, task, loss }, { backend, seed: spec.seed });
    model.compile({ optimizer: adam({ learningRate: 0.001 }), loss, metrics: ['accuracy'] });
    const samples = (set) => [tensor(set.x, [set.rows, ...inputShape]), tensor(set.y, [set.rows, set.y.length / set.rows])];
    const [x, y] = samples(spec.train);
    return { model, x, y, samples };
  };

  return {
    id: `ours-${kind}`,
    label: `webgpu-train (${kind})`,
    adapter: backend.adapterName,
    isGpu: kind === 'webgpu',
    guarded: kind === 'cpu',
    isSoftwareAdapter: kind === 'webgpu' && backend.isSoftwareAdapter,
    // On hardware GPUs the matmul rows also time the tiled kernel's 128×128 tile (8×8 per
    // invocation) beside the default 64×64, so one run says which to make the default.
    matmulTiles: kind === 'webgpu' && !backend.isSoftwareAdapter ? [{ tile: 'huge', label: '128×128 tiles' }] : [],

    /** `tile` names the tiled kernel's tile for this product (WebGpuTuning.gemmTile); the default otherwise. */
    matmul(aValues, bValues, n, form, tile) {
      const a = backend.tensor(aValues, [n, n]);
      const b = backend.tensor(bValues, [n, n]);
      const product = () => {
        if (!tile) return backend.matmul(a, b, TRANSPOSES[form]);
        backend.tuning.gemmTile = tile;
        try {
          return backend.matmul(a, b, TRANSPOSES[form]);
        } finally {
          delete backend.tuning.gemmTile;
        }
      };
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

    // Every layer of the library trains on both backends.
    unsupported: () => undefined,

    /**
     * Where the time of `steps` training steps of spec goes, dispatch by dispatch
     * (Sequential.profileSteps; the GPU's timestamps where the adapter has them).
     * WebGPU only: the CPU backend has no dispatches.
     */
    profile:
      kind === 'webgpu'
        ? async (spec, steps) => {
            const { model, x, y } = buildFor(spec);
            try {
              return await model.profileSteps(x, y, { batchSize: spec.batchSize, steps });
            } finally {
              model.dispose();
            }
          }
        : undefined,

    async fit(spec) {
      // A fresh device, so that its peak allocation is this workload's alone.
      if (spec.measureMemory && kind === 'webgpu') {
        backend.destroy();
        backend = await open();
      }
      const { model, x, y, samples } = buildFor(spec);
      const epochEnds = [];
      const start = performance.now();
      const history = await model.fit(x, y, {
        epochs: spec.epochs,
        batchSize: spec.batchSize,
        shuffle: true,
        // Epoch callbacks make fit wait for each epoch's results before the next goes out; timing fit whole needs none.
        callbacks: spec.wallTimeOnly ? {} : { onEpochEnd: () => void epochEnds.push(performance.now() - start) },
      });
      const wallMs = performance.now() - start;
      let accuracy;
      if (spec.test) accuracy = (await model.evaluate(...samples(spec.test))).accuracy;
      const peakBytes = kind === 'webgpu' ? backend.stats().peakBytesAllocated : undefined;
      const params = model.countParams();
      model.dispose();
      return { epochEnds, wallMs, loss: history.loss.at(-1), accuracy, peakBytes, params };
    },

    close() {
      backend.destroy();
    },
  };
}
