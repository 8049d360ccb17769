// The reference backend: every op is a plain loop over Float32Array (see the
// files beside this one, named after the WGSL kernels they mirror). It is the
// oracle the WebGPU kernels are tested against.
import { Tensor, type Shape } from '../../tensor.js';
import { preparedWork } from '../backend.js';
import type {
  BatchRows,
  HeadLossOutputs,
  PreparedWork,
  StepAdvance,
  ActivationName,
  AdamOptions,
  Backend,
  ColumnSumsOptions,
  CopyOptions,
  Conv2dBackwardDataOptions,
  Conv2dBackwardFilterOptions,
  Conv2dOptions,
  DerivativeOf,
  DropoutOptions,
  LearningRate,
  LearningRateSchedule,
  LossName,
  Pool2dBackwardOptions,
  Pool2dOptions,
  Pool2dOutputs,
  Plan,
  LossOptions,
  LossOutputs,
  MatmulOptions,
  MetricsOptions,
  RegularizeOptions,
  RmspropOptions,
} from '../backend.js';
import {
  checkActivation,
  checkDropout,
  checkTensorBytes,
  checkGather,
  checkSameRows,
  checkStepAdvance,
  checkLossAdvance,
  headLossDims,
  checkCursor,
  checkLearningRate,
  checkOut,
  checkRegularize,
  checkScheduleRate,
  checkView,
  conv2dBackwardDataGeometry,
  conv2dBackwardFilterGeometry,
  conv2dGeometry,
  outputShapeOf,
  pool2dBackwardGeometry,
  pool2dGeometry,
  checkOptimizerArgs,
  copyRange,
  checkPositive,
  checkSameShape,
  checkStep,
  checkValuesFit,
  defaultAccuracy,
  lossDims,
  matmulDims,
  matrixDims,
  metricsDims,
  ShapeError,
} from '../shapes.js';
import { matmul } from './matmul.js';
import { activationBackward, activationForward, softmax, softmaxBackward } from './activation.js';
import { columnSums } from './reduce.js';
import { loss } from './loss.js';
import * as optimizer from './optimizer.js';
import { advanceCursor, gatherRows } from './gather.js';
import { conv2dBackwardData, conv2dBackwardFilter, conv2dForward } from './conv2d.js';
import { pool2dBackward, pool2dForward } from './pool.js';
import { dropout } from './dropout.js';
import { regularize } from './regularize.js';
import { metricSums } from './metrics.js';

/**
 * On the CPU a plan is the list of ops it recorded, each bound to fixed output
 * tensors, exactly as on the GPU: replaying recomputes those tensors in place.
 */
class CpuPlan implements Plan {
  constructor(readonly steps: readonly (() => void)[]) {}
  get commands(): number {
    return this.steps.length;
  }
  dispose(): void {}
}

