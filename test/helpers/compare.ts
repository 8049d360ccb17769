import { expect } from 'vitest';

export interface Tolerance {
  /** Absolute part. */
  atol: number;
  /** Relative part, times |expected|. */
  rtol: number;
  /** How the tolerance was chosen, when it depends on the case (e.g. "atol 2e-6·√K"). */
  note?: string;
}

export interface Comparison {
  maxAbsError: number;
  /** Largest |actual − expected| / (atol + rtol·|expected|): ≤ 1 passes. */
  worstRatio: number;
  worstIndex: number;
}

export function compare(actual: Float32Array, expected: Float32Array, tol: Tolerance): Comparison {
  let maxAbsError = 0;
  let worstRatio = 0;
  let worstIndex = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!);
    const ratio = Number.isNaN(err) ? Infinity : err / (tol.atol + tol.rtol * Math.abs(expected[i]!));
    if (err > maxAbsError || Number.isNaN(err)) maxAbsError = Number.isNaN(err) ? Infinity : err;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worstIndex = i;
    }
  }
  return { maxAbsError, worstRatio, worstIndex };
}

/** A table of max errors per kernel, printed once per test file. */
export class ErrorReport {
  private readonly rows = new Map<string, { maxAbsError: number; cases: number; tol: Tolerance }>();

  constructor(private readonly title: string) {}

  /** Asserts |actual − expected| ≤ atol + rtol·|expected| everywhere, and records the max error. */
  check(kernel: string, what: string, actual: Float32Array, expected: Float32Array, tol: Tolerance): void {
    expect(actual.length, `${what}: length`).toBe(expected.length);
    const c = compare(actual, expected, tol);
    const row = this.rows.get(kernel) ?? { maxAbsError: 0, cases: 0, tol };
    row.maxAbsError = Math.max(row.maxAbsError, c.maxAbsError);
    row.cases++;
    this.rows.set(kernel, row);
    expect(
      c.worstRatio,
      `${what}: max abs error ${c.maxAbsError.toExponential(2)}; worst at [${c.worstIndex}]: ` +
        `got ${actual[c.worstIndex]}, want ${expected[c.worstIndex]} (atol ${tol.atol}, rtol ${tol.rtol})`,
    ).toBeLessThanOrEqual(1);
  }

  print(): void {
    if (this.rows.size === 0) return;
    const lines = [...this.rows].map(
      ([k, r]) => `  ${k.padEnd(56)} max |err| ${r.maxAbsError.toExponential(2).padStart(9)}  over ${String(r.cases).padStart(3)} cases  (${describeTolerance(r.tol)})`,
    );
    console.log(`${this.title}\n${lines.join('\n')}`);
  }
}

function describeTolerance(t: Tolerance): string {
  return t.note ?? `atol ${t.atol.toExponential(0)}, rtol ${t.rtol.toExponential(0)}`;
}
