// The GPU half of the suite. With REQUIRE_GPU=1 (as on CI) a missing adapter
// fails the run; on a developer machine without one, the GPU tests are
// reported as skipped with the reason (what to install) printed once.
import { afterAll, it, type TestContext } from 'vitest';
import { WebGpuBackend } from '../../src/backend/webgpu/index.js';

import { gpuRequired as required } from './required.js';

let opened: Promise<WebGpuBackend | string> | undefined;

function open(): Promise<WebGpuBackend | string> {
  opened ??= WebGpuBackend.create().then(
    (backend) => {
      console.log(`[webgpu-train] WebGPU adapter: ${backend.adapterName}`);
      return backend;
    },
    (e: Error) => {
      if (required) throw new Error(`REQUIRE_GPU is set but no WebGPU adapter could be opened: ${e.message}`);
      console.warn(`[webgpu-train] GPU tests cannot run here: ${e.message}`);
      return e.message;
    },
  );
  return opened;
}

/** The shared WebGPU backend of this test file, or undefined (with the test skipped) when there is none. */
export async function gpuOrSkip(ctx: TestContext): Promise<WebGpuBackend> {
  const b = await open();
  if (typeof b === 'string') {
    ctx.skip(`no WebGPU adapter: ${b}`);
    throw new Error('unreachable');
  }
  return b;
}

/** Whether this machine has an adapter (under REQUIRE_GPU, a missing one fails instead). */
export async function hasGpu(): Promise<boolean> {
  return typeof (await open()) !== 'string';
}

/** A test that needs the GPU backend. */
export function gpuIt(name: string, fn: (gpu: WebGpuBackend) => Promise<void> | void, timeout?: number): void {
  it(name, async (ctx) => fn(await gpuOrSkip(ctx)), timeout);
}

// Release the device so the test process can exit.
afterAll(async () => {
  const b = await opened;
  if (b instanceof WebGpuBackend) b.destroy();
});
