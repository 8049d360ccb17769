// Small 2-D classification sets, the kind TensorFlow Playground teaches with:
// each point (x, y) in about [−1, 1]² carries a 0/1 label. Seeded, so the
// same call gives the same points everywhere.
import { Random } from '../random.js';

export type ToyName = 'xor' | 'circles' | 'spiral' | 'moons' | 'gaussians';
export const TOY_DATASETS: readonly ToyName[] = ['xor', 'circles', 'spiral', 'moons', 'gaussians'];

export interface ToySet {
  /** [samples × 2], row-major. */
  x: Float32Array;
  /** 0 or 1 per sample. */
  labels: Uint8Array;
  size: number;
}

export interface ToyOptions {
  /** Standard deviation of the Gaussian jitter added to each point. Default 0.1. */
  noise?: number;
  seed?: number;
}

/**
 * `size` points of a 2-D classification set (xor, circles, spiral, moons, gaussians) with 0/1 labels, jittered by `noise`; the same seed gives the same points everywhere.
 *
 * @example
 * ```ts
 * const { x, labels, size } = toyDataset('spiral', 200, { noise: 0.05 });
 * const model = sequential([dense({ units: 16, activation: 'tanh', inputShape: [2] }), dense({ units: 1, activation: 'sigmoid' })]);
 * model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
 * await model.fit(tensor(x, [size, 2]), tensor(Float32Array.from(labels), [size, 1]), { epochs: 20 });
 * ```
 */
export function toyDataset(name: ToyName, size: number, options: ToyOptions = {}): ToySet {
  if (!(TOY_DATASETS as readonly string[]).includes(name)) throw new Error(`data: unknown data set '${name}'; valid: ${TOY_DATASETS.join(', ')}`);
  if (!Number.isInteger(size) || size < 2) throw new Error(`data: a data set needs at least 2 samples, got ${size}`);
  const rng = new Random(options.seed ?? 1);
  const noise = options.noise ?? 0.1;
  const x = new Float32Array(size * 2);
  const labels = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const label = i % 2;
    let px = 0;
    let py = 0;
    switch (name) {
      case 'xor': {
        px = rng.uniform(-1, 1);
        py = rng.uniform(-1, 1);
        labels[i] = px * py > 0 ? 1 : 0;
        break;
      }
      case 'circles': {
        // An inner disc (label 1) inside a ring (label 0).
        const r = label ? rng.uniform(0, 0.45) : rng.uniform(0.65, 1);
        const a = rng.uniform(0, 2 * Math.PI);
        [px, py] = [r * Math.cos(a), r * Math.sin(a)];
        labels[i] = label;
        break;
      }
      case 'spiral': {
        // Two arms winding 1.5 turns out from the centre.
        const t = rng.uniform(0.05, 1);
        const a = t * 3 * Math.PI + label * Math.PI;
        [px, py] = [t * Math.cos(a), t * Math.sin(a)];
        labels[i] = label;
        break;
      }
      case 'moons': {
        // Two interleaved half circles.
        const a = rng.uniform(0, Math.PI);
        [px, py] = label ? [1 - Math.cos(a), 0.5 - Math.sin(a)] : [Math.cos(a), Math.sin(a)];
        [px, py] = [(px - 0.5) * 0.8, (py - 0.25) * 0.8];
        labels[i] = label;
        break;
      }
      case 'gaussians': {
        const c = label ? 0.45 : -0.45;
        [px, py] = [c + 0.25 * rng.normal(), c + 0.25 * rng.normal()];
        labels[i] = label;
        break;
      }
    }
    x[2 * i] = px + noise * rng.normal();
    x[2 * i + 1] = py + noise * rng.normal();
  }
  return { x, labels, size };
}
