// GEMM autotuning on the GPU's own clock, in a real browser (headless
// Chromium; WebGPU on SwiftShader, whose adapter has timestamp-query, where
// Node's llvmpipe has not): the device is opened with timestamp queries,
// every timing run of the tuner reads the pass's timestamps, each
// candidate's GPU time is a positive share of its wall time and grows with
// the work, and the tuned products match a plain JavaScript product.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { ProfileResult, TuningResult } from './tuning-page/main.js';
import { useBuiltPage } from './built-page.js';

const built = useBuiltPage('the GEMM tuning browser test', ['test/e2e/tuning-page']);

type Steps = { tune(): Promise<TuningResult>; profile(): Promise<ProfileResult> };
const call = <K extends keyof Steps>(page: Page, step: K) =>
  page.evaluate((s: string) => (window as unknown as { steps: Record<string, () => Promise<unknown>> }).steps[s]!(), step) as ReturnType<Steps[K]>;

async function pageOf(ctx: Parameters<typeof built.ready>[0]): Promise<{ page: Page; errors: string[] }> {
  const page = await built.ready(ctx).newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(built.server().url);
  await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'ready');
  return { page, errors };
}

describe('GEMM autotuning in the browser', () => {
  it("times each candidate by the pass's timestamps where the adapter has timestamp-query", async (ctx) => {
    const { page, errors } = await pageOf(ctx);
    const r = await call(page, 'tune');
    await page.close();
    expect(errors).toEqual([]);
    for (const b of r.buckets) {
      console.log(`[tuning e2e] ${r.adapter}, clock ${b.clock}: ${b.key} ${b.ms.toFixed(3)} ms/product; candidates (gpu / wall ms) ` + b.timings.map((t) => `${t.ms.toFixed(3)}/${t.wallMs.toFixed(3)}`).join(', '));
    }
    for (const e of r.errors) console.log(`[tuning e2e] tuned ${e.shape} product: max |error| ${e.maxError.toExponential(2)} (largest value ${e.scale.toFixed(1)})`);

    // SwiftShader offers timestamp queries: the device has them and every run was read from them.
    expect(r.features).toContain('timestamp-query');
    expect(r.clock).toBe('gpu');
    expect(r.stats.bucketsTimed).toBe(2);
    expect(r.stats.timingRuns).toBeGreaterThan(2);
    expect(r.stats.timestampRuns).toBe(r.stats.timingRuns);
    expect(r.buckets.map((b) => b.clock)).toEqual(['gpu', 'gpu']);
    // A pass's duration lies inside the wall time from its submission to its completion.
    // Both are per product; a quantized timestamp (Chromium rounds them) may add up to ~0.1 ms over the run.
    for (const b of r.buckets) {
      expect(b.timings.length).toBeGreaterThan(1);
      for (const t of b.timings) {
        expect(t.ms).toBeGreaterThan(0);
        expect(t.ms).toBeLessThanOrEqual(t.wallMs + 0.1);
      }
      // The decision is the rules' choice (timed first) unless another was at least 5% faster.
      expect(b.ms).toBeLessThanOrEqual(b.timings[0]!.ms);
      expect(b.ms * 0.95).toBeLessThanOrEqual(Math.min(...b.timings.map((t) => t.ms)));
    }
    // The clock measures the work: 128³ is 8× the multiply-adds of 64³.
    const [small, large] = r.buckets;
    expect(large!.ms / small!.ms).toBeGreaterThan(2);
    // Tuned or not, the product is right (fp32 sums of 64–128 terms of magnitude ≤ 1).
    for (const e of r.errors) expect(e.maxError).toBeLessThan(1e-4 * Math.max(1, e.scale));
  }, 180_000);

  it("profiles training steps dispatch by dispatch on the GPU's clock, and leaves the model as it was", async (ctx) => {
    const { page, errors } = await pageOf(ctx);
    const { profile: p, unchanged, many } = await call(page, 'profile');
    await page.close();
    expect(errors).toEqual([]);
    console.log(
      `[tuning e2e] profile, ${p.clock} clock: ${p.steps} steps of ${p.batchSize}, ${p.dispatchesPerStep} dispatches each, ${p.msPerStep.toFixed(3)} ms a step of GPU work (wall ${p.wallMs.toFixed(1)} ms in all):\n` +
        p.kernels.map((k) => `  ${k.kernel} ×${k.count}: ${k.ms.toFixed(3)} ms (${(100 * k.share).toFixed(1)}%)`).join('\n'),
    );
    expect(p.clock).toBe('gpu');
    expect(p.unreadable).toBe(0);
    expect(p.dispatches).toHaveLength(4 * p.dispatchesPerStep);
    expect(p.dispatchesPerStep).toBe(6);
    // Every dispatch did some work by the GPU's clock (a quantized one may read a short one as 0),
    // and all of them together fit inside the run's wall time.
    for (const d of p.dispatches) expect(d.ms).toBeGreaterThanOrEqual(0);
    expect(p.ms).toBeGreaterThan(0);
    expect(p.ms).toBeLessThanOrEqual(p.wallMs);
    expect(unchanged).toBe(true);
    // Past one query set's 2,048 passes, each pass still finds its own two timestamps.
    console.log(`[tuning e2e] 2,100 profiled 4×4 products: ${many.minMs.toFixed(4)}–${many.maxMs.toFixed(4)} ms each, ${many.wallMs.toFixed(0)} ms wall`);
    expect(many.dispatches).toBe(2100);
    expect(many.unreadable).toBe(0);
    expect(many.minMs).toBeGreaterThanOrEqual(0);
    expect(many.maxMs).toBeLessThanOrEqual(many.wallMs);
  }, 180_000);
});
