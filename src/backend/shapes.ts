// Shape checks shared by every backend, so that bad input fails the same way,
// with the op and both shapes named, before any memory is touched.
import { formatShape, sizeOf, type Shape, type Tensor } from '../tensor.js';
import {
  type CopyOptions,
  ACTIVATIONS,
  LOSSES,
  type AccuracyKind,
  type ActivationName,
  type LossName,
  type MatmulOptions,
} from './backend.js';

export class ShapeError extends Error {
  override name = 'ShapeError';
}

export function checkShape(shape: Shape, what: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${what}: shape ${formatShape(shape)} has a dimension that is not a non-negative integer`);
    }
  }
}

export function checkValuesFit(values: ArrayLike<number>, shape: Shape, what: string): void {
  checkShape(shape, what);
  if (values.length !== sizeOf(shape)) {
    throw new ShapeError(`${what}: ${values.length} values do not fill shape ${formatShape(shape)} (${sizeOf(shape)} values)`);
  }
}

/** [rows, cols] of a matrix operand; a vector [n] counts as one row. */
export function matrixDims(op: string, name: string, t: Tensor): [number, number] {
  if (t.shape.length === 2) return [t.shape[0]!, t.shape[1]!];
  if (t.shape.length === 1) return [1, t.shape[0]!];
  throw new ShapeError(`${op}: ${name} must be a matrix, got shape ${formatShape(t.shape)}`);
}

export interface MatmulDims {
  M: number;
  N: number;
  K: number;
}

export function matmulDims(a: Tensor, b: Tensor, options: MatmulOptions): MatmulDims {
  if (a.shape.length !== 2 || b.shape.length !== 2) {
    throw new ShapeError(`matmul: both operands must be matrices, got a ${formatShape(a.shape)} and b ${formatShape(b.shape)}`);
  }
  const [ar, ac] = [a.shape[0]!, a.shape[1]!];
  const [br, bc] = [b.shape[0]!, b.shape[1]!];
  const [M, K] = options.transposeA ? [ac, ar] : [ar, ac];
  const [Kb, N] = options.transposeB ? [bc, br] : [br, bc];
  if (K !== Kb) {
    const desc = (n: string, s: Shape, t: boolean | undefined) => `${n} ${formatShape(s)}${t ? ' (transposed)' : ''}`;
    throw new ShapeError(
      `matmul: inner dimensions differ: ${desc('a', a.shape, options.transposeA)} has ${K} columns, ` +
        `${desc('b', b.shape, options.transposeB)} has ${Kb} rows`,
    );
  }
  if (options.bias && !(options.bias.shape.length === 1 && options.bias.shape[0] === N)) {
    throw new ShapeError(`matmul: bias must have shape [${N}] to match the output [${M}, ${N}], got ${formatShape(options.bias.shape)}`);
  }
  if (options.activation !== undefined) checkActivation('matmul', options.activation);
  const d = options.derivativeOf;
  if (d) {
    checkActivation('matmul derivativeOf', d.activation);
    if (options.bias || (options.activation && options.activation !== 'linear')) {
      throw new ShapeError('matmul: derivativeOf cannot be combined with bias or activation');
    }
    if (d.output.shape.length !== 2 || d.output.shape[0] !== M || d.output.shape[1] !== N) {
      throw new ShapeError(`matmul: derivativeOf.output must have the output's shape [${M}, ${N}], got ${formatShape(d.output.shape)}`);
    }
  }
  return { M, N, K };
}

