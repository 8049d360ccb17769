import type { Shape, Tensor } from '../tensor.js';

export type BackendName = 'cpu' | 'webgpu';

/** The device a backend computed on is gone (a GPU reset, a destroyed device): every later call fails with this. */
export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
}
export type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'tanh';
export type LossName =
  | 'meanSquaredError'
  | 'binaryCrossentropy'
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy';
/** Which accuracy a loss row reports: threshold at 0.5, argmax against one-hot, argmax against an integer label. */
export type AccuracyKind = 'binary' | 'categorical' | 'sparse';

export const ACTIVATIONS: readonly ActivationName[] = ['linear', 'relu', 'sigmoid', 'tanh'];
export const LOSSES: readonly LossName[] = [
  'meanSquaredError',
  'binaryCrossentropy',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
];

export interface MatmulOptions {
  /** A is stored as [K, M] and used transposed. */
  transposeA?: boolean;
  /** B is stored as [N, K] and used transposed. */
  transposeB?: boolean;
  /** Fused epilogue: a vector of N values added to every row. */
  bias?: Tensor;
  /** Fused epilogue: applied after the bias. */
  activation?: ActivationName;
  /**
   * Backward fusion: multiply the product element-wise by this activation's
   * derivative, written with the layer's forward output (an [M, N] tensor):
   * dZ = (dY·Wᵀ) ⊙ f'(Y). Not combined with bias or activation.
   */
  derivativeOf?: DerivativeOf;
  /** Write the [M, N] result into this tensor (e.g. a view of a gradient buffer) instead of a new one. */
  out?: Tensor;
  /**
   * With transposeA (a weight gradient dW = xᵀ·dZ): also write the sums of
   * op(B)'s columns over K — the bias gradient Σ dZ — into this [N] tensor,
   * in the same pass (op(A) gains a row of ones). Not combined with an epilogue.
   */
  columnSumsInto?: Tensor;
  /**
   * `a` is a whole resident data set, and the product's A (as stored: its
   * rows are op(A)'s rows, or with transposeA its reduction) is these rows of
   * it: the batch is read in shuffled order straight from the data set, with
   * no gathered copy and no dispatch of its own.
   */
  rowsOfA?: BatchRows;
}

/**
 * A batch of a resident data set in the epoch's shuffled order: row r of the
 * batch is row indices[cursor + r] of the data set, where the cursor is a
 * one-value tensor on the device (so a recorded step serves every batch).
 * Positions past the end of `indices` read rows of zeros, as gatherRows does.
 */
export interface BatchRows {
  /** [total]: the epoch's permutation, as float32 row numbers. */
  indices: Tensor;
  /** [1]: where the batch starts in `indices`. */
  cursor: Tensor;
  /** The batch's rows. */
  rows: number;
  /**
   * The cursor has already been moved past this batch, by this many rows
   * (the loss that scored it advanced it): the batch starts at cursor − behind.
   */
  behind?: number;
}

/**
 * A training step's bookkeeping, done by the loss's own dispatch once every
 * row is scored (LossOptions.advance): what advanceStep does, without a
 * dispatch of its own.
 */
export interface StepAdvance {
  /** The data set's cursor, moved on by `rows`. */
  cursor: Tensor;
  rows: number;
  /** Also step += 1 (and, with a schedule, the scheduled rate written into rate[0]). */
  step?: Tensor;
  schedule?: { rate: Tensor; schedule: LearningRateSchedule };
}

/**
 * A backward op's fused last step: multiply its result by the derivative of
 * the layer below's activation, written with that layer's output (the op's
 * input, same shape as the result). The op then returns the layer below's dZ.
 */
export interface DerivativeOf {
  activation: ActivationName;
  output: Tensor;
}

export type Padding = 'valid' | 'same';

/** Where a 2-D window (a convolution kernel, a pooling window) goes over NHWC images. */
export interface WindowOptions {
  /** Steps between windows along height and width. Default [1, 1]. */
  strides?: readonly [number, number];
  /**
   * 'valid': windows stay inside the image; 'same': zero padding (TensorFlow's
   * split, the extra row or column at the bottom or right) keeps ⌈size / stride⌉
   * outputs. Default 'valid'.
   */
  padding?: Padding;
}

export interface Conv2dOptions extends WindowOptions {
  /** Fused epilogue: one value per filter, added to every output pixel. */
  bias?: Tensor;
  /** Fused epilogue, after the bias. */
  activation?: ActivationName;
}

