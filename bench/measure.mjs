// Timing helpers and the time guard that keeps slow engines from stalling a run.

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
 * estimate comes from the nearest smaller size. The engines being compared
 * (WebGPU, wasm) always run.
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
  record(engine, kind, gflop, seconds) {
    this.#rates.set(`${engine}/${kind}`, gflop / seconds);
  }
}

/** Floating-point operations of training one sample through dense layers: forward 2·in·out, backward 4·in·out. */
export const trainFlopsPerSample = (inputs, units) => {
  let flops = 0;
  let prev = inputs;
  for (const u of units) {
    flops += 6 * prev * u;
    prev = u;
  }
  return flops;
};
