// --normalize: each feature standardized to mean 0 and standard deviation 1
// with statistics of the training rows only (the validation rows must not
// leak into them). The statistics are saved in model.json's
// userDefinedMetadata, so a loaded model applies the same transform to
// --predict rows and to new data without being told again.
import { UsageError } from './options.js';

export interface FeatureStats {
  mean: number[];
  std: number[];
}

/** The key in userDefinedMetadata. */
export const NORMALIZATION_KEY = 'normalization';

/** Mean and standard deviation of each of `cols` features over `rows` rows; a constant feature gets std 1 (left centred, not scaled). */
export function featureStats(x: Float32Array, rows: number, cols: number): FeatureStats {
  const mean = new Float64Array(cols);
  const sq = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c]! += x[r * cols + c]!;
  for (let c = 0; c < cols; c++) mean[c]! /= Math.max(1, rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const d = x[r * cols + c]! - mean[c]!;
      sq[c]! += d * d;
    }
  }
  const std = Array.from(sq, (s) => {
    const v = Math.sqrt(s / Math.max(1, rows));
    return v > 1e-7 ? v : 1;
  });
  return { mean: Array.from(mean), std };
}

/** (x − mean) / std per feature, as a new array. */
export function standardize(x: Float32Array, stats: FeatureStats): Float32Array {
  const cols = stats.mean.length;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i]! - stats.mean[i % cols]!) / stats.std[i % cols]!;
  return out;
}

/** The statistics a saved model carries, checked against its input width; undefined when it has none. */
export function savedStats(metadata: Record<string, unknown> | undefined, inputs: number, where: string): FeatureStats | undefined {
  const saved = metadata?.[NORMALIZATION_KEY];
  if (saved === undefined) return undefined;
  const s = saved as Partial<Record<'mean' | 'std', unknown>>;
  const numbers = (v: unknown, positive: boolean) =>
    Array.isArray(v) && v.length === inputs && v.every((n) => typeof n === 'number' && Number.isFinite(n) && (!positive || n > 0));
  if (typeof saved !== 'object' || saved === null || !numbers(s.mean, false) || !numbers(s.std, true)) {
    throw new UsageError(`--load: ${where}: userDefinedMetadata.${NORMALIZATION_KEY} must hold 'mean' and 'std', ${inputs} finite numbers each (std > 0)`);
  }
  return { mean: s.mean as number[], std: s.std as number[] };
}