export interface Conv2dBackwardDataOptions extends WindowOptions {
  /** The shape of the forward input, [batch, height, width, channels]. */
  inputShape: Shape;
  derivativeOf?: DerivativeOf;
}

export interface Conv2dBackwardFilterOptions extends WindowOptions {
  /** [kernel height, kernel width]. */
  kernelSize: readonly [number, number];
  /** Also give the bias gradient (Σ dy over every pixel), in the same pass. */
  bias?: boolean;
  /** Write into these (e.g. views of a gradient buffer) instead of new tensors. */
  out?: { kernel: Tensor; bias?: Tensor };
}

export type PoolKind = 'max' | 'avg';

export interface Pool2dOptions extends WindowOptions {
  kind: PoolKind;
  /** [window height, window width]. */
  poolSize: readonly [number, number];
}

export interface Pool2dOutputs {
  output: Tensor;
  /** Max pooling with `keepArgmax`: which tap of each window held the max (its backward pass reads it). */
  argmax?: Tensor;
}

export interface Pool2dBackwardOptions extends Pool2dOptions {
  /** The shape of the forward input, [batch, height, width, channels]. */
  inputShape: Shape;
  /** Max pooling: the argmax the forward pass kept. */
  argmax?: Tensor;
  derivativeOf?: DerivativeOf;
}

export interface DropoutOptions {
  /** Fraction of elements zeroed, in [0, 1). */
  rate: number;
  /** The layer's seed: with the step count, it fixes the mask. */
  seed: number;
  /** A [1] tensor holding the training step (see advanceStep). */
  step: Tensor;
  /** Backward only. */
  derivativeOf?: DerivativeOf;
}

export interface LossOptions {
  /**
   * The prediction is the pre-activation of a sigmoid (binary cross-entropy) or
   * softmax (categorical) output. The loss uses its stable form and the
   * gradient is taken with respect to the pre-activation.
   */
  fromLogits?: boolean;
  /** Default: 'sparse' for sparse labels, 'binary' for one output or binary cross-entropy, else 'categorical'. */
  accuracy?: AccuracyKind;
  /** Also add the batch's loss and accuracy sums into this [2] tensor, in the same pass. */
  accumulateInto?: Tensor;
  /** `target` is a whole resident data set's targets, and the batch's are these rows of it (read in place, no gathered copy). */
  targetRows?: BatchRows;
  /**
   * With accumulateInto: once every row is scored, also move the cursor on
   * (and the step count, and the scheduled rate). On the GPU it rides in the
   * loss's dispatch when the cursor, step and rate are views of one buffer;
   * otherwise it takes one dispatch more.
   */
  advance?: StepAdvance;
}

export interface LossOutputs {
  /** dLoss/dPrediction of the batch-mean loss, same shape as the prediction. */
  grad: Tensor;
  /** A [rows, 2] tensor: each sample's loss, and its accuracy in [0, 1]. columnSums gives both totals at once. */
  stats: Tensor;
}

export interface HeadLossOutputs {
  /** x·kernel + bias: the head's pre-activation (the loss's prediction). */
  prediction: Tensor;
  /** dLoss/dPrediction of the batch-mean loss. */
  grad: Tensor;
}

export interface MetricsOptions {
  /** The prediction is a sigmoid's or softmax's pre-activation (the loss took the activation in): apply it first. */
  fromLogits?: 'sigmoid' | 'softmax';
  /** The target is one integer class label per row (sparse categorical), compared as one-hot. */
  sparse?: boolean;
}

export interface ColumnSumsOptions {
  /** Multiplies the sums (for a mean, 1 / rows). Default 1. */
  scale?: number;
  /** Add the sums into this [cols] tensor instead of returning a new one. */
  accumulateInto?: Tensor;
  /** Write the sums into this [cols] tensor instead of a new one. */
  out?: Tensor;
}

/**
 * A learning rate: a number fixed when the op is recorded, or a tensor whose
 * first value the kernel reads at every step (so it can change without
 * recording again: model.optimizer.learningRate, schedules).
 */
export type LearningRate = number | Tensor;

export interface AdamOptions {
  learningRate: LearningRate;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** AdamW: decoupled weight decay, p −= lr·weightDecay·p before the Adam step. Default 0. */
  weightDecay?: number;
}

export interface RmspropOptions {
  learningRate: LearningRate;
  /** Decay of the mean square. */
  rho: number;
  epsilon: number;
}

