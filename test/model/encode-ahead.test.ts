// The next epoch is encoded while the device still runs this one (and while
// its results travel back), but queued only after this epoch's results are
// read and its callbacks have run: what a callback sees and does is exactly
// what it would be without the overlap. Checked against the path that encodes
// each epoch as it runs (taken when per-batch callbacks need results inside it).
// With no callback between epochs the next epoch is submitted before this
// one's results arrive (pipelined), with a second backup for a NaN loss.
import { describe, expect } from 'vitest';
import { dense, sequential, sgd, adam, type Backend, type Optimizer, type WebGpuBackend } from '../../src/index.js';
import { kerasExampleData } from '../helpers/datasets.js';
import { gpuIt } from '../helpers/gpu.js';

const { x, y } = kerasExampleData(5, 120);
const BATCH = 20; // 6 steps an epoch

function model(backend: Backend, optimizer: Optimizer) {
  const m = sequential([dense({ units: 8, activation: 'relu', inputShape: [10] }), dense({ units: 1, activation: 'sigmoid' })], { backend, seed: 3 });
  m.compile({ optimizer, loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return m;
}

const flat = async (m: ReturnType<typeof model>) => (await m.getWeights()).flatMap((w) => Array.from(w));

describe('encoding the next epoch ahead', () => {
  gpuIt('the next epoch is encoded before this one is read, and runs only after its callbacks', async (gpu: WebGpuBackend) => {
    const m = model(gpu, sgd({ learningRate: 0.3 }));
    const perEpoch = m.dispatchesPerStep(BATCH) * (120 / BATCH);
    const start = gpu.stats();
    const seen: { dispatches: number; submissions: number }[] = [];
    const weights: Record<string, number[]> = {};
    const history = await m.fit(x, y, {
      epochs: 5,
      batchSize: BATCH,
      callbacks: {
        onEpochBegin: async (e) => {
          if (e > 0) weights[`begin ${e}`] = await flat(m);
        },
        onEpochEnd: async (e) => {
          const s = gpu.stats();
          seen.push({ dispatches: s.dispatches - start.dispatches, submissions: s.submissions - start.submissions });
          weights[`end ${e}`] = await flat(m);
          if (e === 1) m.stopTraining = true;
        },
      },
    });
    // At the end of epoch 0, epoch 1's dispatches are encoded already, but only epoch 0 went out.
    expect(seen[0]!.dispatches).toBeGreaterThanOrEqual(2 * perEpoch);
    expect(seen[0]!.submissions).toBe(1);
    // What the callbacks of epoch 0 read is what epoch 1 starts from: it had not run.
    expect(weights['begin 1']).toEqual(weights['end 0']);
    // Stopped at the end of epoch 1: epoch 2, encoded ahead, never ran.
    expect(history.loss.length).toBe(2);
    expect(await flat(m)).toEqual(weights['end 1']);
    expect(weights['end 1']).not.toEqual(weights['end 0']);
    m.dispose();
  });

  gpuIt('training is the same with the next epoch encoded ahead as with each epoch encoded as it runs', async (gpu: WebGpuBackend) => {
    const run = async (perBatchCallback: boolean) => {
      const m = model(gpu, adam({ learningRate: 0.01 }));
      const h = await m.fit(x, y, {
        epochs: 4,
        batchSize: BATCH,
        validationSplit: 0.25,
        // A per-batch callback needs results inside the epoch: its epochs are encoded as they run.
        callbacks: perBatchCallback ? { onBatchEnd: () => {} } : {},
      });
      const w = await flat(m);
      m.dispose();
      return { w, loss: h.loss, val: h.history.val_loss };
    };
    const ahead = await run(false);
    const asItRuns = await run(true);
    expect(ahead.w).toEqual(asItRuns.w);
    expect(ahead.loss).toEqual(asItRuns.loss);
    expect(ahead.val).toEqual(asItRuns.val);
  });

  gpuIt('a NaN loss drops the epoch encoded ahead and keeps the weights from before the bad epoch', async (gpu: WebGpuBackend) => {
    const m = model(gpu, sgd({ learningRate: 1 }));
    let before: number[] = [];
    await expect(
      m.fit(x, y, {
        epochs: 4,
        batchSize: BATCH,
        callbacks: {
          onEpochEnd: async (e) => {
            if (e !== 0) return;
            before = await flat(m);
            // The next epoch blows up.
            m.optimizer.learningRate = 1e30;
          },
        },
      }),
    ).rejects.toThrow(/training loss became (NaN|Infinity|-Infinity) in epoch 2; the weights from the end of epoch 1 were kept/);
    expect(await flat(m)).toEqual(before);
    m.dispose();
  });

  /** Logs when each readback starts and ends, in order (the fit reads one report per epoch). */
  function logReads(gpu: WebGpuBackend, onEnd?: (n: number) => void): { log: string[]; restore: () => void } {
    const log: string[] = [];
    const read = gpu.read.bind(gpu);
    let ends = 0;
    gpu.read = async (t) => {
      log.push('start');
      const v = await read(t);
      log.push('end');
      onEnd?.(++ends);
      return v;
    };
    return { log, restore: () => void delete (gpu as { read?: unknown }).read };
  }

  gpuIt('without callbacks between epochs, the next epoch is submitted before this one is read, and trains the same', async (gpu: WebGpuBackend) => {
    const run = async (callbacks: Parameters<ReturnType<typeof model>['fit']>[2]) => {
      const m = model(gpu, adam({ learningRate: 0.01 }));
      const before = gpu.stats();
      const h = await m.fit(x, y, { epochs: 4, batchSize: BATCH, validationSplit: 0.25, ...callbacks });
      const after = gpu.stats();
      const w = await flat(m);
      m.dispose();
      return { w, loss: h.loss, val: h.history.val_loss, submissions: after.submissions - before.submissions, readbacks: after.readbacks - before.readbacks };
    };
    const reads = logReads(gpu);
    let pipelined;
    try {
      pipelined = await run({});
    } finally {
      reads.restore();
    }
    // Epoch 2's report was asked for (its work submitted) before epoch 1's arrived; still one submission and readback an epoch.
    expect(reads.log.slice(0, 3)).toEqual(['start', 'start', 'end']);
    expect([pipelined.submissions, pipelined.readbacks]).toEqual([4, 4]);
    const withEpochCallback = await run({ callbacks: { onEpochEnd: () => {} } });
    const asItRuns = await run({ callbacks: { onBatchEnd: () => {} } });
    for (const other of [withEpochCallback, asItRuns]) {
      expect(pipelined.w).toEqual(other.w);
      expect(pipelined.loss).toEqual(other.loss);
      expect(pipelined.val).toEqual(other.val);
    }
  });

  gpuIt('pipelined: a NaN loss keeps the weights from before the bad epoch, though the next one already ran', async (gpu: WebGpuBackend) => {
    // Epoch 2 blows up, epoch 3 is under way when that is seen.
    const rate = (epoch: number) => (epoch === 0 ? 0.3 : 1e30);
    const one = model(gpu, sgd({ learningRate: rate }));
    await one.fit(x, y, { epochs: 1, batchSize: BATCH });
    const m = model(gpu, sgd({ learningRate: rate }));
    await expect(m.fit(x, y, { epochs: 4, batchSize: BATCH })).rejects.toThrow(/training loss became (NaN|Infinity|-Infinity) in epoch 2; the weights from the end of epoch 1 were kept/);
    expect(await flat(m)).toEqual(await flat(one));
    for (const t of [one, m]) t.dispose();
  });

  gpuIt('pipelined: stopping while the next epoch is under way finishes and records that epoch', async (gpu: WebGpuBackend) => {
    const two = model(gpu, sgd({ learningRate: 0.3 }));
    await two.fit(x, y, { epochs: 2, batchSize: BATCH });
    const m = model(gpu, sgd({ learningRate: 0.3 }));
    // Asked to stop when epoch 1's results arrive: epoch 2 is already submitted.
    const reads = logReads(gpu, (n) => {
      if (n === 1) m.stopTraining = true;
    });
    let h;
    try {
      h = await m.fit(x, y, { epochs: 5, batchSize: BATCH });
    } finally {
      reads.restore();
    }
    expect(h.loss.length).toBe(2);
    expect(await flat(m)).toEqual(await flat(two));
    for (const t of [two, m]) t.dispose();
  });
});
