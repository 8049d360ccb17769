// A model knows it is training: while fit runs, what would free or replace
// the buffers its recorded plans write into (compile, setWeights, dispose,
// a second fit) fails at once with a clear error, so no other model can be
// handed those buffers; reading (predict, evaluate, getWeights) still works
// between epochs, and after fit resolves everything is allowed again.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import { dense, sequential, type Backend, type Sequential } from '../../src/index.js';
import { kerasExampleData } from '../helpers/datasets.js';
import { gpuIt } from '../helpers/gpu.js';

const layers = () => [dense({ units: 8, activation: 'relu', inputShape: [10] }), dense({ units: 1, activation: 'sigmoid' })];

function compiled(backend: Backend, seed: number): Sequential {
  const m = sequential(layers(), { backend, seed });
  m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return m;
}

function cases(backend: () => Backend) {
  const { x, y } = kerasExampleData(3, 60);

  it('compile inside a callback fails fit with a clear error; a model built meanwhile is left alone', async () => {
    const b0 = backend();
    const a = compiled(b0, 1);
    let other: Sequential | undefined;
    let otherWeights: Float32Array[] = [];
    const run = a.fit(x, y, {
      epochs: 6,
      batchSize: 10,
      callbacks: {
        onEpochEnd: async (e) => {
          if (e !== 0) return;
          other = sequential(layers(), { backend: b0, seed: 2 });
          otherWeights = await other.getWeights();
          a.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
        },
      },
    });
    await expect(run).rejects.toThrow(/^compile: fit is running on this model; call compile after it resolves \(to end it early, set model.stopTraining = true in a callback and await fit\)$/);
    expect(a.isTraining).toBe(false);
    // Nothing of a's training touched the other model's weights.
    expect(await other!.getWeights()).toEqual(otherWeights);
    // After fit, a can be recompiled and trained again.
    a.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    const h = await a.fit(x, y, { epochs: 2, batchSize: 10 });
    expect(h.loss.every(Number.isFinite)).toBe(true);
    expect(await other!.getWeights()).toEqual(otherWeights);
    a.dispose();
    other!.dispose();
  });

  it('setWeights and dispose inside a callback fail at once; predict, evaluate and getWeights work', async () => {
    const m = compiled(backend(), 3);
    const seen: string[] = [];
    for (const [op, call] of [
      ['setWeights', async () => m.setWeights(await m.getWeights())],
      ['dispose', () => m.dispose()],
    ] as const) {
      const run = m.fit(x, y, { epochs: 3, batchSize: 20, callbacks: { onEpochEnd: async () => void (await call()) } });
      await expect(run).rejects.toThrow(new RegExp(`^${op}: fit is running on this model`));
      seen.push(op);
    }
    let read = 0;
    await m.fit(x, y, {
      epochs: 2,
      batchSize: 20,
      callbacks: {
        onEpochEnd: async () => {
          const p = await m.predict(x.slice(0, 3));
          expect(p.shape).toEqual([3, 1]);
          p.dispose();
          expect(Number.isFinite((await m.evaluate(x, y)).loss)).toBe(true);
          expect((await m.getWeights()).length).toBe(4);
          read++;
        },
      },
    });
    expect(read).toBe(2);
    expect(seen).toEqual(['setWeights', 'dispose']);
    m.dispose();
  });

  it('a second fit while one runs fails at once; onTrainEnd may compile and dispose', async () => {
    const m = compiled(backend(), 4);
    const first = m.fit(x, y, { epochs: 3, batchSize: 10 });
    await expect(m.fit(x, y, { epochs: 1 })).rejects.toThrow(/^fit: fit is running on this model/);
    expect((await first).loss).toHaveLength(3);
    await m.fit(x, y, {
      epochs: 1,
      callbacks: { onTrainEnd: () => m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' }) },
    });
    await m.fit(x, y, { epochs: 1, callbacks: { onTrainEnd: () => m.dispose() } });
    await expect(m.predict(x)).rejects.toThrow(/predict: this model was disposed/);
  });
}

describe('while fit runs (cpu)', () => cases(() => new CpuBackend()));

describe('while fit runs (webgpu)', () => {
  gpuIt('compile, setWeights, dispose and a second fit are refused during fit on the GPU too, and other models keep their weights', async (g) => {
    for (const c of ['compile', 'second fit', 'dispose'] as const) {
      const { x, y } = kerasExampleData(3, 60);
      const a = compiled(g, 1);
      const other = sequential(layers(), { backend: g, seed: 2 });
      const before = await other.getWeights();
      const run = a.fit(x, y, {
        epochs: 4,
        batchSize: 10,
        callbacks: {
          onEpochEnd: async (e) => {
            if (e !== 0) return;
            if (c === 'compile') a.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
            else if (c === 'dispose') a.dispose();
            else await a.fit(x, y);
          },
        },
      });
      await expect(run).rejects.toThrow(new RegExp(`^${c === 'second fit' ? 'fit' : c}: fit is running on this model`));
      // A later fit's dispatches must not land in the other model's buffers.
      await a.fit(x, y, { epochs: 2, batchSize: 10 });
      expect(await other.getWeights()).toEqual(before);
      a.dispose();
      other.dispose();
    }
  });
});
