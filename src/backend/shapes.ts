// Shape checks shared by every backend, so that bad input fails the same way,
// with the op and both shapes named, before any memory is touched.
import { formatShape, sizeOf, type Shape, type Tensor } from '../tensor.js';
import {
  type BatchRows,
  type StepAdvance,
  type CopyOptions,
  type Conv2dBackwardDataOptions,
  type Conv2dBackwardFilterOptions,
  type Conv2dOptions,
  type DerivativeOf,
  type DropoutOptions,
  type LearningRate,
  type LearningRateSchedule,
  MAX_SCHEDULE_BOUNDARIES,
  type Pool2dBackwardOptions,
  type Pool2dOptions,
  type WindowOptions,
  VIEW_ALIGNMENT,
  ACTIVATIONS,
  LOSSES,
  type AccuracyKind,
  type ActivationName,
  type LossName,
  type MatmulOptions,
} from './backend.js';

/** Thrown before any work when an op's tensors do not fit each other or a layer does not fit its input; the message names the op and the shapes. */
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

/** Thrown when a tensor would be larger than the backend can hold (on WebGPU, what one kernel binding may see: `backend.maxTensorBytes`). */
export class TensorLimitError extends ShapeError {
  override name = 'TensorLimitError';
}

/** "1.5 GiB", "12.0 MiB", "512 bytes". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} bytes` : `${v.toFixed(1)} ${units[u]}`;
}

/** Refuses a tensor larger than the backend holds, before any memory is asked for. */
export function checkTensorBytes(shape: Shape, limit: number, what: string, backend: string): void {
  const bytes = sizeOf(shape) * 4;
  if (bytes > limit) {
    throw new TensorLimitError(`${what}: a tensor of shape ${formatShape(shape)} needs ${formatBytes(bytes)}, over the ${backend} backend's limit of ${formatBytes(limit)} per tensor`);
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
  // Rows of a data set: A as stored is the batch, not the whole of `a`.
  const ar = options.rowsOfA ? checkBatchRows('matmul rowsOfA', a, options.rowsOfA)[0] : a.shape[0]!;
  const ac = a.shape[1]!;
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
    if (options.bias || (options.activation && options.activation !== 'linear')) {
      throw new ShapeError('matmul: derivativeOf cannot be combined with bias or activation');
    }
    checkDerivativeOf('matmul', d, [M, N]);
  }
  if (options.out) checkOut('matmul', options.out, [M, N]);
  if (options.columnSumsInto) {
    if (!options.transposeA || options.transposeB || options.bias || options.derivativeOf || (options.activation && options.activation !== 'linear')) {
      throw new ShapeError('matmul: columnSumsInto is for a weight gradient aᵀ·b (transposeA alone, no epilogue)');
    }
    checkOut('matmul columnSumsInto', options.columnSumsInto, [N]);
  }
  return { M, N, K };
}

/** A fused derivative's output must have the shape of the op's result. */
export function checkDerivativeOf(op: string, d: DerivativeOf, shape: Shape): void {
  checkActivation(`${op} derivativeOf`, d.activation);
  if (!sameShape(d.output.shape, shape)) {
    throw new ShapeError(`${op}: derivativeOf.output must have the result's shape ${formatShape(shape)}, got ${formatShape(d.output.shape)}`);
  }
}

/** An `out` tensor must hold exactly the result. */
export function checkOut(op: string, out: Tensor, shape: Shape): void {
  if (out.size !== sizeOf(shape)) {
    throw new ShapeError(`${op}: out ${formatShape(out.shape)} cannot hold the result ${formatShape(shape)}`);
  }
}

const sameShape = (a: Shape, b: Shape) => a.length === b.length && a.every((d, i) => d === b[i]);

/** A view of `shape` at `offset` must lie inside its base, at an aligned offset. */
export function checkView(base: Tensor, shape: Shape, offset: number): void {
  checkShape(shape, 'view');
  if (!Number.isInteger(offset) || offset < 0 || offset % VIEW_ALIGNMENT !== 0) {
    throw new ShapeError(`view: offset ${offset} must be a non-negative multiple of ${VIEW_ALIGNMENT}`);
  }
  if (offset + sizeOf(shape) > base.size) {
    throw new ShapeError(`view: ${formatShape(shape)} at offset ${offset} runs past the end of ${formatShape(base.shape)} (${base.size} values)`);
  }
}