/**
 * A learning rate that follows the step count (Keras's schedules): decayed
 * exponentially, or constant between step boundaries. The step is the number
 * of steps taken before the current one.
 */
export type LearningRateSchedule =
  | { readonly kind: 'exponentialDecay'; readonly initialLearningRate: number; readonly decaySteps: number; readonly decayRate: number; readonly staircase: boolean }
  | { readonly kind: 'piecewiseConstant'; readonly boundaries: readonly number[]; readonly values: readonly number[] };

export interface RegularizeOptions {
  l1: number;
  l2: number;
  /** Samples in the batch: the penalty is added once per sample to a sum of per-sample losses. */
  rows: number;
}

/** Most boundaries a piecewise-constant schedule may have (the kernel's uniform block holds them). */
export const MAX_SCHEDULE_BOUNDARIES = 8;

export interface CopyOptions {
  /** First element read from src. Default 0. */
  srcOffset?: number;
  /** First element written in dst. Default 0. */
  dstOffset?: number;
  /** Elements copied. Default: all of src from srcOffset. */
  count?: number;
}

/** Element offsets of views (see Backend.view) are multiples of this: 256 bytes, WebGPU's largest storage-binding alignment. */
export const VIEW_ALIGNMENT = 64;

/**
 * A recorded sequence of ops over fixed tensors, replayed without rebuilding
 * anything: on the GPU its dispatches, bind groups and buffers are created
 * once, at recording time. Tensors created while recording belong to the plan
 * and live until `dispose()`.
 */
export interface Plan {
  /** How many kernel dispatches and copies one replay issues. */
  readonly commands: number;
  /** Frees the plan's dispatches and the tensors made while recording it. */
  dispose(): void;
}

/**
 * Replays of plans encoded now and run later (Backend.prepare): the next
 * epoch's work is encoded while the device still runs this one, then queued
 * once this epoch's results are read and its callbacks have run, or dropped.
 */
export interface PreparedWork {
  /**
   * Queues the work after everything asked for so far; it goes out with the
   * next submission. Writes made between prepare and release land before it runs.
   */
  release(): void;
  /** Drops the work unrun. */
  discard(): void;
}

/** PreparedWork whose release runs `onRelease`; each may be called once, and only one of the two. */
export function preparedWork(onRelease: () => void): PreparedWork {
  let state: 'held' | 'released' | 'discarded' = 'held';
  const settle = (to: 'released' | 'discarded') => {
    if (state !== 'held') throw new Error(`prepared work was already ${state}`);
    state = to;
  };
  return {
    release: () => {
      settle('released');
      onRelease();
    },
    discard: () => settle('discarded'),
  };
}

/** How long each dispatch of some plans took (Backend.profile). */
export interface DispatchProfile {
  /**
   * 'gpu': each dispatch's pass timed by the GPU's timestamps, all in one
   * submission (timestamp queries; quantized to ~65 µs by browsers and by
   * Dawn's default toggles, so read sums, not single small dispatches).
   * 'wall': each dispatch submitted alone and timed from submission to
   * completion, which also counts the submission: an upper bound.
   */
  clock: 'gpu' | 'wall';
  /** Every dispatch in order: its kernel (`shader.entry point`) and milliseconds. Copies are not listed. */
  dispatches: { kernel: string; ms: number }[];
  /** Per kernel: dispatches, total milliseconds and share of the total, the longest first. */
  kernels: { kernel: string; count: number; ms: number; share: number }[];
  /** The dispatches' milliseconds, summed. */
  ms: number;
  /** Wall milliseconds of the whole profiled run, submissions and waits included. */
  wallMs: number;
  /** Dispatches whose timestamps were no duration (an adapter that wrote none), counted as 0 ms above. */
  unreadable: number;
}

/** Per-kernel totals of timed dispatches, the longest first (ties by name). */
export function kernelTotals(dispatches: readonly { kernel: string; ms: number }[]): DispatchProfile['kernels'] {
  const totals = new Map<string, { count: number; ms: number }>();
  for (const d of dispatches) {
    const t = totals.get(d.kernel) ?? { count: 0, ms: 0 };
    t.count++;
    t.ms += d.ms;
    totals.set(d.kernel, t);
  }
  const all = dispatches.reduce((sum, d) => sum + d.ms, 0);
  return [...totals]
    .map(([kernel, t]) => ({ kernel, count: t.count, ms: t.ms, share: all > 0 ? t.ms / all : 0 }))
    .sort((a, b) => b.ms - a.ms || a.kernel.localeCompare(b.kernel));
}

