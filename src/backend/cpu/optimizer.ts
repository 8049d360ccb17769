import type { LearningRateSchedule } from '../backend.js';

/** p −= lr · g */
export function sgd(param: Float32Array, grad: Float32Array, learningRate: number): void {
  for (let i = 0; i < param.length; i++) param[i]! -= learningRate * grad[i]!;
}

/** v = μ·v − lr·g;  p += v  (Keras SGD with momentum, not Nesterov) */
export function momentum(param: Float32Array, grad: Float32Array, velocity: Float32Array, learningRate: number, mu: number): void {
  for (let i = 0; i < param.length; i++) {
    velocity[i] = mu * velocity[i]! - learningRate * grad[i]!;
    param[i]! += velocity[i]!;
  }
}

/**
 * Adam as Keras writes it: the bias corrections fold into the step size,
 * α = lr·√(1 − β2ᵗ)/(1 − β1ᵗ), and ε is added to √v (not to √v̂).
 */
export function adam(
  param: Float32Array,
  grad: Float32Array,
  m: Float32Array,
  v: Float32Array,
  t: number,
  o: { learningRate: number; beta1: number; beta2: number; epsilon: number; weightDecay?: number },
): void {
  const alpha = (o.learningRate * Math.sqrt(1 - Math.pow(o.beta2, t))) / (1 - Math.pow(o.beta1, t));
  // AdamW: the decay is decoupled from the gradient, applied first (Keras's order).
  const decay = o.learningRate * (o.weightDecay ?? 0);
  for (let i = 0; i < param.length; i++) {
    if (decay) param[i]! -= decay * param[i]!;
    const g = grad[i]!;
    m[i] = o.beta1 * m[i]! + (1 - o.beta1) * g;
    v[i] = o.beta2 * v[i]! + (1 - o.beta2) * g * g;
    param[i]! -= (alpha * m[i]!) / (Math.sqrt(v[i]!) + o.epsilon);
  }
}

/** RMSprop as Keras writes it: ms = ρ·ms + (1 − ρ)·g²;  p −= lr · g / (√ms + ε). */
export function rmsprop(param: Float32Array, grad: Float32Array, ms: Float32Array, o: { learningRate: number; rho: number; epsilon: number }): void {
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]!;
    ms[i] = o.rho * ms[i]! + (1 - o.rho) * g * g;
    param[i]! -= (o.learningRate * g) / (Math.sqrt(ms[i]!) + o.epsilon);
  }
}

/** The scheduled learning rate at `step` (steps taken before this one), from the base rate. */
export function scheduledRate(s: LearningRateSchedule, base: number, step: number): number {
  if (s.kind === 'exponentialDecay') {
    const p = s.staircase ? Math.floor(step / s.decaySteps) : step / s.decaySteps;
    return Math.fround(base * Math.pow(s.decayRate, p));
  }
  let i = 0;
  while (i < s.boundaries.length && step > s.boundaries[i]!) i++;
  return s.values[i]!;
}

/** step += 1; with a schedule, rate[0] = the rate for the step about to be taken (rate[1] is the base). */
export function advanceStep(step: Float32Array, schedule?: { rate: Float32Array; schedule: LearningRateSchedule }): void {
  step[0]! += 1;
  if (schedule) schedule.rate[0] = scheduledRate(schedule.schedule, schedule.rate[1]!, step[0]! - 1);
}