// ---- windows over NHWC images: convolution and pooling ----------------------------------------

/** Everything a kernel needs to place a window over NHWC images (ConvGeometry in lib/conv.wgsl). */
export interface WindowGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  /** Filters for a convolution; the channels, unchanged, for pooling. */
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

/** Outputs along one axis, and the padding before the first input (TensorFlow's rule). */
export function windowOutput(size: number, window: number, stride: number, padding: 'valid' | 'same'): { out: number; padBefore: number } {
  if (padding === 'same') {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + window - size, 0);
    return { out, padBefore: Math.floor(total / 2) };
  }
  return { out: size >= window ? Math.floor((size - window) / stride) + 1 : 0, padBefore: 0 };
}

function checkPair(op: string, name: string, v: unknown): asserts v is readonly [number, number] {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ShapeError(`${op}: ${name} must be two positive integers [height, width], got ${JSON.stringify(v)}`);
  }
}

/** Checks the input, window and options of a windowed op; returns where every window goes. */
export function windowGeometry(op: string, input: Shape, window: readonly [number, number], o: WindowOptions, outC: number): WindowGeometry {
  if (input.length !== 4 || input.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ShapeError(`${op}: the input must be NHWC images [batch, height, width, channels], got ${formatShape(input)}`);
  }
  checkPair(op, 'the window', window);
  const strides = o.strides ?? [1, 1];
  checkPair(op, 'strides', strides);
  const padding = o.padding ?? 'valid';
  if (padding !== 'valid' && padding !== 'same') throw new ShapeError(`${op}: padding must be 'valid' or 'same', got '${String(padding)}'`);
  const [batch, inH, inW, inC] = input as [number, number, number, number];
  const h = windowOutput(inH, window[0], strides[0], padding);
  const w = windowOutput(inW, window[1], strides[1], padding);
  if (h.out < 1 || w.out < 1) {
    throw new ShapeError(`${op}: a ${window[0]}×${window[1]} window does not fit in ${inH}×${inW} images with padding 'valid' (input ${formatShape(input)})`);
  }
  return {
    batch, inH, inW, inC,
    outH: h.out, outW: w.out, outC,
    kH: window[0], kW: window[1],
    strideH: strides[0], strideW: strides[1],
    padTop: h.padBefore, padLeft: w.padBefore,
  };
}

export const outputShapeOf = (g: WindowGeometry): Shape => [g.batch, g.outH, g.outW, g.outC];
export const inputShapeOf = (g: WindowGeometry): Shape => [g.batch, g.inH, g.inW, g.inC];

function kernelWindow(op: string, kernel: Tensor, channels: number): [number, number, number] {
  const k = kernel.shape;
  if (k.length !== 4) throw new ShapeError(`${op}: the kernel must be [height, width, in channels, filters], got ${formatShape(k)}`);
  if (k[2] !== channels) {
    throw new ShapeError(`${op}: the kernel ${formatShape(k)} takes ${k[2]} input channels, the images have ${channels}`);
  }
  return [k[0]!, k[1]!, k[3]!];
}

export function conv2dGeometry(x: Tensor, kernel: Tensor, o: Conv2dOptions): WindowGeometry {
  if (x.shape.length !== 4) throw new ShapeError(`conv2d: x must be NHWC images [batch, height, width, channels], got ${formatShape(x.shape)}`);
  const [kh, kw, filters] = kernelWindow('conv2d', kernel, x.shape[3]!);
  const g = windowGeometry('conv2d', x.shape, [kh, kw], o, filters);
  if (o.bias && !sameShape(o.bias.shape, [filters])) {
    throw new ShapeError(`conv2d: bias must have shape [${filters}] (one per filter), got ${formatShape(o.bias.shape)}`);
  }
  if (o.activation !== undefined) checkActivation('conv2d', o.activation);
  return g;
}

