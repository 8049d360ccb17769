// Optimizers: how a parameter moves against its gradient. Each is a plain
// description (name + hyperparameters); the model turns it into update ops
// over its parameter store. The learning rate may be a number, a schedule
// that follows the step count on the device (exponentialDecay,
// piecewiseConstant), or a function of the epoch.
import type { Backend, LearningRateSchedule } from '../backend/backend.js';
import { checkSchedule } from '../backend/shapes.js';
import type { Tensor } from '../tensor.js';

/** A learning rate as given: a number, a step schedule, or a function of the (0-based) epoch. */
export type LearningRateSpec = number | LearningRateSchedule | ((epoch: number) => number);

export interface SgdConfig {
  learningRate?: LearningRateSpec;
  /** 0 for plain gradient descent; > 0 adds a velocity (Keras SGD momentum). */
  momentum?: number;
}

export interface AdamConfig {
  learningRate?: LearningRateSpec;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export interface AdamWConfig extends AdamConfig {
  /** Decoupled weight decay: each step p −= lr·weightDecay·p. Default 0.004 (Keras). */
  weightDecay?: number;
}

export interface RmspropConfig {
  learningRate?: LearningRateSpec;
  /** Decay of the running mean square. Default 0.9. */
  rho?: number;
  epsilon?: number;
}

export type Optimizer =
  | { readonly kind: 'sgd'; readonly learningRate: LearningRateSpec; readonly momentum: number }
  | { readonly kind: 'adam'; readonly learningRate: LearningRateSpec; readonly beta1: number; readonly beta2: number; readonly epsilon: number }
  | { readonly kind: 'adamw'; readonly learningRate: LearningRateSpec; readonly beta1: number; readonly beta2: number; readonly epsilon: number; readonly weightDecay: number }
  | { readonly kind: 'rmsprop'; readonly learningRate: LearningRateSpec; readonly rho: number; readonly epsilon: number };

export type OptimizerName = 'sgd' | 'momentum' | 'adam' | 'adamw' | 'rmsprop';
export const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'momentum', 'adam', 'adamw', 'rmsprop'];

function checkHyper(where: string, name: string, value: number, range: 'positive' | 'unit' | 'nonnegative'): void {
  const ok =
    Number.isFinite(value) && (range === 'positive' ? value > 0 : range === 'unit' ? value >= 0 && value < 1 : value >= 0);
  if (!ok) {
    const want = range === 'positive' ? 'a number > 0' : range === 'unit' ? 'a number in [0, 1)' : 'a number ≥ 0';
    throw new Error(`${where}: ${name} must be ${want}, got ${value}`);
  }
}

function checkRate(where: string, rate: LearningRateSpec): LearningRateSpec {
  if (typeof rate === 'function') return rate;
  if (typeof rate === 'object' && rate !== null) {
    checkSchedule(where, rate);
    return rate;
  }
  checkHyper(where, 'learningRate', rate, 'positive');
  return rate;
}

/**
 * Stochastic gradient descent, Keras defaults: learning rate 0.01, no momentum. `'sgd'` in compile is `sgd()`.
 *
 * @example
 * ```ts
 * model.compile({ optimizer: sgd({ learningRate: 0.1, momentum: 0.9 }), loss: 'meanSquaredError' });
 * ```
 */
export function sgd(config: SgdConfig = {}): Optimizer {
  const o = { kind: 'sgd' as const, learningRate: checkRate('sgd', config.learningRate ?? 0.01), momentum: config.momentum ?? 0 };
  checkHyper('sgd', 'momentum', o.momentum, 'unit');
  return o;
}

/** SGD with momentum 0.9 unless told otherwise. */
export function momentum(config: SgdConfig = {}): Optimizer {
  return sgd({ learningRate: config.learningRate ?? 0.01, momentum: config.momentum ?? 0.9 });
}

function adamParts(where: string, config: AdamConfig) {
  const o = { learningRate: checkRate(where, config.learningRate ?? 0.001), beta1: config.beta1 ?? 0.9, beta2: config.beta2 ?? 0.999, epsilon: config.epsilon ?? 1e-7 };
  checkHyper(where, 'beta1', o.beta1, 'unit');
  checkHyper(where, 'beta2', o.beta2, 'unit');
  checkHyper(where, 'epsilon', o.epsilon, 'positive');
  return o;
}

/**
 * Adam, Keras defaults: learning rate 0.001, β1 0.9, β2 0.999, ε 1e-7. `'adam'` in compile is `adam()`; the learning rate may be a number, a schedule or a function of the epoch.
 *
 * @example
 * ```ts
 * model.compile({ optimizer: adam({ learningRate: 0.002 }), loss: 'categoricalCrossentropy' });
 * model.compile({ optimizer: adam({ learningRate: (epoch) => 0.01 / (1 + epoch) }), loss: 'mse' });
 * ```
 */
export function adam(config: AdamConfig = {}): Optimizer {
  return { kind: 'adam', ...adamParts('adam', config) };
}

/** AdamW: Adam with decoupled weight decay (Keras defaults, weight decay 0.004). */
export function adamw(config: AdamWConfig = {}): Optimizer {
  const weightDecay = config.weightDecay ?? 0.004;
  checkHyper('adamw', 'weightDecay', weightDecay, 'nonnegative');
  return { kind: 'adamw', ...adamParts('adamw', config), weightDecay };
}

/** RMSprop, Keras defaults: learning rate 0.001, ρ 0.9, ε 1e-7. */
export function rmsprop(config: RmspropConfig = {}): Optimizer {
  const o = { kind: 'rmsprop' as const, learningRate: checkRate('rmsprop', config.learningRate ?? 0.001), rho: config.rho ?? 0.9, epsilon: config.epsilon ?? 1e-7 };
  checkHyper('rmsprop', 'rho', o.rho, 'unit');
  checkHyper('rmsprop', 'epsilon', o.epsilon, 'positive');
  return o;
}

