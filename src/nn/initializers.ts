// Initial weights, drawn from a seeded generator so that the same seed gives
// the same model on every backend. Names and formulas follow Keras.
import type { Random } from '../random.js';

export type InitializerName = 'glorotUniform' | 'heNormal' | 'zeros' | 'ones';
export const INITIALIZERS: readonly InitializerName[] = ['glorotUniform', 'heNormal', 'zeros', 'ones'];

/** Keras's truncated normal redraws beyond 2σ; this constant restores the intended σ. */
const TRUNCATED_STDDEV_CORRECTION = 0.8796256610342398;

/** Values for a [fanIn, fanOut] kernel (or a [fanOut] bias, with fanIn = fanOut). */
export function initialize(name: InitializerName, fanIn: number, fanOut: number, count: number, rng: Random): Float32Array {
  const out = new Float32Array(count);
  switch (name) {
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(1);
    case 'glorotUniform': {
      // Keeps the variance of activations and gradients about equal across layers.
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < count; i++) out[i] = rng.uniform(-limit, limit);
      return out;
    }
    case 'heNormal': {
      // Variance 2 / fanIn suits ReLU, which zeroes half its inputs.
      const stddev = Math.sqrt(2 / fanIn) / TRUNCATED_STDDEV_CORRECTION;
      for (let i = 0; i < count; i++) {
        let z: number;
        do z = rng.normal();
        while (Math.abs(z) > 2);
        out[i] = z * stddev;
      }
      return out;
    }
  }
}

export function checkInitializer(where: string, name: string): asserts name is InitializerName {
  if (!(INITIALIZERS as readonly string[]).includes(name)) {
    throw new Error(`${where}: unknown initializer '${name}'; valid: ${INITIALIZERS.join(', ')}`);
  }
}