/**
 * The operations the model layer may ask for. The CPU backend is the
 * reference: each op a plain loop. The WebGPU backend runs the WGSL kernel of
 * the same name. Every op validates shapes before doing any work and throws
 * an Error naming the op and the shapes.
 */
export interface Backend {
  readonly name: BackendName;
  /** A human-readable name of the device the math runs on (e.g. "llvmpipe"). */
  readonly adapterName: string;
  /** How this backend was picked, when getBackend('auto') picked it. */
  readonly chosen?: string | undefined;
  /** The largest tensor the backend holds, in bytes (on WebGPU: what one kernel binding may see). */
  readonly maxTensorBytes: number;

  /**
   * A tensor in this backend's memory holding `values` (flat, row-major) in `shape`.
   *
   * @example
   * ```ts
   * const backend = await getBackend('cpu');
   * const x = backend.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
   * ```
   */
  tensor(values: Float32Array | readonly number[], shape: Shape): Tensor;
  /** A tensor of `shape` filled with zeros. */
  zeros(shape: Shape): Tensor;
  /** Copies new values into an existing tensor (same size). */
  write(t: Tensor, values: Float32Array): void;
  /**
   * A tensor of `shape` that shares `base`'s memory from element `offset`
   * (default 0): no copy; writes through either show in both. Offsets must be
   * multiples of VIEW_ALIGNMENT. Disposing a view frees nothing; it is valid
   * while its base is.
   */
  view(base: Tensor, shape: Shape, offset?: number): Tensor;
  /** The values of `t`, row-major, once every op asked for before has run (what `t.data()` calls). */
  read(t: Tensor): Promise<Float32Array>;
  /** Gives `t`'s memory back (what `t.dispose()` calls); the tensor cannot be used afterwards. */
  dispose(t: Tensor): void;

  /** C = op(A)·op(B) (+ bias, then activation). */
  matmul(a: Tensor, b: Tensor, options?: MatmulOptions): Tensor;
  /** The activation `name` applied to every element of `x`. */
  activation(x: Tensor, name: ActivationName): Tensor;
  /** dX from dY and the forward output Y. */
  activationBackward(dy: Tensor, y: Tensor, name: ActivationName): Tensor;
  /** Row-wise softmax of a [rows, cols] matrix. */
  softmax(x: Tensor): Tensor;
  /** dX of a row-wise softmax from dY and its output Y: y ⊙ (dy − Σ dy ⊙ y) per row. */
  softmaxBackward(dy: Tensor, y: Tensor): Tensor;
  /** Σ over rows of a [rows, cols] matrix: the bias gradient, and the loss reduction. */
  columnSums(x: Tensor, options?: ColumnSumsOptions): Tensor;
  /** The loss `name` of a batch: its gradient with respect to the prediction and each sample's loss and accuracy. */
  loss(name: LossName, prediction: Tensor, target: Tensor, options?: LossOptions): LossOutputs;
  /**
   * The output layer's product and the loss in one op: prediction = x·kernel
   * (+ bias), then loss(name, prediction, target, options) with
   * accumulateInto required. Gives the prediction and dLoss/dPrediction, not
   * per-row stats. On the GPU a small product (a classifier head at a
   * moderate batch) runs in the loss's own dispatch when kernel and bias lie
   * in one buffer; otherwise as matmul then loss.
   */
  headLoss(name: LossName, x: Tensor, kernel: Tensor, bias: Tensor | undefined, target: Tensor, options: LossOptions): HeadLossOutputs;
  /**
   * Adds a batch's metric sums into `totals`, a [5] tensor: Σ per-sample mean
   * squared error, Σ mean absolute error, true positives, predicted positives,
   * actual positives (probabilities and targets thresholded at 0.5).
   */
  metrics(prediction: Tensor, target: Tensor, totals: Tensor, options?: MetricsOptions): void;