export function conv2dBackwardDataGeometry(dy: Tensor, kernel: Tensor, o: Conv2dBackwardDataOptions): WindowGeometry {
  const op = 'conv2dBackwardData';
  if (!Array.isArray(o.inputShape) || o.inputShape.length !== 4) {
    throw new ShapeError(`${op}: inputShape must be [batch, height, width, channels], got ${JSON.stringify(o.inputShape)}`);
  }
  const [kh, kw, filters] = kernelWindow(op, kernel, o.inputShape[3]!);
  const g = windowGeometry(op, o.inputShape, [kh, kw], o, filters);
  if (!sameShape(dy.shape, outputShapeOf(g))) {
    throw new ShapeError(`${op}: dy must have conv2d's output shape ${formatShape(outputShapeOf(g))}, got ${formatShape(dy.shape)}`);
  }
  if (o.derivativeOf) checkDerivativeOf(op, o.derivativeOf, o.inputShape);
  return g;
}

export function conv2dBackwardFilterGeometry(x: Tensor, dy: Tensor, o: Conv2dBackwardFilterOptions): WindowGeometry {
  const op = 'conv2dBackwardFilter';
  if (dy.shape.length !== 4) throw new ShapeError(`${op}: dy must be [batch, height, width, filters], got ${formatShape(dy.shape)}`);
  const g = windowGeometry(op, x.shape, o.kernelSize, o, dy.shape[3]!);
  if (!sameShape(dy.shape, outputShapeOf(g))) {
    throw new ShapeError(`${op}: dy must have conv2d's output shape ${formatShape(outputShapeOf(g))}, got ${formatShape(dy.shape)}`);
  }
  if (o.out) {
    checkOut(op, o.out.kernel, [g.kH, g.kW, g.inC, g.outC]);
    if (o.bias && !o.out.bias) throw new ShapeError(`${op}: out needs a bias tensor when bias is asked for`);
    if (o.out.bias) checkOut(op, o.out.bias, [g.outC]);
  }
  return g;
}

function checkPoolKind(op: string, kind: string): void {
  if (kind !== 'max' && kind !== 'avg') throw new ShapeError(`${op}: kind must be 'max' or 'avg', got '${kind}'`);
}

export function pool2dGeometry(x: Tensor, o: Pool2dOptions): WindowGeometry {
  checkPoolKind('pool2d', o.kind);
  return windowGeometry('pool2d', x.shape, o.poolSize, o, x.shape[3] ?? 0);
}

export function pool2dBackwardGeometry(dy: Tensor, o: Pool2dBackwardOptions): WindowGeometry {
  const op = 'pool2dBackward';
  checkPoolKind(op, o.kind);
  if (!Array.isArray(o.inputShape) || o.inputShape.length !== 4) {
    throw new ShapeError(`${op}: inputShape must be [batch, height, width, channels], got ${JSON.stringify(o.inputShape)}`);
  }
  const g = windowGeometry(op, o.inputShape, o.poolSize, o, o.inputShape[3]!);
  if (!sameShape(dy.shape, outputShapeOf(g))) {
    throw new ShapeError(`${op}: dy must have the pooled shape ${formatShape(outputShapeOf(g))}, got ${formatShape(dy.shape)}`);
  }
  if (o.kind === 'max' && !(o.argmax && sameShape(o.argmax.shape, dy.shape))) {
    throw new ShapeError(`${op}: max pooling needs the forward pass's argmax, of shape ${formatShape(dy.shape)}`);
  }
  if (o.derivativeOf) checkDerivativeOf(op, o.derivativeOf, o.inputShape);
  return g;
}

export function checkDropout(op: string, x: Tensor, o: DropoutOptions): void {
  if (!(typeof o.rate === 'number' && o.rate >= 0 && o.rate < 1)) throw new Error(`${op}: rate must be a number in [0, 1), got ${o.rate}`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) throw new Error(`${op}: seed must be an integer in [0, 2^32), got ${o.seed}`);
  checkStep(op, o.step);
  if (o.derivativeOf) checkDerivativeOf(op, o.derivativeOf, x.shape);
}

