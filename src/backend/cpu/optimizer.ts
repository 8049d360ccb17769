import type { AdamOptions } from '../backend.js';

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
export function adam(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, t: number, o: AdamOptions): void {
  const alpha = (o.learningRate * Math.sqrt(1 - Math.pow(o.beta2, t))) / (1 - Math.pow(o.beta1, t));
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]!;
    m[i] = o.beta1 * m[i]! + (1 - o.beta1) * g;
    v[i] = o.beta2 * v[i]! + (1 - o.beta2) * g * g;
    param[i]! -= (alpha * m[i]!) / (Math.sqrt(v[i]!) + o.epsilon);
  }
}

export function advanceStep(step: Float32Array): void {
  step[0]! += 1;
}
