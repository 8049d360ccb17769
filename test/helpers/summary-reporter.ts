// Prints one closing line, "N passed, N failed, N skipped", and, when
// REQUIRE_GPU is set (as on CI), fails the run if any test was skipped: a
// parity suite whose GPU half silently skips proves nothing.
import type { Reporter, TestModule } from 'vitest/node';
import { browserRequired, gpuRequired } from './required.js';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    const skipped: string[] = [];
    for (const m of modules) {
      for (const test of m.children.allTests()) {
        const state = test.result().state;
        counts[state]++;
        if (state === 'skipped') skipped.push(`${m.moduleId.split('/test/').pop()} > ${test.fullName}`);
      }
    }
    if ((gpuRequired || browserRequired) && skipped.length > 0) {
      console.error(`REQUIRE_GPU or REQUIRE_BROWSER is set, but ${skipped.length} tests were skipped:\n  ${skipped.slice(0, 10).join('\n  ')}`);
      process.exitCode = 1;
    }
    console.log(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  }
}
