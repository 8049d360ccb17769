// The WebGPU backend's machinery: dispatches are batched into one submission,
// buffers are pooled and reused, pipelines compiled once, and ordering hazards
// (a write or a reused buffer under recorded work) cannot corrupt results.
import { describe, expect } from 'vitest';
import { Random } from '../src/random.js';
import { sizeClass } from '../src/backend/webgpu/buffers.js';
import { gpuIt } from './helpers/gpu.js';
import { it } from 'vitest';

describe('scheduler', () => {
  gpuIt('records many dispatches and submits once, when a result is read', async (gpu) => {
    const before = gpu.stats();
    let x = gpu.tensor(new Random(1).fill(64 * 64), [64, 64]);
    const w = gpu.tensor(new Random(2).fill(64 * 64, -0.1, 0.1), [64, 64]);
    for (let i = 0; i < 50; i++) x = gpu.matmul(x, w, { activation: 'tanh' });
    expect(gpu.stats().submissions).toBe(before.submissions);
    await x.data();
    const after = gpu.stats();
    expect(after.dispatches - before.dispatches).toBe(50);
    expect(after.submissions - before.submissions).toBe(1);
    expect(after.readbacks - before.readbacks).toBe(1);
  });

  gpuIt('reuses pooled buffers and cached pipelines: a steady loop creates nothing', async (gpu) => {
    const rng = new Random(3);
    const x = gpu.tensor(rng.fill(32 * 20), [32, 20]);
    const w = gpu.tensor(rng.fill(20 * 10), [20, 10]);
    const b = gpu.tensor(rng.fill(10), [10]);
    const step = async () => {
      const y = gpu.matmul(x, w, { bias: b, activation: 'relu' });
      const dy = gpu.activationBackward(y, y, 'relu');
      const dw = gpu.matmul(x, dy, { transposeA: true });
      const db = gpu.columnSums(dy);
      gpu.sgd(w, dw, 0.01);
      gpu.sgd(b, db, 0.01);
      for (const t of [y, dy, dw, db]) t.dispose();
      await gpu.flush();
    };
    await step();
    await step();
    const warm = gpu.stats();
    for (let i = 0; i < 20; i++) await step();
    const after = gpu.stats();
    expect(after.buffersCreated).toBe(warm.buffersCreated);
    expect(after.liveBuffers).toBe(warm.liveBuffers);
    expect(after.pipelines).toBe(warm.pipelines);
    expect(after.dispatches - warm.dispatches).toBe(20 * 6);
  });

  gpuIt('a write after recorded work does not change what that work read', async (gpu) => {
    const a = gpu.tensor([1, -2, 3], [3]);
    const y = gpu.activation(a, 'relu');
    gpu.write(a, new Float32Array([-5, 6, -7]));
    expect(Array.from(await y.data())).toEqual([1, 0, 3]);
    expect(Array.from(await gpu.activation(a, 'relu').data())).toEqual([0, 6, 0]);
  });

  gpuIt('a buffer disposed under recorded work is not reused before that work is submitted', async (gpu) => {
    const a = gpu.tensor([1, 2, 3, 4], [4]);
    const y = gpu.activation(a, 'linear');
    a.dispose();
    // Same size class: the pool would hand a's buffer straight back if it could.
    const b = gpu.tensor([9, 9, 9, 9], [4]);
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4]);
    expect(Array.from(await b.data())).toEqual([9, 9, 9, 9]);
  });

  gpuIt('prepared work waits for release: writes made meanwhile land before it, and it goes out in one submission with work recorded after', async (gpu) => {
    const x = gpu.tensor([1, 2, 3, 4], [4]);
    const [y, z] = [gpu.zeros([4]), gpu.zeros([4])];
    const copyToY = gpu.record(() => gpu.copy(x, y));
    const copyToZ = gpu.record(() => gpu.copy(x, z));
    await gpu.flush();
    const before = gpu.stats();
    const work = gpu.prepare([copyToY]);
    const dropped = gpu.prepare([copyToZ]);
    expect(gpu.stats().submissions).toBe(before.submissions);
    // Nothing prepared has run: a read now submits nothing of it.
    expect(Array.from(await y.data())).toEqual([0, 0, 0, 0]);
    const twice = gpu.tensor([2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2], [4, 4]);
    gpu.write(x, new Float32Array([5, 6, 7, 8]));
    await gpu.flush();
    const mid = gpu.stats();
    work.release();
    dropped.discard();
    const doubled = gpu.matmul(gpu.view(y, [1, 4]), twice);
    // The prepared copy ran after the write, and before the product recorded after its release, in one submission.
    expect(Array.from(await doubled.data())).toEqual([10, 12, 14, 16]);
    expect(gpu.stats().submissions - mid.submissions).toBe(1);
    expect(Array.from(await z.data())).toEqual([0, 0, 0, 0]);
    expect(() => work.release()).toThrow(/already released/);
    for (const p of [copyToY, copyToZ]) p.dispose();
  });

  it('size classes waste at most 25% above 1 KiB and are powers of two below', () => {
    expect(sizeClass(1)).toBe(16);
    expect(sizeClass(100)).toBe(128);
    expect(sizeClass(1024)).toBe(1024);
    for (let bytes = 1025; bytes < 1 << 22; bytes = Math.ceil(bytes * 1.37)) {
      const c = sizeClass(bytes);
      expect(c).toBeGreaterThanOrEqual(bytes);
      expect(c / bytes).toBeLessThanOrEqual(1.25);
      expect(c % 4).toBe(0);
    }
  });
});