export class CpuTensor extends Tensor {
  constructor(backend: CpuBackend, shape: Shape, readonly values: Float32Array) {
    super(backend, shape);
  }
}

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly adapterName = 'cpu (reference)';
  /** How this backend was picked, when getBackend('auto') picked it. */
  chosen: string | undefined;
  /** 2 GiB: typed arrays of that size work in every JavaScript engine. */
  readonly maxTensorBytes = 2 ** 31;
  /** While recording a plan, ops are kept here instead of run. */
  private recording: (() => void)[] | undefined;

  /** Runs an op now, or keeps it for the plan being recorded. */
  private exec(op: () => void): void {
    if (this.recording) this.recording.push(op);
    else op();
  }

  /** A new tensor (or `into`) whose values `compute` fills in when the op runs. */
  private output(shape: Shape, compute: () => Float32Array, into?: Tensor): Tensor {
    if (into) {
      const dst = this.own(into, 'out');
      this.exec(() => dst.set(compute()));
      return into;
    }
    checkTensorBytes(shape, this.maxTensorBytes, 'an op', 'cpu');
    const out = this.make(new Float32Array(shape.reduce((n, d) => n * d, 1)), shape);
    this.exec(() => out.values.set(compute()));
    return out;
  }

  private derivative(d: DerivativeOf | undefined, op: string): { activation: DerivativeOf['activation']; output: Float32Array } | undefined {
    return d ? { activation: d.activation, output: this.own(d.output, op) } : undefined;
  }

  private own(t: Tensor, op: string): Float32Array {
    if (!(t instanceof CpuTensor) || t.backend !== this) {
      throw new Error(`${op}: ${t} belongs to another backend (${t.backend.name}), not cpu`);
    }
    if (t.disposed) throw new Error(`${op}: ${t} was disposed`);
    return t.values;
  }

  private make(values: Float32Array, shape: Shape): CpuTensor {
    return new CpuTensor(this, shape, values);
  }

  tensor(values: Float32Array | readonly number[], shape: Shape): Tensor {
    checkValuesFit(values, shape, 'tensor');
    checkTensorBytes(shape, this.maxTensorBytes, 'tensor', 'cpu');
    return this.make(Float32Array.from(values), shape);
  }

  zeros(shape: Shape): Tensor {
    const probe = { length: shape.reduce((n, d) => n * d, 1) };
    checkValuesFit(probe, shape, 'zeros');
    checkTensorBytes(shape, this.maxTensorBytes, 'zeros', 'cpu');
    return this.make(new Float32Array(probe.length), shape);
  }

  write(t: Tensor, values: Float32Array): void {
    const dst = this.own(t, 'write');
    if (this.recording) throw new Error('write: tensors cannot be written while a plan is being recorded');
    if (values.length !== dst.length) throw new ShapeError(`write: ${values.length} values for ${t} of ${dst.length}`);
    dst.set(values);
  }

  view(base: Tensor, shape: Shape, offset = 0): Tensor {
    const values = this.own(base, 'view');
    checkView(base, shape, offset);
    return this.make(values.subarray(offset, offset + shape.reduce((n, d) => n * d, 1)), shape);
  }

  read(t: Tensor): Promise<Float32Array> {
    if (this.recording) return Promise.reject(new Error('read: results cannot be read while a plan is being recorded'));
    return Promise.resolve(this.own(t, 'read').slice());
  }

  dispose(_t: Tensor): void {
    // Garbage collected; nothing to give back.
  }

  matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
    const { M, N, K } = matmulDims(a, b, options);
    const [av, bv] = [this.own(a, 'matmul'), this.own(b, 'matmul')];
    const bias = options.bias ? this.own(options.bias, 'matmul') : undefined;
    const derivativeOf = this.derivative(options.derivativeOf, 'matmul');
    const args = { M, N, K, transposeA: options.transposeA, transposeB: options.transposeB, bias, activation: options.activation, derivativeOf };
    const sums = options.columnSumsInto ? this.own(options.columnSumsInto, 'matmul') : undefined;
    const rowsOfA = options.rowsOfA && this.batchRows(options.rowsOfA, a.shape[1]!, 'matmul');
    // One op, as on the GPU: the batch read from the data set, and the bias gradient with the weight gradient.
    const run = () => {
      if (sums) sums.set(columnSums(bv, K, N, 1));
      return matmul(rowsOfA ? rowsOfA(av) : av, bv, args);
    };
    return this.output([M, N], run, options.out);
  }

  activation(x: Tensor, name: ActivationName): Tensor {
    checkActivation('activation', name);
    const xv = this.own(x, 'activation');
    return this.output(x.shape, () => activationForward(xv, name));
  }

  activationBackward(dy: Tensor, y: Tensor, name: ActivationName): Tensor {
    checkActivation('activationBackward', name);
    checkSameShape('activationBackward', 'dy', dy, 'y', y);
    const [dyv, yv] = [this.own(dy, 'activationBackward'), this.own(y, 'activationBackward')];
    return this.output(dy.shape, () => activationBackward(dyv, yv, name));
  }

  softmax(x: Tensor): Tensor {
    const [rows, cols] = matrixDims('softmax', 'x', x);
    const xv = this.own(x, 'softmax');
    return this.output(x.shape, () => softmax(xv, rows, cols));
  }

  softmaxBackward(dy: Tensor, y: Tensor): Tensor {
    checkSameShape('softmaxBackward', 'dy', dy, 'y', y);
    const [rows, cols] = matrixDims('softmaxBackward', 'dy', dy);
    const [dyv, yv] = [this.own(dy, 'softmaxBackward'), this.own(y, 'softmaxBackward')];
    return this.output(dy.shape, () => softmaxBackward(dyv, yv, rows, cols));
  }

  columnSums(x: Tensor, options: ColumnSumsOptions = {}): Tensor {
    const [rows, cols] = matrixDims('columnSums', 'x', x);
    const xv = this.own(x, 'columnSums');
    const sums = () => columnSums(xv, rows, cols, options.scale ?? 1);
    const into = options.accumulateInto;
    if (options.out) checkOut('columnSums', options.out, [cols]);
    if (!into) return this.output([cols], sums, options.out);
    const acc = this.own(into, 'columnSums');
    if (acc.length !== cols) throw new ShapeError(`columnSums: accumulateInto ${into} must hold ${cols} values`);
    this.exec(() => sums().forEach((v, c) => (acc[c]! += v)));
    return into;
  }

  loss(name: LossName, prediction: Tensor, target: Tensor, options: LossOptions = {}): LossOutputs {
    const [rows, cols] = lossDims(name, prediction, target, options.accumulateInto, options.targetRows);
    const args = { rows, cols, fromLogits: options.fromLogits ?? false, accuracy: options.accuracy ?? defaultAccuracy(name, cols) };
    const [pv, tv] = [this.own(prediction, 'loss'), this.own(target, 'loss')];
    const targetRows = options.targetRows && this.batchRows(options.targetRows, target.shape[1]!, 'loss');
    const totals = options.accumulateInto ? this.own(options.accumulateInto, 'loss') : undefined;
    checkLossAdvance(options);
    const advance = options.advance && this.stepAdvance(options.advance);
    const grad = this.make(new Float32Array(rows * cols), prediction.shape);
    const stats = this.make(new Float32Array(rows * 2), [rows, 2]);
    // One op, as one dispatch on the GPU: the step's bookkeeping comes after every row is scored.
    this.exec(() => {
      const r = loss(name, pv, targetRows ? targetRows(tv) : tv, args);
      grad.values.set(r.grad);
      stats.values.set(r.stats);
      if (totals) columnSums(r.stats, rows, 2).forEach((v, i) => (totals[i]! += v));
      advance?.();
    });
    return { grad, stats };
  }

  headLoss(name: LossName, x: Tensor, kernel: Tensor, bias: Tensor | undefined, target: Tensor, options: LossOptions): HeadLossOutputs {
    const [rows, K, cols] = headLossDims(x, kernel, bias, options);
    const [xv, kv] = [this.own(x, 'headLoss'), this.own(kernel, 'headLoss')];
    const bv = bias && this.own(bias, 'headLoss');
    const prediction = this.make(new Float32Array(rows * cols), [rows, cols]);
    // The loss's checks and its work, run after the product in the same op (one dispatch on the GPU).
    const scored = this.recordingInto(() => this.loss(name, prediction, target, options));
    this.exec(() => {
      prediction.values.set(matmul(xv, kv, { M: rows, N: cols, K, bias: bv }));
      scored.run();
    });
    return { prediction, grad: scored.result.grad };
  }

  /** Records `build`'s ops as one closure to run inside another op, instead of as ops of their own. */
  private recordingInto<T>(build: () => T): { result: T; run: () => void } {
    const outer = this.recording;
    const steps: (() => void)[] = [];
    this.recording = steps;
    try {
      const result = build();
      return { result, run: () => steps.forEach((s) => s()) };
    } finally {
      this.recording = outer;
    }
  }

  conv2d(x: Tensor, kernel: Tensor, options: Conv2dOptions = {}): Tensor {
    const g = conv2dGeometry(x, kernel, options);
    const [xv, kv] = [this.own(x, 'conv2d'), this.own(kernel, 'conv2d')];
    const bias = options.bias ? this.own(options.bias, 'conv2d') : undefined;
    return this.output(outputShapeOf(g), () => conv2dForward(xv, kv, g, bias, options.activation));
  }

  conv2dBackwardData(dy: Tensor, kernel: Tensor, options: Conv2dBackwardDataOptions): Tensor {
    const g = conv2dBackwardDataGeometry(dy, kernel, options);
    const [dyv, kv] = [this.own(dy, 'conv2dBackwardData'), this.own(kernel, 'conv2dBackwardData')];
    const d = this.derivative(options.derivativeOf, 'conv2dBackwardData');
    return this.output(options.inputShape, () => conv2dBackwardData(dyv, kv, g, d));
  }

  conv2dBackwardFilter(x: Tensor, dy: Tensor, options: Conv2dBackwardFilterOptions): { kernel: Tensor; bias?: Tensor } {
    const g = conv2dBackwardFilterGeometry(x, dy, options);
    const [xv, dyv] = [this.own(x, 'conv2dBackwardFilter'), this.own(dy, 'conv2dBackwardFilter')];
    const withBias = options.bias ?? false;
    const kernel = options.out?.kernel ?? this.make(new Float32Array(g.kH * g.kW * g.inC * g.outC), [g.kH, g.kW, g.inC, g.outC]);
    const bias = withBias ? (options.out?.bias ?? this.make(new Float32Array(g.outC), [g.outC])) : undefined;
    const [kd, bd] = [this.own(kernel, 'conv2dBackwardFilter'), bias && this.own(bias, 'conv2dBackwardFilter')];
    this.exec(() => {
      const r = conv2dBackwardFilter(xv, dyv, g, withBias);
      kd.set(r.kernel);
      if (bd) bd.set(r.bias!);
    });
    return bias ? { kernel, bias } : { kernel };
  }

  pool2d(x: Tensor, options: Pool2dOptions & { keepArgmax?: boolean }): Pool2dOutputs {
    const g = pool2dGeometry(x, options);
    const xv = this.own(x, 'pool2d');
    const shape = outputShapeOf(g);
    const output = this.make(new Float32Array(shape.reduce((n, d) => n * d, 1)), shape);
    const keep = options.keepArgmax && options.kind === 'max';
    const argmax = keep ? this.make(new Float32Array(output.size), shape) : undefined;
    this.exec(() => {
      const r = pool2dForward(xv, g, options.kind);
      output.values.set(r.output);
      argmax?.values.set(r.argmax);
    });
    return argmax ? { output, argmax } : { output };
  }

  pool2dBackward(dy: Tensor, options: Pool2dBackwardOptions): Tensor {
    const g = pool2dBackwardGeometry(dy, options);
    const dyv = this.own(dy, 'pool2dBackward');
    const argmax = options.argmax ? this.own(options.argmax, 'pool2dBackward') : undefined;
    const d = this.derivative(options.derivativeOf, 'pool2dBackward');
    return this.output(options.inputShape, () => pool2dBackward(dyv, g, options.kind, argmax, d));
  }

  dropout(x: Tensor, options: DropoutOptions): Tensor {
    checkDropout('dropout', x, options);
    const [xv, t] = [this.own(x, 'dropout'), this.own(options.step, 'dropout')];
    return this.output(x.shape, () => dropout(xv, options.rate, options.seed, t[0]!));
  }

  dropoutBackward(dy: Tensor, options: DropoutOptions): Tensor {
    checkDropout('dropoutBackward', dy, options);
    const [dyv, t] = [this.own(dy, 'dropoutBackward'), this.own(options.step, 'dropoutBackward')];
    const d = this.derivative(options.derivativeOf, 'dropoutBackward');
    return this.output(dy.shape, () => dropout(dyv, options.rate, options.seed, t[0]!, d));
  }

  /** A learning rate read when the op runs: the number, or the tensor's first value then. */
  private rate(op: string, lr: LearningRate): () => number {
    checkLearningRate(op, lr);
    if (typeof lr === 'number') return () => lr;
    const v = this.own(lr, op);
    return () => v[0]!;
  }

  sgd(param: Tensor, grad: Tensor, learningRate: LearningRate): void {
    checkOptimizerArgs('sgd', param, grad, {});
    const lr = this.rate('sgd', learningRate);
    const [p, g] = [this.own(param, 'sgd'), this.own(grad, 'sgd')];
    this.exec(() => optimizer.sgd(p, g, lr()));
  }

  momentum(param: Tensor, grad: Tensor, velocity: Tensor, learningRate: LearningRate, momentum: number): void {
    checkOptimizerArgs('momentum', param, grad, { velocity });
    const lr = this.rate('momentum', learningRate);
    const [p, g, v] = [this.own(param, 'momentum'), this.own(grad, 'momentum'), this.own(velocity, 'momentum')];
    this.exec(() => optimizer.momentum(p, g, v, lr(), momentum));
  }

  adam(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, step: Tensor, options: AdamOptions): void {
    checkOptimizerArgs('adam', param, grad, { m, v });
    checkStep('adam', step);
    const lr = this.rate('adam', options.learningRate);
    const [p, g, mv, vv, t] = [param, grad, m, v, step].map((x) => this.own(x, 'adam')) as Float32Array[];
    this.exec(() => optimizer.adam(p!, g!, mv!, vv!, t![0]!, { ...options, learningRate: lr() }));
  }

  rmsprop(param: Tensor, grad: Tensor, meanSquare: Tensor, options: RmspropOptions): void {
    checkOptimizerArgs('rmsprop', param, grad, { meanSquare });
    const lr = this.rate('rmsprop', options.learningRate);
    const [p, g, ms] = [this.own(param, 'rmsprop'), this.own(grad, 'rmsprop'), this.own(meanSquare, 'rmsprop')];
    this.exec(() => optimizer.rmsprop(p, g, ms, { ...options, learningRate: lr() }));
  }

  metrics(prediction: Tensor, target: Tensor, totals: Tensor, options: MetricsOptions = {}): void {
    const [rows, cols] = metricsDims(prediction, target, totals, options.sparse ?? false);
    const [pv, tv, acc] = [this.own(prediction, 'metrics'), this.own(target, 'metrics'), this.own(totals, 'metrics')];
    const output = options.fromLogits === 'sigmoid' ? 'sigmoid-logits' : options.fromLogits === 'softmax' ? 'softmax-logits' : 'output';
    this.exec(() => metricSums(pv, tv, rows, cols, output, options.sparse ?? false).forEach((v, i) => (acc[i]! += v)));
  }

  regularize(param: Tensor, grad: Tensor | undefined, totals: Tensor, options: RegularizeOptions): void {
    checkRegularize(param, grad, totals, options);
    const [p, t] = [this.own(param, 'regularize'), this.own(totals, 'regularize')];
    const g = grad && this.own(grad, 'regularize');
    this.exec(() => {
      t[0]! += options.rows * regularize(p, g, options.l1, options.l2);
    });
  }

  advanceStep(step: Tensor, schedule?: { rate: Tensor; schedule: LearningRateSchedule }, cursor?: { cursor: Tensor; rows: number }): void {
    checkStep('advanceStep', step);
    if (schedule) checkScheduleRate('advanceStep', schedule);
    if (cursor) checkCursor('advanceStep', cursor.cursor);
    const t = this.own(step, 'advanceStep');
    const s = schedule && { rate: this.own(schedule.rate, 'advanceStep'), schedule: schedule.schedule };
    const c = cursor && { values: this.own(cursor.cursor, 'advanceStep'), rows: cursor.rows };
    this.exec(() => {
      optimizer.advanceStep(t, s);
      if (c) advanceCursor(c.values, c.rows);
    });
  }

  gatherRows(src: Tensor, indices: Tensor, cursor: Tensor, rows: number): Tensor {
    const [, cols] = checkGather(src, indices, cursor, rows);
    const [sv, iv, cv] = [this.own(src, 'gatherRows'), this.own(indices, 'gatherRows'), this.own(cursor, 'gatherRows')];
    return this.output([rows, cols], () => gatherRows(sv, iv, cv[0]!, rows, cols));
  }

  gatherBatch(x: Tensor, y: Tensor, indices: Tensor, cursor: Tensor, rows: number): [Tensor, Tensor] {
    const [, xCols] = checkGather(x, indices, cursor, rows);
    const [, yCols] = checkGather(y, indices, cursor, rows);
    checkSameRows('gatherBatch', x, y);
    const [xv, yv, iv, cv] = [this.own(x, 'gatherBatch'), this.own(y, 'gatherBatch'), this.own(indices, 'gatherBatch'), this.own(cursor, 'gatherBatch')];
    checkTensorBytes([rows, xCols], this.maxTensorBytes, 'gatherBatch', 'cpu');
    checkTensorBytes([rows, yCols], this.maxTensorBytes, 'gatherBatch', 'cpu');
    const xb = this.make(new Float32Array(rows * xCols), [rows, xCols]);
    const yb = this.make(new Float32Array(rows * yCols), [rows, yCols]);
    // One op, as one dispatch on the GPU.
    this.exec(() => {
      xb.values.set(gatherRows(xv, iv, cv[0]!, rows, xCols));
      yb.values.set(gatherRows(yv, iv, cv[0]!, rows, yCols));
    });
    return [xb, yb];
  }

  /** advanceStep's work (or advanceCursor's, without a step), to run inside another op. */
  private stepAdvance(a: StepAdvance): () => void {
    checkStepAdvance('loss', a);
    const cursor = this.own(a.cursor, 'loss advance');
    const step = a.step && this.own(a.step, 'loss advance');
    const s = a.schedule && { rate: this.own(a.schedule.rate, 'loss advance'), schedule: a.schedule.schedule };
    return () => {
      advanceCursor(cursor, a.rows);
      if (step) optimizer.advanceStep(step, s);
    };
  }

  /** The rows of a data set a batch reads, taken when the op runs (the cursor is read then, as on the GPU). */
  private batchRows(r: BatchRows, cols: number, op: string): (data: Float32Array) => Float32Array {
    const [iv, cv] = [this.own(r.indices, op), this.own(r.cursor, op)];
    const behind = r.behind ?? 0;
    return (data) => gatherRows(data, iv, cv[0]! - behind, r.rows, cols);
  }

  advanceCursor(cursor: Tensor, rows: number): void {
    const cv = this.own(cursor, 'advanceCursor');
    this.exec(() => advanceCursor(cv, rows));
  }

  copy(src: Tensor, dst: Tensor, options: CopyOptions = {}): void {
    const { srcOffset, dstOffset, count } = copyRange(src, dst, options);
    const [sv, dv] = [this.own(src, 'copy'), this.own(dst, 'copy')];
    this.exec(() => dv.set(sv.subarray(srcOffset, srcOffset + count), dstOffset));
  }

  record(build: () => void): Plan {
    if (this.recording) throw new Error('record: plans cannot be recorded inside each other');
    const steps: (() => void)[] = [];
    this.recording = steps;
    try {
      build();
    } finally {
      this.recording = undefined;
    }
    return new CpuPlan(steps);
  }

  replay(plan: Plan): void {
    if (!(plan instanceof CpuPlan)) throw new Error('replay: this plan was recorded by another backend');
    for (const step of plan.steps) step();
  }

  /** The CPU runs a plan's ops when it is replayed: prepared work is replayed at release. */
  prepare(plans: readonly Plan[]): PreparedWork {
    for (const plan of plans) if (!(plan instanceof CpuPlan)) throw new Error('prepare: this plan was recorded by another backend');
    return preparedWork(() => {
      for (const plan of plans) this.replay(plan);
    });
  }

  trim(): void {}

  flush(): Promise<void> {
    return Promise.resolve();
  }

  destroy(): void {}
}