  /** 2-D convolution of NHWC images x [batch, h, w, c] with a kernel [kh, kw, c, filters] (+ bias, then activation). */
  conv2d(x: Tensor, kernel: Tensor, options?: Conv2dOptions): Tensor;
  /** The gradient with respect to conv2d's input, from dy [batch, oh, ow, filters]. */
  conv2dBackwardData(dy: Tensor, kernel: Tensor, options: Conv2dBackwardDataOptions): Tensor;
  /** The gradients of conv2d's kernel (and bias), from its input x and dy. */
  conv2dBackwardFilter(x: Tensor, dy: Tensor, options: Conv2dBackwardFilterOptions): { kernel: Tensor; bias?: Tensor };
  /** Max or average pooling of NHWC images; `keepArgmax` also returns what max pooling's backward pass needs. */
  pool2d(x: Tensor, options: Pool2dOptions & { keepArgmax?: boolean }): Pool2dOutputs;
  /** The gradient with respect to pool2d's input, from dy (max pooling routes it through the kept argmax). */
  pool2dBackward(dy: Tensor, options: Pool2dBackwardOptions): Tensor;
  /** Inverted dropout, training only: keeps each element with probability 1 − rate, scaled by 1 / (1 − rate). */
  dropout(x: Tensor, options: DropoutOptions): Tensor;
  /** The gradient through dropout: dy masked and scaled as the forward pass did (the same mask, from the seed and step). */
  dropoutBackward(dy: Tensor, options: DropoutOptions): Tensor;

  /** In place: param −= lr · grad. */
  sgd(param: Tensor, grad: Tensor, learningRate: LearningRate): void;
  /** In place: velocity = μ·velocity − lr·grad; param += velocity. */
  momentum(param: Tensor, grad: Tensor, velocity: Tensor, learningRate: LearningRate, momentum: number): void;
  /** In place Adam (AdamW with weightDecay) update; `step` is a [1] tensor holding t (≥ 1), advanced by advanceStep. */
  adam(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, step: Tensor, options: AdamOptions): void;
  /** In place RMSprop: ms = ρ·ms + (1 − ρ)·g²; param −= lr · g / (√ms + ε). */
  rmsprop(param: Tensor, grad: Tensor, meanSquare: Tensor, options: RmspropOptions): void;
  /**
   * Weight regularization of one parameter: grad += l1·sign(p) + 2·l2·p (when
   * grad is given), and rows·(l1·Σ|p| + l2·Σp²) added to totals[0] (a loss sum).
   */
  regularize(param: Tensor, grad: Tensor | undefined, totals: Tensor, options: RegularizeOptions): void;
  /**
   * step += 1. With a schedule, also writes the scheduled learning rate for
   * the step about to be taken into rate[0] (rate holds [current, base]).
   * With `cursor`, also moves the batch cursor on by its rows: a training
   * step's bookkeeping in one dispatch.
   */
  advanceStep(step: Tensor, schedule?: { rate: Tensor; schedule: LearningRateSchedule }, cursor?: { cursor: Tensor; rows: number }): void;

  /** out[r, :] = src[indices[cursor + r], :] for r < rows: batch assembly from a resident data set. */
  gatherRows(src: Tensor, indices: Tensor, cursor: Tensor, rows: number): Tensor;
  /** gatherRows of a batch's samples and targets (the same rows of both) in one dispatch. */
  gatherBatch(x: Tensor, y: Tensor, indices: Tensor, cursor: Tensor, rows: number): [Tensor, Tensor];
  /** cursor += rows: moves on to the next batch. */
  advanceCursor(cursor: Tensor, rows: number): void;
  /** Copies elements between tensors (in order with the ops around it). */
  copy(src: Tensor, dst: Tensor, options?: CopyOptions): void;

  /** Records the ops `build` asks for, without running them. */
  record(build: () => void): Plan;
  /**
   * Backends that tune their kernels (WebGPU's GEMM autotuning) time the
   * products `build` would record, before it is recorded for real; nothing
   * is recorded or run for the model. Optional: others have nothing to tune.
   */
  tuneFor?(build: () => void): Promise<unknown>;
  /**
   * Backends that can time their dispatches (WebGPU) run these plans once,
   * in order, after everything asked for so far, each dispatch in a compute
   * pass of its own, and say how long each took. The plans' work is done for
   * real. Optional: the CPU twin has no dispatches to time.
   */
  profile?(plans: readonly Plan[]): Promise<DispatchProfile>;
  /** Runs a recorded plan once more, in order after everything asked for so far. */
  replay(plan: Plan): void;
  /**
   * Encodes replays of these plans, in order, without queuing them: nothing
   * runs and nothing already asked for waits on them until release().
   */
  prepare(plans: readonly Plan[]): PreparedWork;

  /** Frees memory kept for reuse (pooled GPU buffers nobody holds). */
  trim(): void;
  /** Waits until all work asked for so far has finished. */
  flush(): Promise<void>;
  /** Releases the backend (on WebGPU the device and every buffer); its tensors cannot be used afterwards. */
  destroy(): void;
}
