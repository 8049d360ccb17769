// Inverted dropout (shaders/dropout.wgsl): an element is kept when its random
// bits, a pure function of (seed, step, index), are at least rate·2³²; kept
// elements are scaled by 1 / (1 − rate). Forward and backward draw the same bits.
import type { ActivationName } from '../backend.js';
import { dropoutThreshold } from '../shapes.js';
import { derivativeFromOutput } from './activation.js';
import { randomBits, randomStream } from './rng.js';

export function dropoutMask(count: number, rate: number, seed: number, step: number): Uint8Array {
  const threshold = dropoutThreshold(rate);
  const stream = randomStream(seed, step >>> 0);
  const mask = new Uint8Array(count);
  for (let i = 0; i < count; i++) mask[i] = randomBits(stream, i) >= threshold ? 1 : 0;
  return mask;
}

/** Forward: x; backward: dy (times f'(below) when fused). */
export function dropout(
  x: Float32Array,
  rate: number,
  seed: number,
  step: number,
  derivativeOf?: { activation: ActivationName; output: Float32Array },
): Float32Array {
  const mask = dropoutMask(x.length, rate, seed, step);
  const scale = Math.fround(1 / (1 - rate));
  const d = derivativeOf;
  return x.map((v, i) => {
    const g = mask[i] ? v * scale : 0;
    return d ? g * derivativeFromOutput(d.output[i]!, d.activation) : g;
  });
}
