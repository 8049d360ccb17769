// Timing helpers and the time guard that keeps slow engines from stalling a run.
import { modelLayers, walkLayers } from './model.mjs';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/**
 * Keeps the plain-JavaScript engines (ours cpu, TF.js cpu) from stalling a
 * run: each one's speed (GFLOP/s) on its last measurement of a kind (matmul,
 * training, ...) estimates the next, larger one, and a measurement estimated
 * over the limit is skipped, not run. Sizes grow within each workload, so the
 * estimate comes from the nearest smaller size; a workload with nothing
 * smaller before it (the convnet) times a probe fit first. The engines being
 * compared (WebGPU, wasm) are never skipped for time.
 */
export class TimeGuard {
  #rates = new Map();
  constructor(maxSeconds) {
    this.maxSeconds = maxSeconds;
  }
  /** A reason to skip `gflop` of work on `engine`, or undefined to run it. */
  check(engine, kind, gflop) {
    const rate = this.#rates.get(`${engine.id}/${kind}`);
    if (!engine.guarded || !rate) return undefined;
    const s = gflop / rate;
    return s > this.maxSeconds ? `skipped: ~${Math.round(s)} s estimated, over --max-seconds ${this.maxSeconds}` : undefined;
  }
  /** Whether `check` has a speed to estimate from (always true for an engine it never skips). */
  knows(engine, kind) {
    return !engine.guarded || this.#rates.has(`${engine.id}/${kind}`);
  }
  record(engine, kind, gflop, seconds) {
    this.#rates.set(`${engine}/${kind}`, gflop / seconds);
  }
}

/**
 * Floating-point operations of training one sample of the model a description
 * asks for: the forward pass (2·in·out for a dense layer, 2·oh·ow·kh·kw·c_in·filters
 * for a conv) and a backward pass of twice that (the gradients of the input and
 * of the weights). Pooling, flatten and dropout do no multiply-adds and count as free.
 */
export const trainFlopsPerSample = (description) =>
  3 * walkLayers(description.inputShape, modelLayers(description)).reduce((n, l) => n + l.forwardFlops, 0);