export function checkSameShape(op: string, nameA: string, a: Tensor, nameB: string, b: Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${op}: ${nameA} ${formatShape(a.shape)} and ${nameB} ${formatShape(b.shape)} must have the same shape`);
  }
}

export function checkActivation(op: string, name: string): asserts name is ActivationName {
  if (!(ACTIVATIONS as readonly string[]).includes(name)) {
    throw new Error(`${op}: unknown activation '${name}'; valid: ${ACTIVATIONS.join(', ')}`);
  }
}

export function checkLossName(name: string): asserts name is LossName {
  if (!(LOSSES as readonly string[]).includes(name)) {
    throw new Error(`loss: unknown loss '${name}'; valid: ${LOSSES.join(', ')}`);
  }
}

/** Validates a loss call and returns [rows, cols] of the prediction. */
export function lossDims(name: LossName, prediction: Tensor, target: Tensor, accumulateInto?: Tensor): [number, number] {
  checkLossName(name);
  if (accumulateInto && accumulateInto.size !== 2) {
    throw new ShapeError(`loss ${name}: accumulateInto must hold 2 values (loss and accuracy sums), got ${formatShape(accumulateInto.shape)}`);
  }
  const [rows, cols] = matrixDims(`loss ${name}`, 'prediction', prediction);
  if (name === 'sparseCategoricalCrossentropy') {
    const ok = target.size === rows && (target.shape.length === 1 || (target.shape.length === 2 && target.shape[1] === 1));
    if (!ok) {
      throw new ShapeError(
        `loss ${name}: labels must have shape [${rows}] or [${rows}, 1] for prediction ${formatShape(prediction.shape)}, got ${formatShape(target.shape)}`,
      );
    }
  } else {
    checkSameShape(`loss ${name}`, 'prediction', prediction, 'target', target);
  }
  return [rows, cols];
}

/** Keras's choice of accuracy for a loss, unless the caller says otherwise. */
export function defaultAccuracy(name: LossName, cols: number): AccuracyKind {
  if (name === 'sparseCategoricalCrossentropy') return 'sparse';
  if (name === 'binaryCrossentropy' || cols === 1) return 'binary';
  return 'categorical';
}

export function checkPositive(op: string, name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new Error(`${op}: ${name} must be a positive number, got ${value}`);
  }
}

/** Every optimizer state tensor must have the shape of its parameter. */
export function checkOptimizerArgs(op: string, param: Tensor, grad: Tensor, slots: Record<string, Tensor>): void {
  checkSameShape(op, 'param', param, 'grad', grad);
  for (const [name, t] of Object.entries(slots)) checkSameShape(op, 'param', param, name, t);
}

export function checkStep(op: string, step: Tensor): void {
  if (step.size !== 1) throw new ShapeError(`${op}: step must hold one value, got shape ${formatShape(step.shape)}`);
}

export function checkGather(src: Tensor, indices: Tensor, cursor: Tensor, rows: number): [number, number] {
  const [, cols] = matrixDims('gatherRows', 'src', src);
  if (src.shape.length !== 2) throw new ShapeError(`gatherRows: src must be a matrix, got ${formatShape(src.shape)}`);
  if (indices.shape.length !== 1) throw new ShapeError(`gatherRows: indices must be a vector, got ${formatShape(indices.shape)}`);
  if (cursor.size !== 1) throw new ShapeError(`gatherRows: cursor must hold one value, got ${formatShape(cursor.shape)}`);
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`gatherRows: rows must be a positive integer, got ${rows}`);
  if (indices.size > 2 ** 24) throw new Error(`gatherRows: ${indices.size} indices exceed float32's exact integers (2^24)`);
  return [rows, cols];
}

/** Resolves copy offsets and checks both ranges lie inside their tensors. */
export function copyRange(src: Tensor, dst: Tensor, o: CopyOptions): { srcOffset: number; dstOffset: number; count: number } {
  const srcOffset = o.srcOffset ?? 0;
  const dstOffset = o.dstOffset ?? 0;
  const count = o.count ?? src.size - srcOffset;
  for (const [name, v] of [['srcOffset', srcOffset], ['dstOffset', dstOffset], ['count', count]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`copy: ${name} must be a non-negative integer, got ${v}`);
  }
  if (srcOffset + count > src.size || dstOffset + count > dst.size) {
    throw new ShapeError(
      `copy: ${count} values from offset ${srcOffset} of src ${formatShape(src.shape)} to offset ${dstOffset} of dst ${formatShape(dst.shape)} run past the end`,
    );
  }
  return { srcOffset, dstOffset, count };
}
