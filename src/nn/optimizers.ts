// Optimizers: how a parameter moves against its gradient. Each is a plain
// description (name + hyperparameters); the model turns it into update ops.
import type { Backend } from '../backend/backend.js';
import type { Tensor } from '../tensor.js';

export interface SgdConfig {
  learningRate?: number;
  /** 0 for plain gradient descent; > 0 adds a velocity (Keras SGD momentum). */
  momentum?: number;
}

export interface AdamConfig {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export type Optimizer =
  | { readonly kind: 'sgd'; readonly learningRate: number; readonly momentum: number }
  | { readonly kind: 'adam'; readonly learningRate: number; readonly beta1: number; readonly beta2: number; readonly epsilon: number };

export type OptimizerName = 'sgd' | 'momentum' | 'adam';
export const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'momentum', 'adam'];

function checkHyper(where: string, name: string, value: number, range: 'positive' | 'unit' | 'nonnegative'): void {
  const ok =
    Number.isFinite(value) && (range === 'positive' ? value > 0 : range === 'unit' ? value >= 0 && value < 1 : value >= 0);
  if (!ok) {
    const want = range === 'positive' ? 'a number > 0' : range === 'unit' ? 'a number in [0, 1)' : 'a number ≥ 0';
    throw new Error(`${where}: ${name} must be ${want}, got ${value}`);
  }
}

/** Stochastic gradient descent, Keras defaults: learning rate 0.01, no momentum. */
export function sgd(config: SgdConfig = {}): Optimizer {
  const o = { kind: 'sgd' as const, learningRate: config.learningRate ?? 0.01, momentum: config.momentum ?? 0 };
  checkHyper('sgd', 'learningRate', o.learningRate, 'positive');
  checkHyper('sgd', 'momentum', o.momentum, 'unit');
  return o;
}

/** SGD with momentum 0.9 unless told otherwise. */
export function momentum(config: SgdConfig = {}): Optimizer {
  return sgd({ learningRate: config.learningRate, momentum: config.momentum ?? 0.9 });
}

/** Adam, Keras defaults: learning rate 0.001, β1 0.9, β2 0.999, ε 1e-7. */
export function adam(config: AdamConfig = {}): Optimizer {
  const o = {
    kind: 'adam' as const,
    learningRate: config.learningRate ?? 0.001,
    beta1: config.beta1 ?? 0.9,
    beta2: config.beta2 ?? 0.999,
    epsilon: config.epsilon ?? 1e-7,
  };
  checkHyper('adam', 'learningRate', o.learningRate, 'positive');
  checkHyper('adam', 'beta1', o.beta1, 'unit');
  checkHyper('adam', 'beta2', o.beta2, 'unit');
  checkHyper('adam', 'epsilon', o.epsilon, 'positive');
  return o;
}

export function resolveOptimizer(spec: OptimizerName | Optimizer): Optimizer {
  if (typeof spec === 'object' && spec !== null && (spec.kind === 'sgd' || spec.kind === 'adam')) {
    // Objects may be hand-written: check them as the factories do.
    return spec.kind === 'sgd' ? sgd(spec) : adam(spec);
  }
  switch (spec) {
    case 'sgd':
      return sgd();
    case 'momentum':
      return momentum();
    case 'adam':
      return adam();
  }
  throw new Error(`compile: unknown optimizer '${String(spec)}'; valid: ${OPTIMIZERS.join(', ')}, or sgd({...}) / adam({...})`);
}

/** The per-parameter state an optimizer keeps on the backend. */
export interface OptimizerState {
  /** momentum: velocity; adam: first moment. */
  slot1?: Tensor;
  /** adam: second moment. */
  slot2?: Tensor;
}

export function createState(backend: Backend, o: Optimizer, param: Tensor): OptimizerState {
  if (o.kind === 'adam') return { slot1: backend.zeros(param.shape), slot2: backend.zeros(param.shape) };
  if (o.momentum > 0) return { slot1: backend.zeros(param.shape) };
  return {};
}

/** Asks the backend for one in-place update of `param` (adam reads the step count `step`). */
export function applyUpdate(backend: Backend, o: Optimizer, param: Tensor, grad: Tensor, state: OptimizerState, step: Tensor): void {
  if (o.kind === 'adam') backend.adam(param, grad, state.slot1!, state.slot2!, step, o);
  else if (o.momentum > 0) backend.momentum(param, grad, state.slot1!, o.learningRate, o.momentum);
  else backend.sgd(param, grad, o.learningRate);
}
