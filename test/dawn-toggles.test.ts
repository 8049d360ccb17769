// Dawn's toggles in Node (docs/dawn.md): WEBGPU_TRAIN_DAWN_TOGGLES is read
// when a device is opened, a malformed value fails in one line before Dawn is
// loaded, and a device opened with disable_robustness really runs without
// Dawn's bounds clamping — seen from a read past the end of a binding, which
// Dawn clamps to the binding's last element unless the toggle is on — and
// still computes matmuls that match the CPU reference.
import { afterEach, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/index.js';
import { acquireDevice, DAWN_TOGGLES_ENV, DEFAULT_DAWN_TOGGLES, parseDawnToggles, type GpuContext } from '../src/backend/webgpu/device.js';
import { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { Random } from '../src/random.js';
import { gpuRequired } from './helpers/required.js';

const saved = process.env[DAWN_TOGGLES_ENV];
afterEach(() => {
  if (saved === undefined) delete process.env[DAWN_TOGGLES_ENV];
  else process.env[DAWN_TOGGLES_ENV] = saved;
});

/** Sets WEBGPU_TRAIN_DAWN_TOGGLES (undefined: unset) for what follows in this test. */
function setToggles(value: string | undefined): void {
  if (value === undefined) delete process.env[DAWN_TOGGLES_ENV];
  else process.env[DAWN_TOGGLES_ENV] = value;
}

describe('WEBGPU_TRAIN_DAWN_TOGGLES', () => {
  it('unset: the library default', () => {
    expect(parseDawnToggles(undefined)).toEqual([...DEFAULT_DAWN_TOGGLES]);
    expect(DEFAULT_DAWN_TOGGLES).toContain('disable_robustness');
  });

  it("'none' or empty: Dawn's own defaults", () => {
    for (const v of ['none', '', '  ']) expect(parseDawnToggles(v)).toEqual([]);
  });

  it("a comma-separated list; '-name' turns a toggle off", () => {
    expect(parseDawnToggles('disable_robustness, disable_workgroup_init,-timestamp_quantization')).toEqual([
      'disable_robustness',
      'disable_workgroup_init',
      '-timestamp_quantization',
    ]);
  });

  const malformed: [string, RegExp][] = [
    ['disable robustness', /'disable robustness' is not a Dawn toggle name/],
    ['Disable_Robustness', /'Disable_Robustness' is not a Dawn toggle name/],
    ['disable-robustness', /'disable-robustness' is not a Dawn toggle name/],
    ['enable-dawn-features=disable_robustness', /is not a Dawn toggle name/],
    ['disable_robustness,,dump_shaders', /an empty name/],
    ['-', /'-' is not a Dawn toggle name/],
    ['dump_shaders,-dump_shaders', /'dump_shaders' is both turned on and off/],
  ];
  for (const [value, message] of malformed) {
    it(`malformed '${value}': one line that names the variable`, () => {
      let error: Error | undefined;
      try {
        parseDawnToggles(value);
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).toMatch(message);
      expect(error?.message).toContain(`${DAWN_TOGGLES_ENV}='${value}'`);
      expect(error?.message).not.toContain('\n');
    });
  }

  it('a malformed value fails the device request before Dawn is loaded', async () => {
    setToggles('disable robustness');
    await expect(WebGpuBackend.create()).rejects.toThrow(/^webgpu: WEBGPU_TRAIN_DAWN_TOGGLES='disable robustness': 'disable robustness' is not a Dawn toggle name/);
  });
});

describe('WebGpuBackend.create({}, { dawnToggles })', () => {
  it('an option, checked as the variable is, and taking precedence over it', async (ctx) => {
    setToggles('disable robustness');
    // The option wins: the malformed variable is not read.
    let gpu: WebGpuBackend;
    try {
      gpu = await WebGpuBackend.create({}, { dawnToggles: ['disable_workgroup_init', '-timestamp_quantization'] });
    } catch (e) {
      if (gpuRequired) throw e;
      return ctx.skip('no WebGPU adapter');
    }
    expect(gpu.dawnToggles).toEqual(['disable_workgroup_init', '-timestamp_quantization']);
    gpu.destroy();
    for (const [toggles, message] of [
      [['disable robustness'], /^webgpu: dawnToggles \["disable robustness"\]: 'disable robustness' is not a Dawn toggle name; give names like 'disable_robustness'/],
      [['dump_shaders', '-dump_shaders'], /^webgpu: dawnToggles \["dump_shaders","-dump_shaders"\]: 'dump_shaders' is both turned on and off$/],
      [[''], /an empty name/],
    ] as const) {
      await expect(WebGpuBackend.create({}, { dawnToggles: toggles })).rejects.toThrow(message);
    }
  });
});

/** A device opened with these toggles, or undefined when this machine has no adapter (a failure under REQUIRE_GPU). */
async function open(toggles: string | undefined): Promise<GpuContext | undefined> {
  setToggles(toggles);
  try {
    return await acquireDevice();
  } catch (e) {
    if (gpuRequired) throw e;
    return undefined;
  }
}

/**
 * Reads element 70 of a binding that holds 64 floats (1..64) of a 256-float
 * buffer (1..256). Dawn's robustness clamps the index to the binding's last
 * element (64); without it the read is whatever the driver gives for it
 * (llvmpipe: 0; a hardware GPU: the buffer's 71). It stays inside the buffer
 * either way.
 */
async function readPastBinding(device: GPUDevice): Promise<number> {
  const module = device.createShaderModule({
    code: `
      @group(0) @binding(0) var<storage, read> a: array<f32>;
      @group(0) @binding(1) var<storage, read_write> out: array<f32>;
      @compute @workgroup_size(1) fn main() { out[0] = a[70]; }`,
  });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const a = device.createBuffer({ size: 1024, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(a, 0, Float32Array.from({ length: 256 }, (_, i) => i + 1));
  const out = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: a, offset: 0, size: 256 } },
      { binding: 1, resource: { buffer: out } },
    ],
  });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(1);
  pass.end();
  encoder.copyBufferToBuffer(out, 0, read, 0, 16);
  device.queue.submit([encoder.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const value = new Float32Array(read.getMappedRange())[0]!;
  read.unmap();
  return value;
}

describe('a device opened with Dawn toggles', () => {
  it("Dawn's defaults clamp a read past a binding; disable_robustness leaves it unclamped", async (ctx) => {
    const robust = await open('none');
    if (!robust) return ctx.skip('no WebGPU adapter');
    try {
      expect(robust.dawnToggles).toEqual([]);
      expect(await readPastBinding(robust.device)).toBe(64);
    } finally {
      robust.release();
    }
    const fast = await open('disable_robustness');
    try {
      expect(fast!.dawnToggles).toEqual(['disable_robustness']);
      expect(await readPastBinding(fast!.device)).not.toBe(64);
    } finally {
      fast!.release();
    }
  });

  it('with the default toggles, matmuls match the CPU reference', async (ctx) => {
    setToggles(undefined);
    let gpu: WebGpuBackend;
    try {
      gpu = await WebGpuBackend.create();
    } catch (e) {
      if (gpuRequired) throw e;
      return ctx.skip('no WebGPU adapter');
    }
    try {
      expect(gpu.dawnToggles).toEqual([...DEFAULT_DAWN_TOGGLES]);
      expect(gpu.adapterFeatures).toEqual([...gpu.adapterFeatures].sort());
      console.log(`[webgpu-train] ${gpu.adapterName}: subgroups ${gpu.adapterFeatures.includes('subgroups') ? 'offered' : 'not offered'}`);
      const cpu = new CpuBackend();
      const rng = new Random(17);
      // Edges in every dimension, whole tiles, and the transposed forms of a backward pass.
      const cases: [number, number, number, { transposeA?: boolean; transposeB?: boolean }][] = [
        [67, 45, 33, {}],
        [128, 128, 128, {}],
        [13, 31, 7, { transposeA: true }],
        [64, 96, 36, { transposeB: true }],
      ];
      for (const [M, K, N, o] of cases) {
        const a = rng.fill(M * K);
        const b = rng.fill(K * N);
        const aShape = o.transposeA ? [K, M] : [M, K];
        const bShape = o.transposeB ? [N, K] : [K, N];
        const want = await cpu.matmul(cpu.tensor(a, aShape), cpu.tensor(b, bShape), o).data();
        const got = await gpu.matmul(gpu.tensor(a, aShape), gpu.tensor(b, bShape), o).data();
        const worst = got.reduce((w, v, i) => Math.max(w, Math.abs(v - want[i]!) / (1 + Math.abs(want[i]!))), 0);
        expect(worst, `${M}×${K}·${K}×${N} ${JSON.stringify(o)}`).toBeLessThan(1e-5);
      }
    } finally {
      gpu.destroy();
    }
  });
});
