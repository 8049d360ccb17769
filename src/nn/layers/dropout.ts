// Dropout: while training, each value is zeroed with probability `rate` and
// the rest scaled by 1 / (1 − rate) (inverted dropout), so the network cannot
// lean on any single unit — a guard against overfitting. Outside fit it passes
// its input through. The mask comes from a hash of (the layer's seed, the
// training step, the element): the CPU and GPU backends drop the same values,
// and no mask is stored or uploaded.
import type { Shape } from '../../tensor.js';
import { hashU32 } from '../../backend/cpu/rng.js';
import { checkInputShape, type BuiltLayer, type Layer } from '../layer.js';

export interface DropoutConfig {
  /** Fraction of values zeroed during training, in [0, 1). */
  rate: number;
  inputShape?: readonly number[];
  name?: string;
}

/** Inverted dropout. Made by {@link dropout}. */
export class Dropout implements Layer {
  readonly className = 'Dropout';
  readonly defaultNamePrefix = 'dropout';
  readonly rate: number;
  readonly inputShape: Shape | undefined;
  readonly name: string | undefined;

  constructor(config: DropoutConfig) {
    const where = `dropout(${config?.name ? `'${config.name}'` : `rate: ${String(config?.rate)}`})`;
    if (!config || typeof config.rate !== 'number' || !(config.rate >= 0 && config.rate < 1)) {
      throw new Error(`${where}: rate must be a number in [0, 1), got ${String(config?.rate)}`);
    }
    this.rate = config.rate;
    this.inputShape = checkInputShape(where, config.inputShape);
    this.name = config.name;
  }

  build(inputShape: Shape, name: string, context: { seed: number; index: number }): BuiltLayer {
    const rate = this.rate;
    // Each dropout layer of a model draws its own masks.
    const seed = hashU32((context.seed + Math.imul(context.index + 1, 0x9e3779b9)) >>> 0);
    return {
      layer: this,
      name,
      inputShape,
      outputShape: inputShape,
      params: [],
      activation: 'linear',
      reshapeOnly: false,
      usesStep: true,
      forward({ backend: b, x, training, step }) {
        if (!training || rate === 0) return { y: x };
        return { y: b.dropout(x, { rate, seed, step: step! }) };
      },
      backward({ backend: b, dy, step, needInputGradient, derivativeOf }) {
        if (!needInputGradient) return undefined;
        return b.dropoutBackward(dy, { rate, seed, step: step!, derivativeOf });
      },
    };
  }

  getConfig(): Record<string, unknown> {
    return { rate: this.rate, noise_shape: null, seed: null };
  }

  describe(): string {
    return `dropout ${this.rate}`;
  }
}

/**
 * Inverted dropout: while training, zeroes each value with probability `rate` and scales the rest by 1 / (1 − rate), so no unit can be leaned on; outside `fit` it passes values through. The mask is a hash of (seed, step, element), the same on every backend.
 *
 * @example
 * ```ts
 * dropout({ rate: 0.5 });
 * ```
 */
export function dropout(config: DropoutConfig): Dropout {
  return new Dropout(config);
}
