import { Random } from '../../src/random.js';

/**
 * The Keras example's data: 100 samples of 10 features in [0, 1), labelled 1
 * when the features sum to more than 5 — learnable by a small MLP.
 */
export function kerasExampleData(seed = 7, samples = 100): { x: number[][]; y: number[][] } {
  const rng = new Random(seed);
  const x = Array.from({ length: samples }, () => Array.from({ length: 10 }, () => rng.next()));
  const y = x.map((row) => [row.reduce((s, v) => s + v, 0) > 5 ? 1 : 0]);
  return { x, y };
}

/** n points on two interleaved spirals in the plane, with one-hot or integer labels. */
export function spirals(n: number, seed = 3): { x: number[][]; labels: number[] } {
  const rng = new Random(seed);
  const x: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const t = (i / n) * 3 * Math.PI + rng.uniform(-0.1, 0.1);
    const r = t / (3 * Math.PI);
    const angle = t + label * Math.PI;
    x.push([r * Math.cos(angle), r * Math.sin(angle)]);
    labels.push(label);
  }
  return { x, labels };
}
