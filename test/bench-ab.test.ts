// bench/ab.mjs (`npm run bench:ab`): this build against another commit, side
// by side in one process. Run here against HEAD itself, smoke-sized: both
// builds train and multiply, each workload has both figures and a finite
// speed-up, and the temporary worktree is gone afterwards. A ref that is not a
// commit, or no --base, is refused in one line with exit code 2 before any work.
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { root, runBenchScript } from './helpers/bench.js';
import { gpuRequired } from './helpers/required.js';

const ab = (args: string[]) => runBenchScript('ab.mjs', args);
const worktrees = () => execFileSync('git', ['worktree', 'list', '--porcelain'], { cwd: root, encoding: 'utf8' });

describe('npm run bench:ab', () => {
  beforeAll(() => {
    // The build under test is dist/.
    execFileSync('npx', ['vite', 'build', '--logLevel', 'error'], { cwd: root, stdio: 'inherit' });
  }, 120_000);

  it('times both builds on the same adapter, round by round, and removes its worktree', async (ctx) => {
    const before = worktrees();
    const run = await ab(['--base', 'HEAD', '--smoke', '--only', 'matmul,keras,mnist', '--rounds', '2', '--json']);
    if (run.code !== 0 && !gpuRequired && /no WebGPU adapter/.test(run.stderr)) ctx.skip('no WebGPU adapter');
    expect(run.stderr).not.toMatch(/^bench:ab: /m);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { base: { ref: string; commit: string }; now: string; rounds: number; rows: { workload: string; unit: string; base: number; now: number; speedup: number; min: number; max: number }[]; failure?: string };
    expect(out.base.commit).toBe(out.now);
    expect(out.rounds).toBe(2);
    expect(out.rows.map((r) => [r.workload, r.unit])).toEqual([
      ['matmul', 'GFLOP/s'],
      ['keras', 'ms'],
      ['mnist', 'samples/s'],
    ]);
    for (const r of out.rows) {
      console.log(`[bench:ab] ${r.workload}: base ${r.base.toPrecision(4)}, now ${r.now.toPrecision(4)} ${r.unit}, speed-up ${r.speedup.toFixed(3)} (${r.min.toFixed(2)}–${r.max.toFixed(2)})`);
      for (const v of [r.base, r.now, r.speedup]) expect(Number.isFinite(v) && v > 0).toBe(true);
      expect(r.min).toBeLessThanOrEqual(r.speedup);
      expect(r.max).toBeGreaterThanOrEqual(r.speedup);
    }
    expect(out.failure).toBeUndefined();
    expect(run.stderr).toContain('round 2 of 2 done');
    // The base was built in a worktree of its own, and it is gone.
    expect(run.stderr).toMatch(/building HEAD \([0-9a-f]{12}\) in a temporary worktree/);
    expect(worktrees()).toBe(before);
  }, 300_000);

  it('refuses a ref that is not a commit, and a missing --base, in one line', async () => {
    const bad = await ab(['--base', 'no-such-ref-anywhere']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe("bench:ab: --base 'no-such-ref-anywhere' is not a commit of this repository");
    const none = await ab(['--smoke']);
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe('bench:ab: --base REF is required: the git commit to compare this build with');
    const only = await ab(['--base', 'HEAD', '--only', 'mnist,resnet']);
    expect(only.code).toBe(2);
    expect(only.stderr.trim()).toBe("bench:ab: --only: 'resnet' is not one of matmul, keras, mnist, wide, cnn, batch1");
  });
});
