// Metrics beyond accuracy (shaders/metrics.wgsl): per batch, the sums of
// per-sample mean squared and absolute errors, and the true, predicted and
// actual positive counts behind precision and recall (threshold 0.5).
import { sigmoid } from './activation.js';

export type MetricsOutput = 'output' | 'sigmoid-logits' | 'softmax-logits';

export function metricSums(pred: Float32Array, truth: Float32Array, rows: number, cols: number, output: MetricsOutput, sparse: boolean): Float64Array {
  const sums = new Float64Array(5);
  for (let r = 0; r < rows; r++) {
    const row = Array.from(pred.subarray(r * cols, (r + 1) * cols));
    let p = row;
    if (output === 'sigmoid-logits') p = row.map(sigmoid);
    if (output === 'softmax-logits') {
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const total = e.reduce((a, b) => a + b, 0);
      p = e.map((v) => v / total);
    }
    let se = 0;
    let ae = 0;
    for (let j = 0; j < cols; j++) {
      const y = sparse ? (truth[r] === j ? 1 : 0) : truth[r * cols + j]!;
      const d = p[j]! - y;
      se += d * d;
      ae += Math.abs(d);
      const predicted = p[j]! >= 0.5;
      const actual = y >= 0.5;
      if (predicted && actual) sums[2]!++;
      if (predicted) sums[3]!++;
      if (actual) sums[4]!++;
    }
    sums[0]! += se / cols;
    sums[1]! += ae / cols;
  }
  return sums;
}