export interface ExponentialDecayConfig {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  /** Decay in whole steps of decaySteps. Default false. */
  staircase?: boolean;
}

/**
 * lr = initial · decayRate^(step / decaySteps), computed on the device at every step (Keras's ExponentialDecay).
 *
 * @example
 * ```ts
 * const optimizer = adam({ learningRate: exponentialDecay({ initialLearningRate: 0.01, decaySteps: 100, decayRate: 0.9 }) });
 * ```
 */
export function exponentialDecay(config: ExponentialDecayConfig): LearningRateSchedule {
  const s = { kind: 'exponentialDecay' as const, ...config, staircase: config.staircase ?? false };
  checkSchedule('exponentialDecay', s);
  return s;
}

/**
 * values[0] up to boundaries[0] steps, values[1] up to boundaries[1], …, the last value after (Keras's PiecewiseConstantDecay).
 *
 * @example
 * ```ts
 * sgd({ learningRate: piecewiseConstant({ boundaries: [100, 200], values: [0.1, 0.01, 0.001] }) });
 * ```
 */
export function piecewiseConstant(config: { boundaries: readonly number[]; values: readonly number[] }): LearningRateSchedule {
  const s = { kind: 'piecewiseConstant' as const, boundaries: [...config.boundaries], values: [...config.values] };
  checkSchedule('piecewiseConstant', s);
  return s;
}

/**
 * The optimizer a name stands for, with its defaults or the given learning
 * rate: what compile does with a string, and what the command line and the
 * demo build from their controls.
 *
 * @example
 * model.compile({ optimizer: optimizerNamed('rmsprop', { learningRate: 0.01 }), loss: 'mse' });
 */
export function optimizerNamed(name: OptimizerName, config: { learningRate?: number } = {}): Optimizer {
  switch (name) {
    case 'sgd':
      return sgd(config);
    case 'momentum':
      return momentum(config);
    case 'adam':
      return adam(config);
    case 'adamw':
      return adamw(config);
    case 'rmsprop':
      return rmsprop(config);
  }
}

export function resolveOptimizer(spec: OptimizerName | Optimizer): Optimizer {
  if (typeof spec === 'object' && spec !== null) {
    // Objects may be hand-written: check them as the factories do.
    switch (spec.kind) {
      case 'sgd':
        return sgd(spec);
      case 'adam':
        return adam(spec);
      case 'adamw':
        return adamw(spec);
      case 'rmsprop':
        return rmsprop(spec);
    }
  }
  if ((OPTIMIZERS as readonly unknown[]).includes(spec)) return optimizerNamed(spec as OptimizerName);
  throw new Error(`compile: unknown optimizer '${String(typeof spec === 'object' ? JSON.stringify(spec) : spec)}'; valid: ${OPTIMIZERS.join(', ')}, or sgd({...}) / adam({...}) / adamw({...}) / rmsprop({...})`);
}

/** The rate the optimizer starts from: a number, a schedule's initial rate, or the epoch function's rate at epoch 0. */
export function initialRate(o: Optimizer): number {
  const r = o.learningRate;
  if (typeof r === 'number') return r;
  if (typeof r === 'function') return r(0);
  return r.kind === 'exponentialDecay' ? r.initialLearningRate : r.values[0]!;
}

/** The per-parameter state an optimizer keeps on the backend. */
export interface OptimizerState {
  /** momentum: velocity; adam: first moment; rmsprop: mean square. */
  slot1?: Tensor;
  /** adam: second moment. */
  slot2?: Tensor;
}

export function createState(backend: Backend, o: Optimizer, param: Tensor): OptimizerState {
  if (o.kind === 'adam' || o.kind === 'adamw') return { slot1: backend.zeros(param.shape), slot2: backend.zeros(param.shape) };
  if (o.kind === 'rmsprop' || o.momentum > 0) return { slot1: backend.zeros(param.shape) };
  return {};
}

/** Asks the backend for one in-place update of `param`, its learning rate read from `rate` (adam reads the step count `step`). */
export function applyUpdate(backend: Backend, o: Optimizer, param: Tensor, grad: Tensor, state: OptimizerState, step: Tensor, rate: Tensor): void {
  switch (o.kind) {
    case 'adam':
    case 'adamw':
      backend.adam(param, grad, state.slot1!, state.slot2!, step, { learningRate: rate, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, weightDecay: o.kind === 'adamw' ? o.weightDecay : 0 });
      return;
    case 'rmsprop':
      backend.rmsprop(param, grad, state.slot1!, { learningRate: rate, rho: o.rho, epsilon: o.epsilon });
      return;
    case 'sgd':
      if (o.momentum > 0) backend.momentum(param, grad, state.slot1!, rate, o.momentum);
      else backend.sgd(param, grad, rate);
  }
}

/** "adam lr 0.001", "sgd+momentum lr 0.01", "adam lr exponentialDecay(0.1, ×0.5 per 1000 steps)". */
export function describeOptimizer(o: Optimizer): string {
  const name = o.kind === 'sgd' && o.momentum ? 'sgd+momentum' : o.kind;
  const r = o.learningRate;
  const rate =
    typeof r === 'number'
      ? `${r}`
      : typeof r === 'function'
        ? 'a function of the epoch'
        : r.kind === 'exponentialDecay'
          ? `exponentialDecay(${r.initialLearningRate}, ×${r.decayRate} per ${r.decaySteps} steps${r.staircase ? ', staircase' : ''})`
          : `piecewiseConstant(${r.values.join(', ')} at steps ${r.boundaries.join(', ')})`;
  return `${name} lr ${rate}`;
}