/** The threshold below which an element's random bits drop it: rate · 2³². */
export function dropoutThreshold(rate: number): number {
  return Math.min(Math.round(rate * 2 ** 32), 2 ** 32 - 1);
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
export function lossDims(name: LossName, prediction: Tensor, target: Tensor, accumulateInto?: Tensor, targetRows?: BatchRows): [number, number] {
  checkLossName(name);
  if (accumulateInto && accumulateInto.size !== 2) {
    throw new ShapeError(`loss ${name}: accumulateInto must hold 2 values (loss and accuracy sums), got ${formatShape(accumulateInto.shape)}`);
  }
  const [rows, cols] = matrixDims(`loss ${name}`, 'prediction', prediction);
  // With targetRows, the batch's targets are rows of the whole set.
  const targetShape = targetRows ? checkBatchRows(`loss ${name} targetRows`, target, targetRows) : target.shape;
  const targetSize = sizeOf(targetShape);
  if (name === 'sparseCategoricalCrossentropy') {
    const ok = targetSize === rows && (targetShape.length === 1 || (targetShape.length === 2 && targetShape[1] === 1));
    if (!ok) {
      throw new ShapeError(
        `loss ${name}: labels must have shape [${rows}] or [${rows}, 1] for prediction ${formatShape(prediction.shape)}, got ${formatShape(targetShape)}`,
      );
    }
  } else if (!sameShape(prediction.shape, targetShape)) {
    throw new ShapeError(`loss ${name}: prediction ${formatShape(prediction.shape)} and target ${formatShape(targetShape)} must have the same shape`);
  }
  return [rows, cols];
}

export function metricsDims(prediction: Tensor, target: Tensor, totals: Tensor, sparse: boolean): [number, number] {
  const [rows, cols] = matrixDims('metrics', 'prediction', prediction);
  if (totals.size !== 5) throw new ShapeError(`metrics: totals must hold 5 sums, got ${formatShape(totals.shape)}`);
  if (sparse) {
    if (target.size !== rows) throw new ShapeError(`metrics: sparse labels must hold one per row (${rows}), got ${formatShape(target.shape)}`);
  } else {
    checkSameShape('metrics', 'prediction', prediction, 'target', target);
  }
  return [rows, cols];
}

/** Keras's choice of accuracy for a loss, unless the caller says otherwise. */
export function defaultAccuracy(name: LossName, cols: number): AccuracyKind {
  if (name === 'sparseCategoricalCrossentropy') return 'sparse';
  if (name === 'binaryCrossentropy' || cols === 1) return 'binary';
  return 'categorical';
}

/** A learning rate: a positive number, or a tensor holding it in its first value. */
export function checkLearningRate(op: string, rate: LearningRate): void {
  if (typeof rate === 'number') checkPositive(op, 'learningRate', rate);
  else if (!(rate && typeof rate === 'object' && 'size' in rate && rate.size >= 1)) {
    throw new Error(`${op}: learningRate must be a positive number or a tensor holding it, got ${String(rate)}`);
  }
}

export function checkSchedule(op: string, s: LearningRateSchedule): void {
  if (s.kind === 'exponentialDecay') {
    checkPositive(op, 'initialLearningRate', s.initialLearningRate);
    checkPositive(op, 'decaySteps', s.decaySteps);
    checkPositive(op, 'decayRate', s.decayRate);
    return;
  }
  if (s.kind !== 'piecewiseConstant') throw new Error(`${op}: unknown schedule '${String((s as { kind: unknown }).kind)}'`);
  const { boundaries, values } = s;
  if (!Array.isArray(boundaries) || boundaries.length === 0 || boundaries.length > MAX_SCHEDULE_BOUNDARIES) {
    throw new Error(`${op}: piecewiseConstant needs 1 to ${MAX_SCHEDULE_BOUNDARIES} boundaries, got ${JSON.stringify(boundaries)}`);
  }
  if (!Array.isArray(values) || values.length !== boundaries.length + 1) {
    throw new Error(`${op}: piecewiseConstant needs one value more than boundaries (${boundaries.length + 1}), got ${JSON.stringify(values)}`);
  }
  boundaries.forEach((b, i) => {
    if (!Number.isInteger(b) || b < 0 || (i > 0 && b <= boundaries[i - 1]!)) throw new Error(`${op}: piecewiseConstant boundaries must be increasing step counts, got ${JSON.stringify(boundaries)}`);
  });
  values.forEach((v) => checkPositive(op, 'a piecewiseConstant value', v));
}

export function checkRegularize(param: Tensor, grad: Tensor | undefined, totals: Tensor, o: { l1: number; l2: number; rows: number }): void {
  if (grad) checkSameShape('regularize', 'param', param, 'grad', grad);
  if (totals.size < 1) throw new ShapeError(`regularize: totals must hold the loss sum, got ${formatShape(totals.shape)}`);
  for (const [name, v] of [['l1', o.l1], ['l2', o.l2]] as const) {
    if (!(Number.isFinite(v) && v >= 0)) throw new Error(`regularize: ${name} must be a number ≥ 0, got ${v}`);
  }
  if (!(Number.isInteger(o.rows) && o.rows >= 0)) throw new Error(`regularize: rows must be a whole number ≥ 0, got ${o.rows}`);
}

/** A schedule's rate tensor holds [current, base]. */
export function checkScheduleRate(op: string, s: { rate: Tensor; schedule: LearningRateSchedule }): void {
  checkSchedule(op, s.schedule);
  if (s.rate.size < 2) throw new ShapeError(`${op}: a schedule's rate tensor holds [current, base], got ${formatShape(s.rate.shape)}`);
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
  matrixDims('gatherRows', 'src', src);
  if (src.shape.length !== 2) throw new ShapeError(`gatherRows: src must be a matrix, got ${formatShape(src.shape)}`);
  return checkBatchRows('gatherRows', src, { indices, cursor, rows });
}

/** [rows, cols] of a batch taken from a data set `src` [total, cols] by `rows` (checkGather's rules). */
export function checkBatchRows(op: string, src: Tensor, r: BatchRows): [number, number] {
  if (src.shape.length !== 2) throw new ShapeError(`${op}: the data set must be a matrix, got ${formatShape(src.shape)}`);
  if (r.indices.shape.length !== 1) throw new ShapeError(`${op}: indices must be a vector, got ${formatShape(r.indices.shape)}`);
  checkCursor(op, r.cursor);
  if (!Number.isInteger(r.rows) || r.rows < 1) throw new Error(`${op}: rows must be a positive integer, got ${r.rows}`);
  if (r.indices.size > 2 ** 24) throw new Error(`${op}: ${r.indices.size} indices exceed float32's exact integers (2^24)`);
  return [r.rows, src.shape[1]!];
}

/** A step's bookkeeping folded into another op: a one-value cursor, whole rows, a one-value step, a [current, base] rate. */
export function checkStepAdvance(op: string, a: StepAdvance): void {
  checkCursor(`${op} advance`, a.cursor);
  if (!Number.isInteger(a.rows) || a.rows < 0) throw new Error(`${op} advance: rows must be a non-negative integer, got ${a.rows}`);
  if (a.step && a.step.size !== 1) throw new ShapeError(`${op} advance: step must hold one value, got ${formatShape(a.step.shape)}`);
  if (a.schedule && !a.step) throw new Error(`${op} advance: a schedule needs the step it follows`);
  if (a.schedule) checkScheduleRate(`${op} advance`, a.schedule);
}

/** headLoss's operands: x [rows, k], kernel [k, n], bias [n]; sums to accumulate into. Returns [rows, k, n]. */
export function headLossDims(x: Tensor, kernel: Tensor, bias: Tensor | undefined, options: { accumulateInto?: Tensor }): [number, number, number] {
  const { M, N, K } = matmulDims(x, kernel, bias ? { bias } : {});
  if (!options.accumulateInto) throw new Error('headLoss: accumulateInto is required (the sums are taken in the same pass)');
  return [M, K, N];
}

/** LossOptions.advance: a well-formed step advance, after sums the same single pass makes. */
export function checkLossAdvance(options: { advance?: StepAdvance; accumulateInto?: Tensor }): void {
  if (!options.advance) return;
  if (!options.accumulateInto) throw new Error('loss: advance needs accumulateInto (the bookkeeping comes after the sums, in the same pass)');
  checkStepAdvance('loss', options.advance);
}

/** Samples and their targets come in the same number of rows. */
export function checkSameRows(op: string, x: Tensor, y: Tensor): void {
  if (x.shape[0] !== y.shape[0]) throw new ShapeError(`${op}: x has ${x.shape[0]} rows but y has ${y.shape[0]}`);
}

export function checkCursor(op: string, cursor: Tensor): void {
  if (cursor.size !== 1) throw new ShapeError(`${op}: cursor must hold one value, got ${formatShape(cursor.shape)}`);
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
