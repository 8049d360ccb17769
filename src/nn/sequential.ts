// A Sequential model: a stack of layers trained by gradient descent. It knows
// layers only through the contract of layer.ts, and their parameters only as
// views into its parameter store (params.ts).
//
// Training never round-trips through the CPU inside an epoch. fit() uploads
// the data set once, records one training step per batch size as a plan
// (the batch read through the epoch's permutation → forward → loss →
// backward → one optimizer update over every parameter, over fixed buffers;
// a dense first layer and the loss read the batch's rows in place, else one
// dispatch gathers them; a dense output layer's product runs with the loss,
// which also advances the step state), and each epoch writes a shuffled
// permutation, replays the plan for every batch, and submits once. Loss and
// accuracy sums accumulate on the device and are read back once per epoch;
// the next epoch is encoded while that readback is under way, and queued
// after the epoch's callbacks.
import type { AccuracyKind, Backend, BatchRows, DerivativeOf, DispatchProfile, LearningRateSchedule, LossName, LossOptions, Plan, PreparedWork, StepAdvance } from '../backend/backend.js';
import { DeviceLostError, VIEW_ALIGNMENT } from '../backend/backend.js';
import { CpuBackend } from '../backend/cpu/index.js';
import { defaultAccuracy, formatBytes, TensorLimitError } from '../backend/shapes.js';
import { Random } from '../random.js';
import { formatShape, sizeOf, untracked, type Shape, type Tensor } from '../tensor.js';
import { checkFinite, sliceRows, toMatrix, type DataInput, type Matrix } from './data.js';
import { History, type EpochLogs } from './history.js';
import { CallbackList, type CallbackObject, type FitCallbacks } from './callbacks.js';
import { checkMetric, lossNamed, type LossSpelling, type MetricKind, type MetricName } from './names.js';
import type { LayerActivation } from './activations.js';
import type { BuiltLayer, Layer } from './layer.js';
import { ParamStore, type FlatTensors } from './params.js';
import { modelSaver, type SaveHandler, type SaveResult } from './saving.js';
import { applyUpdate, createState, initialRate, resolveOptimizer, type Optimizer, type OptimizerName, type OptimizerState } from './optimizers.js';

export interface SequentialOptions {
  /**
   * Where the math runs, e.g. `await getBackend()` (a GPU when there is one).
   * Default: the CPU reference backend, which summary() points out.
   */
  backend?: Backend;
  /** Seeds the initial weights, the shuffles and dropout: the same seed trains the same model on every backend. */
  seed?: number;
}

export interface CompileOptions {
  optimizer: OptimizerName | Optimizer;
  /** Ours ('binaryCrossentropy') or Keras's spelling ('binary_crossentropy', 'mse'). */
  loss: LossSpelling;
  metrics?: readonly MetricName[];
}

export interface FitOptions {
  /** Passes over the training data. Default 1. */
  epochs?: number;
  /**
   * Samples per gradient step. Default 32. The number of samples gives batch
   * gradient descent, 1 gives stochastic gradient descent, anything between
   * mini-batch; a last partial batch is trained, not dropped.
   */
  batchSize?: number;
  /** Reshuffle the training samples every epoch. Default true. */
  shuffle?: boolean;
  /** Hold out this fraction of the samples (the last ones, before shuffling) to validate on. */
  validationSplit?: number;
  validationData?: readonly [DataInput, DataInput];
  /** One object of callback functions, or (as TensorFlow.js takes them) an array of callback objects such as earlyStopping(). */
  callbacks?: FitCallbacks | readonly CallbackObject[];
}

export interface ProfileOptions {
  /** Samples per step, as fit's batchSize. Default 32. */
  batchSize?: number;
  /** Training steps timed, each on the next batch of x and y in order. Default 10, or as many whole batches as x holds. */
  steps?: number;
}

/** Where the time of training steps goes, dispatch by dispatch (Sequential.profileSteps). */
export interface StepProfile extends DispatchProfile {
  steps: number;
  batchSize: number;
  dispatchesPerStep: number;
  /** The dispatches' milliseconds per step. */
  msPerStep: number;
}

export interface EvaluateResult {
  loss: number;
  accuracy: number;
  /** Every other metric compile was given (mse, mae, precision, recall), under the name it was given. */
  [metric: string]: number;
}

/** The slots of backend.metrics's running sums. */
const METRIC_SUMS = 5;

/** Each metric from its running sums over `rows` samples (precision and recall are 0 with nothing to count, as Keras's). */
function metricsFrom(sums: ArrayLike<number>, rows: number, metrics: Compiled['extraMetrics'], prefix = ''): Record<string, number> {
  const [se, ae, tp, predicted, actual] = Array.from({ length: METRIC_SUMS }, (_, i) => sums[i]!);
  const value = { mse: se! / rows, mae: ae! / rows, precision: predicted! > 0 ? tp! / predicted! : 0, recall: actual! > 0 ? tp! / actual! : 0 };
  return Object.fromEntries(metrics.map((m) => [prefix + m.name, value[m.kind]]));
}

/** A layer of a built model, as summaries and model files describe it. */
export interface LayerInfo {
  name: string;
  /** The Keras / TensorFlow.js class: 'Dense', 'Conv2D', … */
  className: string;
  /** One sample's output shape. */
  outputShape: Shape;
  /** 'linear' for layers without an activation. */
  activation: LayerActivation;
  /** Parameters the layer holds. */
  params: number;
  /** One line, e.g. "conv 32 3×3 relu". */
  description: string;
  /** The configuration as Keras writes it (snake_case), without name and input shape. */
  config: Record<string, unknown>;
}

interface Compiled {
  /** As compile resolved it; its learningRate follows model.optimizer.learningRate. */
  optimizer: Optimizer;
  loss: LossName;
  reportAccuracy: boolean;
  /** The name compile was given for it ('accuracy' or 'acc'): History reports it under that name. */
  accuracyName: 'accuracy' | 'acc';
  /** Metrics beyond accuracy, with the names compile was given: summed on the device by backend.metrics. */
  extraMetrics: { name: string; kind: Exclude<MetricKind, 'accuracy'> }[];
  accuracy: AccuracyKind;
  /** The loss takes the head layer's pre-activation (sigmoid/softmax fused into the loss). */
  fromLogits: boolean;
  /** Gradients, in the parameter store's layout. */
  grads: FlatTensors;
  /** Optimizer state over the whole store: flat tensors, one set per page. */
  state: OptimizerState[];
  /**
   * The step state, one small buffer on the device: the training data's
   * cursor, the step count and the rate, each a view of it, so a step's
   * bookkeeping is one binding (it rides in the loss's dispatch).
   */
  stepState: Tensor;
  /** The training data's batch cursor (a view of stepState; fit's epochs reset it). */
  cursor: Tensor;
  /** The training step t, on the device: Adam's bias correction, dropout's masks and schedules read it. */
  step: Tensor;
  /**
   * [current, base] learning rate, on the device: the update kernels read it
   * at every step, so it changes (model.optimizer.learningRate, a schedule,
   * an epoch function) without recording anything again.
   */
  rate: Tensor;
  /** A schedule that advanceStep applies on the device, if the rate follows one. */
  schedule: LearningRateSchedule | undefined;
  /** Whether anything reads the step, so that each training step advances it. */
  advancesStep: boolean;
}

/** A data set resident on the backend, with the permutation and cursor that batches read. */
interface DeviceData {
  x: Tensor;
  y: Tensor;
  order: Tensor;
  cursor: Tensor;
  rows: number;
  /** [5] running metric sums (backend.metrics), when compile asked for metrics beyond accuracy. */
  metrics?: Tensor;
}

/** What a forward pass leaves for the backward pass. */
interface Activations {
  /** acts[0] is the input (with `rows`, the whole data set); acts[i + 1] the output of layer i. */
  acts: Tensor[];
  saved: Tensor[][];
  /** The batch's rows of acts[0], read in place by the first layer. */
  rows?: BatchRows;
}

const DEFAULT_BATCH = 32;
/** Most rows predict and evaluate run at once. */
const INFERENCE_CHUNK = 1024;
/** Largest activation tensor predict and evaluate make (values): chunks shrink for wide layers. */
const INFERENCE_VALUES = 8 * 1024 * 1024;

const isPositiveInteger = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0;

/** A stack of layers, each feeding the next: Keras's and TensorFlow.js's Sequential model. Made by {@link sequential}; trained with {@link Sequential.compile | compile} and {@link Sequential.fit | fit}. */
export class Sequential {
  readonly backend: Backend;
  readonly layers: readonly Layer[];
  /** One sample's shape in and out. */
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  /** The seed the model was built with. */
  readonly seed: number;
  /** No backend was given: the CPU reference was used without being asked for. */
  private readonly backendDefaulted: boolean;
  /**
   * Set from a callback to end fit after the current epoch. Set from outside
   * fit's callbacks (a timer, a signal handler) while fit runs with no epoch
   * callbacks, an epoch already submitted behind the current one is finished
   * and recorded too.
   */
  stopTraining = false;
  private readonly built: BuiltLayer[] = [];
  private readonly store: ParamStore;
  /** The last layer that is not a reshape: its activation is the model's output activation. */
  private readonly head: number;
  /** The lowest layer with parameters: no gradient flows below it. */
  private readonly lowestTrainable: number;
  private compiled: Compiled | undefined;
  private userMetadata: Record<string, unknown> | undefined;
  /** Epochs trained since compile (what a learning-rate function of the epoch is given). */
  private epochsTrained = 0;
  private readonly shuffleRng: Random;
  private disposed = false;
  /**
   * While fit runs, its recorded plans write into this model's buffers: what
   * would free or replace them (compile, setWeights, dispose, another fit)
   * is refused until it resolves. predict, evaluate and getWeights only read,
   * and run in order between its epochs.
   */
  private fitting = false;

  constructor(layers: readonly Layer[], options: SequentialOptions = {}) {
    if (!Array.isArray(layers) || layers.length === 0) throw new Error('sequential: a model needs at least one layer');
    layers.forEach((l, i) => {
      if (!l || typeof l.build !== 'function') throw new Error(`sequential: layer ${i + 1} is not a layer (make layers with dense(), conv2d(), …)`);
    });
    const first = layers[0]!;
    if (!first.inputShape) {
      const hint = first.className === 'Dense' ? `dense({ units: ${(first as unknown as { units: number }).units}, inputShape: [10] })` : `${first.defaultNamePrefix}({ …, inputShape: [28, 28, 1] })`;
      throw new Error(`sequential: the first layer needs inputShape, e.g. ${hint}`);
    }
    this.backend = options.backend ?? new CpuBackend();
    this.backendDefaulted = options.backend === undefined;
    this.layers = layers;
    this.seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    this.shuffleRng = new Random(this.seed ^ 0x5bd1e995);

    const counts = new Map<string, number>();
    let shape: Shape = first.inputShape;
    this.inputShape = shape;
    layers.forEach((layer, i) => {
      const n = (counts.get(layer.defaultNamePrefix) ?? 0) + 1;
      counts.set(layer.defaultNamePrefix, n);
      const name = layer.name ?? `${layer.defaultNamePrefix}_${n}`;
      if (i > 0 && layer.inputShape && formatShape(layer.inputShape) !== formatShape(shape)) {
        const out = shape.length === 1 ? `${shape[0]} values` : formatShape(shape);
        throw new Error(`sequential: layer '${name}' has inputShape ${formatShape(layer.inputShape)}, but the layer before it outputs ${out}`);
      }
      const built = layer.build(shape, name, { seed: this.seed, index: i });
      this.built.push(built);
      shape = built.outputShape;
    });
    this.outputShape = shape;
    const names = this.built.map((l) => l.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new Error(`sequential: two layers are named '${dup}'`);
    let head = this.built.length - 1;
    while (head >= 0 && this.built[head]!.reshapeOnly) head--;
    this.head = head;
    this.built.forEach((l, i) => {
      if (l.activation === 'softmax' && i !== this.head) {
        throw new Error(`sequential: layer '${l.name}': softmax is only supported on the last layer`);
      }
    });
    const trainable = this.built.findIndex((l) => l.params.length > 0);
    this.lowestTrainable = trainable < 0 ? this.built.length : trainable;
    this.store = new ParamStore(this.backend, this.built, new Random(this.seed));
  }

  /** Values per sample in and out. */
  get inputSize(): number {
    return sizeOf(this.inputShape);
  }
  /** Values per sample out (the product of outputShape). */
  get outputSize(): number {
    return sizeOf(this.outputShape);
  }

  /** The output activation: the head layer's (reshapes after it change nothing). */
  private get outputActivation(): LayerActivation {
    return this.head < 0 ? 'linear' : this.built[this.head]!.activation;
  }

  private checkAlive(op: string): void {
    if (this.disposed) throw new Error(`${op}: this model was disposed`);
  }

  /** For ops that change what a running fit's plans write into. */
  private checkNotFitting(op: string): void {
    this.checkAlive(op);
    if (this.fitting) {
      throw new Error(
        `${op}: fit is running on this model; call ${op} after it resolves ` +
          '(to end it early, set model.stopTraining = true in a callback and await fit)',
      );
    }
  }

  /** Whether fit is running on this model. */
  get isTraining(): boolean {
    return this.fitting;
  }

  /**
   * The compiled optimizer. Its learningRate may be set at any time, during
   * fit too (from a callback): the next step uses it. Setting a number
   * replaces a schedule or an epoch function.
   */
  get optimizer(): TrainingOptimizer {
    this.requireCompiled('optimizer');
    return new TrainingOptimizer(
      () => this.requireCompiled('optimizer').optimizer,
      (rate) => {
        const c = this.requireCompiled('optimizer.learningRate');
        c.optimizer = { ...c.optimizer, learningRate: rate };
        c.schedule = undefined;
        this.setRate(c, rate);
      },
    );
  }

  /** Writes [rate, rate] to the device: the next recorded update reads it. */
  private setRate(c: Compiled, rate: number): void {
    this.backend.write(c.rate, new Float32Array([rate, rate]));
  }

  // ---- compile ---------------------------------------------------------------------------

  /**
   * Sets the optimizer, the loss and the metrics to train with (Keras's names and spellings are taken). Compiling again resets the optimizer's state; the weights stay.
   *
   * @example
   * ```ts
   * model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
   * model.compile({ optimizer: adam({ learningRate: 0.002 }), loss: 'categoricalCrossentropy' });
   * ```
   */
  compile(options: CompileOptions): void {
    this.checkNotFitting('compile');
    if (!options || typeof options !== 'object') throw new Error('compile: expected { optimizer, loss, metrics? }');
    const optimizer = resolveOptimizer(options.optimizer);
    const loss = lossNamed(options.loss);
    if (options.metrics !== undefined && !Array.isArray(options.metrics)) throw new Error(`compile: metrics must be an array of names, e.g. ['accuracy'], got ${typeof options.metrics}`);
    const metrics = (options.metrics ?? []).map(checkMetric);
    const accuracyMetric = metrics.find((m) => m.kind === 'accuracy');
    const extra = metrics.filter((m) => m.kind !== 'accuracy') as { name: string; kind: Exclude<MetricKind, 'accuracy'> }[];
    const twice = metrics.find((m, i) => metrics.findIndex((o) => o.kind === m.kind) !== i);
    if (twice) throw new Error(`compile: the metric '${twice.name}' is given twice`);
    if (this.outputShape.length !== 1) {
      const last = this.built[this.built.length - 1]!;
      throw new Error(`compile: the last layer '${last.name}' outputs ${formatShape(this.outputShape)} per sample; a loss needs one vector per sample: add flatten() and a dense layer`);
    }
    const act = this.outputActivation;
    const fromLogits =
      (loss === 'binaryCrossentropy' && act === 'sigmoid') ||
      ((loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy') && act === 'softmax');
    this.releaseCompiled();
    this.epochsTrained = 0;
    // Everything or nothing: what was made before a failure is given back.
    const made: { dispose(): void }[] = [];
    const keep = <T extends { dispose(): void }>(t: T): T => (made.push(t), t);
    try {
      const state = untracked(() => this.store.values.pages.map((page) => createState(this.backend, optimizer, page)));
      for (const st of state) for (const t of [st.slot1, st.slot2]) if (t) keep(t);
      // [cursor | step | current rate, base rate], each at an aligned offset so each is a view.
      const stepValues = new Float32Array(3 * VIEW_ALIGNMENT);
      stepValues.fill(initialRate(optimizer), 2 * VIEW_ALIGNMENT, 2 * VIEW_ALIGNMENT + 2);
      const stepState = keep(untracked(() => this.backend.tensor(stepValues, [stepValues.length])));
      const view = (offset: number, size: number) => untracked(() => this.backend.view(stepState, [size], offset));
      this.compiled = {
        optimizer,
        loss,
        reportAccuracy: accuracyMetric !== undefined,
      accuracyName: accuracyMetric?.name === 'acc' ? 'acc' : 'accuracy',
      extraMetrics: extra,
        accuracy: defaultAccuracy(loss, this.outputSize),
        fromLogits,
        grads: keep(this.store.zeros()),
        state,
        stepState,
        cursor: view(0, 1),
        step: view(VIEW_ALIGNMENT, 1),
        rate: view(2 * VIEW_ALIGNMENT, 2),
        schedule: scheduleOf(optimizer),
        advancesStep: optimizer.kind === 'adam' || optimizer.kind === 'adamw' || scheduleOf(optimizer) !== undefined || this.built.some((l) => l.usesStep),
      };
    } catch (e) {
      for (const t of made) t.dispose();
      throw e;
    }
  }

  private requireCompiled(op: string): Compiled {
    this.checkAlive(op);
    if (!this.compiled) throw new Error(`${op}: call compile({ optimizer, loss }) before ${op}`);
    return this.compiled;
  }

  // ---- the ops of one step ---------------------------------------------------------------

  /** Every layer's output for x [batch, ...inputShape]; with `logits`, the head layer leaves out its activation. */
  private forward(x: Tensor, training: boolean, logits: boolean, step: Tensor | undefined, rows?: BatchRows, layers = this.built.length): Activations {
    const acts = [x];
    const saved: Tensor[][] = [];
    this.built.slice(0, layers).forEach((layer, i) => {
      const batch = i === 0 && rows ? { rows } : {};
      const r = layer.forward({ backend: this.backend, x: acts[i]!, ...batch, params: this.store.of(i), training, logits: logits && i === this.head, step });
      acts.push(r.y);
      saved.push(r.saved ?? []);
    });
    return { acts, saved, ...(rows ? { rows } : {}) };
  }

  /**
   * Backpropagation: every parameter's gradient into the gradient store, from
   * dLoss/dOutput. Each layer returns the dZ of the layer below, its
   * activation's derivative folded into the layer's own last kernel.
   */
  private backward({ acts, saved, rows }: Activations, gradOut: Tensor, c: Compiled): void {
    const n = this.built.length;
    // dZ of the head layer: the loss already took it through a fused sigmoid/softmax.
    let g = c.fromLogits ? gradOut : this.throughActivation(gradOut, acts[n]!, this.outputActivation);
    for (let i = n - 1; i >= 0; i--) {
      const layer = this.built[i]!;
      const needInputGradient = i > this.lowestTrainable;
      const derivativeOf = needInputGradient && !layer.reshapeOnly ? this.derivativeBelow(i, acts) : undefined;
      const dx = layer.backward({
        backend: this.backend,
        x: acts[i]!,
        ...(i === 0 && rows ? { rows } : {}),
        y: acts[i + 1]!,
        dy: g,
        params: this.store.of(i),
        grads: this.store.of(i, c.grads),
        saved: saved[i]!,
        step: c.step,
        needInputGradient,
        derivativeOf,
      });
      if (!dx) break;
      g = dx;
    }
  }

  /**
   * The activation whose derivative layer i folds into its input gradient:
   * that of the nearest layer below that is not a reshape (its output, seen
   * through reshapes, is layer i's input).
   */
  private derivativeBelow(i: number, acts: Tensor[]): DerivativeOf | undefined {
    for (let j = i - 1; j >= 0; j--) {
      const below = this.built[j]!;
      if (below.reshapeOnly) continue;
      const a = below.activation;
      return a === 'linear' || a === 'softmax' ? undefined : { activation: a, output: acts[i]! };
    }
    return undefined;
  }

  /** dZ = dY through an output activation, from its output Y. */
  private throughActivation(dy: Tensor, y: Tensor, act: LayerActivation): Tensor {
    if (act === 'softmax') return this.backend.softmaxBackward(dy, y);
    if (act === 'linear') return dy;
    return this.backend.activationBackward(dy, y, act);
  }

  /**
   * The next `rows` samples at the data set's cursor, run forward, scored,
   * with the loss and accuracy sums added to `stats`. A first layer that
   * reads its batch in place (dense) takes the samples as rows of the data
   * set, and the loss reads the targets so too: no gather dispatch. Else the
   * samples and targets are gathered together, in one dispatch. The loss
   * then moves the cursor on (and with `step`, the step count and rate): the
   * step's bookkeeping in its dispatch; the backward pass reads the batch
   * behind the cursor.
   */
  private scoreBatch(c: Compiled, data: DeviceData, rows: number, stats: Tensor, training: boolean, step?: Pick<StepAdvance, 'step' | 'schedule'>): Activations & { grad: Tensor } {
    const b = this.backend;
    const batch: BatchRows = { indices: data.order, cursor: data.cursor, rows };
    const advance: StepAdvance = { cursor: data.cursor, rows, ...step };
    let a: Activations & { grad: Tensor };
    if (this.built[0]!.readsBatchRows) {
      // The metrics kernel reads a gathered copy of the targets; the loss, the rows in place.
      const y = data.metrics ? b.gatherRows(data.y, data.order, data.cursor, rows) : data.y;
      a = this.score(c, { x: data.x, rows: batch }, { y, ...(data.metrics ? {} : { rows: batch }) }, stats, training, data.metrics, advance);
      a.rows = { ...batch, behind: rows };
    } else {
      const [xb, yb] = b.gatherBatch(data.x, data.y, data.order, data.cursor, rows);
      a = this.score(c, { x: b.view(xb, [rows, ...this.inputShape]) }, { y: yb }, stats, training, data.metrics, advance);
    }
    return a;
  }

  /**
   * Forward pass, loss and metric of one batch; the sums go into `stats`.
   * Outside training, the regularizers' penalty is added here too (in
   * training the step adds it with its gradient, after the backward pass).
   * With `rows`, x (or y) is the whole data set and the batch those rows of it.
   */
  private score(
    c: Compiled,
    input: { x: Tensor; rows?: BatchRows },
    target: { y: Tensor; rows?: BatchRows },
    stats: Tensor,
    training: boolean,
    metricSums?: Tensor,
    advance?: StepAdvance,
  ): Activations & { grad: Tensor; lossStats?: Tensor } {
    const y = target.y;
    const options: LossOptions = {
      fromLogits: c.fromLogits,
      accuracy: c.accuracy,
      accumulateInto: stats,
      ...(target.rows ? { targetRows: target.rows } : {}),
      ...(advance ? { advance } : {}),
    };
    // The output layer and the loss in one op where the layer can (dense) and the loss takes its
    // pre-activation; not for a first layer reading its batch in place (its product takes the rows).
    const n = this.built.length;
    const head = this.built[n - 1]!;
    const scoredHead = this.head === n - 1 && head.forwardScored && (c.fromLogits || head.activation === 'linear') && !(n === 1 && input.rows);
    const step = training ? c.step : undefined;
    let a: Activations;
    let out: { grad: Tensor; stats?: Tensor };
    if (scoredHead) {
      a = this.forward(input.x, training, c.fromLogits, step, input.rows, n - 1);
      const scored = head.forwardScored!({ backend: this.backend, x: a.acts[n - 1]!, params: this.store.of(n - 1), training, logits: true, step }, { loss: c.loss, target: y, options });
      a.acts.push(scored.y);
      a.saved.push([]);
      out = { grad: scored.grad };
    } else {
      a = this.forward(input.x, training, c.fromLogits, step, input.rows);
      out = this.backend.loss(c.loss, a.acts[n]!, y, options);
    }
    const prediction = a.acts[n]!;
    if (metricSums) {
      const fromLogits = c.fromLogits ? (c.loss === 'binaryCrossentropy' ? 'sigmoid' : 'softmax') : undefined;
      this.backend.metrics(prediction, y, metricSums, { ...(fromLogits ? { fromLogits } : {}), sparse: c.loss === 'sparseCategoricalCrossentropy' });
    }
    if (!training) this.regularize(c, stats, prediction.shape[0]!, false);
    return { ...a, grad: out.grad, ...(out.stats ? { lossStats: out.stats } : {}) };
  }

  /** Every regularized parameter's penalty into the loss sum (× the batch's rows), and with `gradient` its gradient into the gradient store. */
  private regularize(c: Compiled, stats: Tensor, rows: number, gradient: boolean): void {
    this.store.entries.forEach((e, i) => {
      const r = e.spec.regularizer;
      if (!r) return;
      this.backend.regularize(this.store.values.views[i]!, gradient ? c.grads.views[i] : undefined, stats, { l1: r.l1, l2: r.l2, rows });
    });
  }

  /** One training step on `rows` samples taken from the data set at its cursor. */
  private recordTrainStep(c: Compiled, data: DeviceData, rows: number, stats: Tensor): Plan {
    const b = this.backend;
    // The step's bookkeeping: the cursor, and the step count (with the scheduled rate) where anything reads it,
    // in the loss's dispatch. Dropout draws its masks from the count on both sides of the loss: with it, the
    // count moves on in a dispatch of its own after the backward pass.
    const schedule = c.schedule && { rate: c.rate, schedule: c.schedule };
    const stepInLoss = c.advancesStep && !this.built.some((l) => l.usesStep);
    return b.record(() => {
      const a = this.scoreBatch(c, data, rows, stats, true, stepInLoss ? { step: c.step, ...(schedule ? { schedule } : {}) } : {});
      this.backward(a, a.grad, c);
      this.regularize(c, stats, rows, true);
      if (c.advancesStep && !stepInLoss) b.advanceStep(c.step, schedule);
      // One update over the whole parameter store (per page, for models larger than one tensor).
      this.store.values.pages.forEach((page, i) => applyUpdate(b, c.optimizer, page, c.grads.pages[i]!, c.state[i]!, c.step, c.rate));
    });
  }

  /** Loss and accuracy sums over `rows` samples at the cursor (no update). */
  private recordEvaluateStep(c: Compiled, data: DeviceData, rows: number, stats: Tensor): Plan {
    return this.backend.record(() => void this.scoreBatch(c, data, rows, stats, false));
  }

  /** Dispatches and copies one training step of `batchSize` samples records (for profiling and tests). */
  dispatchesPerStep(batchSize = DEFAULT_BATCH): number {
    const c = this.requireCompiled('dispatchesPerStep');
    const b = this.backend;
    const data: DeviceData = {
      x: b.zeros([batchSize, this.inputSize]),
      y: b.zeros([batchSize, c.loss === 'sparseCategoricalCrossentropy' ? 1 : this.outputSize]),
      order: b.zeros([batchSize]),
      cursor: c.cursor,
      rows: batchSize,
      ...(c.extraMetrics.length > 0 ? { metrics: b.zeros([METRIC_SUMS]) } : {}),
    };
    const stats = b.zeros([2]);
    const plan = this.recordTrainStep(c, data, batchSize, stats);
    const count = plan.commands;
    plan.dispose();
    for (const t of [...Sequential.tensorsOf(data).filter((t) => t !== c.cursor), stats]) t.dispose();
    return count;
  }

  /**
   * Times `steps` training steps on x and y, each dispatch on its own
   * (Backend.profile: by the GPU's timestamps where the device has them,
   * else by the wall clock around each dispatch), with the kernels fit would
   * pick, tuning included. The steps train for real, on batches taken in
   * order, after one untimed step (drivers may compile a pipeline at its
   * first dispatch); afterwards the weights, the optimizer's state and the
   * step count are put back as they were, so profiling leaves the model
   * unchanged. For tools and benchmarks: it does not say how fast fit is,
   * only where a step's time goes.
   *
   * @throws Error, one line, on a backend that cannot time dispatches (cpu), or when x has fewer than steps × batchSize samples.
   * @example
   * ```ts
   * const profile = await model.profileSteps(x, y, { batchSize: 128, steps: 20 });
   * for (const k of profile.kernels) console.log(`${k.kernel}: ${(k.ms / profile.steps).toFixed(3)} ms a step`);
   * ```
   */
  async profileSteps(x: DataInput, y: DataInput, options: ProfileOptions = {}): Promise<StepProfile> {
    const op = 'profileSteps';
    this.checkNotFitting(op);
    const c = this.requireCompiled(op);
    const b = this.backend;
    if (!b.profile) throw new Error(`${op}: the ${b.name} backend has no dispatches to time; profile on the webgpu backend`);
    const batchSize = options.batchSize ?? DEFAULT_BATCH;
    if (!isPositiveInteger(batchSize)) throw new Error(`${op}: batchSize must be a positive integer, got ${batchSize}`);
    if (options.steps !== undefined && !isPositiveInteger(options.steps)) throw new Error(`${op}: steps must be a positive integer, got ${options.steps}`);
    const trainX = await toMatrix(x, `${op}: x`);
    const trainY = await toMatrix(y, `${op}: y`);
    this.checkData(trainX, trainY, op, c);
    const batch = Math.min(batchSize, trainX.rows);
    const whole = Math.floor(trainX.rows / batch);
    const steps = options.steps ?? Math.min(10, whole);
    if (steps > whole) throw new Error(`${op}: ${steps} steps of ${batch} samples need ${steps * batch} samples, but x has ${trainX.rows}`);
    this.checkSizes(batch, [['the training data', trainX], ['the training targets', trainY]], op);

    const owned: { dispose(): void }[] = [];
    const keep = <T extends { dispose(): void }>(t: T): T => (owned.push(t), t);
    this.fitting = true;
    try {
      const data = this.upload(trainX, trainY, c.extraMetrics.length > 0, c.cursor);
      owned.push(...Sequential.tensorsOf(data).filter((t) => t !== c.cursor));
      const stats = keep(b.zeros([2]));
      await b.tuneFor?.(() => this.recordTrainStep(c, data, batch, stats).dispose());
      const plan = keep(this.recordTrainStep(c, data, batch, stats));
      // What a step changes, copied aside: the weights, the optimizer's slots, and the whole step state (cursor, step, rate).
      const live = [...this.trainedState(c), c.stepState];
      const copies = live.map((t) => keep(b.zeros(t.shape)));
      live.forEach((t, i) => b.copy(t, copies[i]!));
      // One step untimed first: drivers may compile a pipeline at its first dispatch.
      b.write(c.cursor, new Float32Array(1));
      b.replay(plan);
      b.write(c.cursor, new Float32Array(1));
      const profile = await b.profile(Array.from({ length: steps }, () => plan));
      live.forEach((t, i) => b.copy(copies[i]!, t));
      await b.flush();
      return { ...profile, steps, batchSize: batch, dispatchesPerStep: profile.dispatches.length / steps, msPerStep: profile.ms / steps };
    } finally {
      this.fitting = false;
      for (const t of owned) t.dispose();
    }
  }

  // ---- data checks -----------------------------------------------------------------------

  /**
   * The checks fit and evaluate run on x and y (sample counts, features,
   * finite values, labels that suit the loss), for callers that want them
   * before doing anything else. Throws an Error naming the problem.
   */
  checkTrainingData(x: Matrix, y: Matrix, op = 'fit'): void {
    this.checkData(x, y, op, this.requireCompiled(op));
  }

  /** Every check fit and evaluate need, before anything is uploaded. */
  private checkData(x: Matrix, y: Matrix, op: string, c: Compiled): void {
    if (x.rows !== y.rows) throw new Error(`${op}: x has ${x.rows} samples but y has ${y.rows}`);
    if (x.rows === 0) throw new Error(`${op}: the data set is empty`);
    this.checkFeatures(x, op);
    checkFinite(x, `${op}: x`);
    checkFinite(y, `${op}: y`);
    const units = this.outputSize;
    const last = `the last layer '${this.built[this.built.length - 1]!.name}'`;
    if (c.loss === 'sparseCategoricalCrossentropy') {
      if (y.cols !== 1) throw new Error(`${op}: sparseCategoricalCrossentropy takes one integer label per sample, but y has ${y.cols} columns`);
      y.values.forEach((v, i) => {
        if (!Number.isInteger(v) || v < 0 || v >= units) {
          throw new Error(`${op}: label ${v} of sample ${i} is not an integer class in [0, ${units}) (${last} has ${units} units)`);
        }
      });
      return;
    }
    if (y.cols !== units) throw new Error(`${op}: y has ${y.cols} columns but ${last} has ${units} units`);
    if (c.loss === 'binaryCrossentropy' || c.loss === 'categoricalCrossentropy') {
      // Cross-entropy compares probabilities: one-hot rows (or soft labels), never class numbers.
      const hint = c.loss === 'categoricalCrossentropy' ? ' (one-hot rows; for integer class labels use sparseCategoricalCrossentropy)' : '';
      y.values.forEach((v, i) => {
        if (v < 0 || v > 1) {
          throw new Error(`${op}: ${c.loss} needs targets in [0, 1]${hint}, but sample ${Math.floor(i / y.cols)} has ${v}`);
        }
      });
    }
  }

  /** x's samples must hold the first layer's input: its exact shape, or that many values in a row. */
  private checkFeatures(x: Matrix, op: string): void {
    const first = `the first layer '${this.built[0]!.name}'`;
    if (this.inputShape.length === 1) {
      if (x.cols !== this.inputSize) {
        throw new Error(`${op}: x has ${x.cols} features per sample, but ${first} expects ${this.inputSize} (inputShape [${this.inputSize}])`);
      }
      return;
    }
    const want = `${formatShape(this.inputShape)} (${this.inputSize} values)`;
    const sample = x.sampleShape;
    if (sample && sample.length > 1 && formatShape(sample) !== formatShape(this.inputShape)) {
      throw new Error(`${op}: x has samples of shape ${formatShape(sample)}, but ${first} expects ${want}`);
    }
    if (x.cols !== this.inputSize) throw new Error(`${op}: x has ${x.cols} values per sample, but ${first} expects ${want}`);
  }

  /** The data resident on the backend; `cursor`: the model's training cursor (part of its step state), else a new one. */
  private upload(x: Matrix, y: Matrix, metrics: boolean, cursor?: Tensor): DeviceData {
    const b = this.backend;
    return {
      x: b.tensor(x.values, [x.rows, x.cols]),
      y: b.tensor(y.values, [y.rows, y.cols]),
      order: b.tensor(identity(x.rows), [x.rows]),
      cursor: cursor ?? b.zeros([1]),
      rows: x.rows,
      ...(metrics ? { metrics: b.zeros([METRIC_SUMS]) } : {}),
    };
  }

  private static tensorsOf(data: DeviceData): Tensor[] {
    return [data.x, data.y, data.order, data.cursor, ...(data.metrics ? [data.metrics] : [])];
  }

  // ---- fit -------------------------------------------------------------------------------

  /**
   * Trains the model on samples `x` and targets `y` (tensors, nested arrays or flat rows) for `epochs` passes in batches of `batchSize`, and returns the per-epoch loss and metrics. The data is uploaded once; each epoch is one GPU submission and one readback.
   *
   * @example
   * ```ts
   * const history = await model.fit(x, y, {
   *   epochs: 5,
   *   batchSize: 10,
   *   validationSplit: 0.2,
   *   callbacks: [earlyStopping({ monitor: 'val_loss', patience: 3 })],
   * });
   * console.log(history.loss, history.val_loss);
   * ```
   */
  async fit(x: DataInput, y: DataInput, options: FitOptions = {}): Promise<History> {
    this.checkNotFitting('fit');
    const c = this.requireCompiled('fit');
    const callbacks = new CallbackList(options.callbacks, this);
    this.fitting = true;
    let history: History;
    try {
      history = await this.fitCompiled(c, x, y, options, callbacks);
    } finally {
      this.fitting = false;
    }
    // The plans are gone by now: onTrainEnd may compile, dispose or fit again.
    await callbacks.trainEnd(history);
    return history;
  }

  private async fitCompiled(c: Compiled, x: DataInput, y: DataInput, options: FitOptions, callbacks: CallbackList): Promise<History> {
    const epochs = options.epochs ?? 1;
    const batchSize = options.batchSize ?? DEFAULT_BATCH;
    const shuffle = options.shuffle ?? true;
    if (!isPositiveInteger(epochs)) throw new Error(`fit: epochs must be a positive integer, got ${epochs}`);
    if (!isPositiveInteger(batchSize)) throw new Error(`fit: batchSize must be a positive integer, got ${batchSize}`);
    const split = options.validationSplit;
    if (split !== undefined && !(typeof split === 'number' && split > 0 && split < 1)) {
      throw new Error(`fit: validationSplit must be a number in (0, 1), got ${split}`);
    }
    if (split !== undefined && options.validationData) throw new Error('fit: give validationSplit or validationData, not both');
    const every = callbacks.every;

    let trainX = await toMatrix(x, 'fit: x');
    let trainY = await toMatrix(y, 'fit: y');
    this.checkData(trainX, trainY, 'fit', c);
    let val: [Matrix, Matrix] | undefined;
    if (split !== undefined) {
      const keep = Math.floor(trainX.rows * (1 - split));
      if (keep < 1 || keep >= trainX.rows) {
        throw new Error(`fit: validationSplit ${split} of ${trainX.rows} samples leaves no samples to ${keep < 1 ? 'train' : 'validate'} on`);
      }
      val = [sliceRows(trainX, keep, trainX.rows), sliceRows(trainY, keep, trainY.rows)];
      trainX = sliceRows(trainX, 0, keep);
      trainY = sliceRows(trainY, 0, keep);
    } else if (options.validationData) {
      const [vx, vy] = options.validationData;
      val = [await toMatrix(vx, 'fit: validationData x'), await toMatrix(vy, 'fit: validationData y')];
      this.checkData(val[0], val[1], 'fit: validationData', c);
    }

    const b = this.backend;
    const n = trainX.rows;
    const batch = Math.min(batchSize, n);
    this.checkSizes(batch, [['the training data', trainX], ['the training targets', trainY], ...(val ? ([['the validation data', val[0]], ['the validation targets', val[1]]] as const) : [])]);
    const fullBatches = Math.floor(n / batch);
    const rest = n - fullBatches * batch;
    const owned: { dispose(): void }[] = [];
    const keep = <T extends { dispose(): void }>(t: T): T => (owned.push(t), t);

    const history = new History(c.accuracyName);
    this.stopTraining = false;
    try {
      const withMetrics = c.extraMetrics.length > 0;
      const train = this.upload(trainX, trainY, withMetrics, c.cursor);
      // The cursor is the model's (a view of its step state): it outlives the fit.
      owned.push(...Sequential.tensorsOf(train).filter((t) => t !== c.cursor));
      const trainStats = keep(b.zeros([2]));
      // A backend that tunes its kernels times this fit's products first (once per shape bucket), never inside the epochs.
      await b.tuneFor?.(() => {
        if (fullBatches > 0) this.recordTrainStep(c, train, batch, trainStats).dispose();
        if (rest > 0) this.recordTrainStep(c, train, rest, trainStats).dispose();
        if (val) this.recordEvaluateStep(c, train, Math.min(this.inferenceChunk(), val[0].rows), trainStats).dispose();
      });
      const fullPlan = fullBatches > 0 ? keep(this.recordTrainStep(c, train, batch, trainStats)) : undefined;
      const restPlan = rest > 0 ? keep(this.recordTrainStep(c, train, rest, trainStats)) : undefined;
      const steps: { plan: Plan; size: number }[] = [];
      for (let i = 0; i < fullBatches; i++) steps.push({ plan: fullPlan!, size: batch });
      if (restPlan) steps.push({ plan: restPlan, size: rest });

      let validation: { data: DeviceData; stats: Tensor; steps: Plan[] } | undefined;
      if (val) {
        const data = this.upload(val[0], val[1], withMetrics);
        owned.push(...Sequential.tensorsOf(data));
        const stats = keep(b.zeros([2]));
        const steps = this.evaluatePlans(c, data, stats);
        owned.push(...new Set(steps));
        validation = { data, stats, steps };
      }

      // Everything one epoch reports, gathered into one tensor: one readback per epoch.
      // [train loss, accuracy, val loss, accuracy, train metric sums ×5, val metric sums ×5]
      const report = keep(b.zeros([withMetrics ? 4 + 2 * METRIC_SUMS : 4]));
      const reportPlan = keep(
        b.record(() => {
          b.copy(trainStats, report);
          if (validation) b.copy(validation.stats, report, { dstOffset: 2 });
          if (train.metrics) b.copy(train.metrics, report, { dstOffset: 4 });
          if (validation?.data.metrics) b.copy(validation.data.metrics, report, { dstOffset: 4 + METRIC_SUMS });
        }),
      );
      const onBatchBegin = callbacks.has('onBatchBegin');
      const onBatchEnd = callbacks.has('onBatchEnd');
      // Per-batch callbacks read results inside the epoch: its work is then encoded as it runs.
      const perBatch = onBatchBegin || onBatchEnd;
      // With no callback between epochs, nothing can act on an epoch's results
      // but the NaN check: the next epoch then runs without waiting for them,
      // its weights backed up in a second slot, so a NaN in this epoch still
      // finds the weights from before it.
      const pipelined = !perBatch && !callbacks.has('onEpochBegin') && !callbacks.has('onEpochEnd');
      const backups = [this.recordBackup(c, keep), ...(pipelined && epochs > 1 ? [this.recordBackup(c, keep)] : [])];
      const backupOf = (e: number) => backups[e % backups.length]!;
      const firstEpoch = this.epochsTrained;
      /** A learning rate given as a function of the epoch: written before that epoch's steps. */
      const epochRate = (e: number) => {
        const lr = c.optimizer.learningRate;
        if (typeof lr === 'function') this.setRate(c, checkedRate(lr(firstEpoch + e), `the learning-rate function at epoch ${firstEpoch + e}`));
      };
      /** What an epoch's work starts from: a fresh permutation, a cursor at 0, zeroed sums. All writes come before the work they feed. */
      const startEpoch = () => {
        b.write(train.order, shuffle ? this.shuffleRng.permutation(n) : identity(n));
        b.write(train.cursor, new Float32Array(1));
        b.write(trainStats, new Float32Array(2));
        if (train.metrics) b.write(train.metrics, new Float32Array(METRIC_SUMS));
        if (validation) {
          b.write(validation.data.cursor, new Float32Array(1));
          b.write(validation.stats, new Float32Array(2));
          if (validation.data.metrics) b.write(validation.data.metrics, new Float32Array(METRIC_SUMS));
        }
      };
      // A whole epoch's plans, in order: the backup, every step, validation, the report.
      const epochPlans = (e: number): Plan[] => [backupOf(e).save, ...steps.map((s) => s.plan), ...(validation?.steps ?? []), reportPlan];
      // The next epoch's work, encoded while the device runs this one's and
      // queued only after this one's results and callbacks (or dropped).
      let ahead: PreparedWork | undefined;
      // Pipelined: the next epoch's report, its work already submitted.
      let inFlight: Promise<Float32Array> | undefined;
      let epoch = 0;
      await callbacks.trainBegin();
      try {
        // An epoch already submitted is finished and recorded even when training stops.
        for (; epoch < epochs && (!this.stopTraining || inFlight); epoch++) {
          let reading: Promise<Float32Array>;
          if (inFlight) {
            reading = inFlight;
            inFlight = undefined;
          } else {
            await callbacks.epochBegin(epoch);
            epochRate(epoch);
            if (ahead) {
              ahead.release();
              ahead = undefined;
            } else {
              startEpoch();
              b.replay(backupOf(epoch).save);
              let seen = 0;
              for (const [i, step] of steps.entries()) {
                if (onBatchBegin) await callbacks.batchBegin(i);
                b.replay(step.plan);
                seen += step.size;
                if (onBatchEnd && ((i + 1) % (every ?? 1) === 0 || i === steps.length - 1)) {
                  b.replay(reportPlan);
                  const r = await report.data();
                  await callbacks.batchEnd(i, { loss: r[0]! / seen, ...(c.reportAccuracy ? { accuracy: r[1]! / seen } : {}), size: step.size });
                }
              }
              if (validation) for (const plan of validation.steps) b.replay(plan);
              b.replay(reportPlan);
            }
            // The readback submits the epoch; its values arrive while the next epoch is encoded.
            reading = report.data();
          }
          if (!perBatch && epoch + 1 < epochs && !this.stopTraining) {
            if (pipelined) epochRate(epoch + 1);
            startEpoch();
            ahead = b.prepare(epochPlans(epoch + 1));
            if (pipelined) {
              ahead.release();
              ahead = undefined;
              inFlight = report.data();
              // Handled where it is awaited; until then a failure must not count as unhandled.
              inFlight.catch(() => undefined);
            }
          }
          const r = await reading;
          const logs: EpochLogs = { loss: r[0]! / n };
          if (c.reportAccuracy) logs.accuracy = r[1]! / n;
          Object.assign(logs, metricsFrom(r.subarray(4), n, c.extraMetrics));
          if (validation) {
            logs.val_loss = r[2]! / validation.data.rows;
            if (c.reportAccuracy) logs.val_accuracy = r[3]! / validation.data.rows;
            Object.assign(logs, metricsFrom(r.subarray(4 + METRIC_SUMS), validation.data.rows, c.extraMetrics, 'val_'));
          }
          if (!Number.isFinite(logs.loss)) {
            ahead?.discard();
            ahead = undefined;
            // Queued after any epoch already under way: the weights from before this one win.
            b.replay(backupOf(epoch).restore);
            inFlight = undefined;
            await b.flush();
            throw new Error(
              `fit: the training loss became ${logs.loss} in epoch ${epoch + 1}; the weights from ` +
                `${epoch === 0 ? 'before this fit' : `the end of epoch ${epoch}`} were kept. Try a smaller learning rate.`,
            );
          }
          history.record(epoch, logs);
          this.epochsTrained++;
          await callbacks.epochEnd(epoch, logs);
        }
        // Stopped early (stopTraining): the epoch encoded ahead never runs.
        ahead?.discard();
      } catch (e) {
        ahead?.discard();
        // Say when: the weights the model had were on that device, and are gone with it.
        if (e instanceof DeviceLostError) throw new DeviceLostError(`fit: in epoch ${epoch + 1} of ${epochs}: ${e.message}`);
        throw e;
      }
    } finally {
      for (const t of owned.reverse()) t.dispose();
    }
    return history;
  }

  /**
   * Every tensor a fit of this batch size makes must fit the backend: the data
   * sets it uploads and each layer's output for a batch. Checked before
   * anything is uploaded, naming what is too large.
   */
  private checkSizes(batch: number, data: readonly (readonly [string, Matrix])[], op = 'fit'): void {
    const limit = this.backend.maxTensorBytes;
    const over = (bytes: number) => bytes > limit;
    const at = `the ${this.backend.name} backend's limit of ${formatBytes(limit)} per tensor`;
    for (const [what, m] of data) {
      const bytes = m.rows * m.cols * 4;
      if (over(bytes)) throw new TensorLimitError(`${op}: ${what} (${m.rows.toLocaleString('en-US')} samples × ${m.cols} values, ${formatBytes(bytes)}) is over ${at}`);
    }
    for (const l of this.built) {
      const bytes = batch * sizeOf(l.outputShape) * 4;
      if (over(bytes)) {
        throw new TensorLimitError(
          `${op}: with batchSize ${batch}, layer '${l.name}' outputs ${formatShape([batch, ...l.outputShape])} (${formatBytes(bytes)}), over ${at}; use a smaller batchSize`,
        );
      }
    }
  }

  /** Rows predict and evaluate run at once: fewer when a layer's output per sample is large. */
  private inferenceChunk(): number {
    const widest = Math.max(this.inputSize, ...this.built.map((l) => sizeOf(l.outputShape)));
    const values = Math.min(INFERENCE_VALUES, Math.floor(this.backend.maxTensorBytes / 4));
    return Math.max(1, Math.min(INFERENCE_CHUNK, Math.floor(values / widest)));
  }

  /** Plans covering a whole data set in chunks, for validation inside fit. */
  private evaluatePlans(c: Compiled, data: DeviceData, stats: Tensor): Plan[] {
    const plans: Plan[] = [];
    const chunk = Math.min(this.inferenceChunk(), data.rows);
    const full = Math.floor(data.rows / chunk);
    const rest = data.rows - full * chunk;
    if (full > 0) {
      const plan = this.recordEvaluateStep(c, data, chunk, stats);
      for (let i = 0; i < full; i++) plans.push(plan);
    }
    if (rest > 0) plans.push(this.recordEvaluateStep(c, data, rest, stats));
    return plans;
  }

  /** The flat tensors training changes besides the step state: every page of weights and the optimizer's slots. */
  private trainedState(c: Compiled): Tensor[] {
    return [...this.store.values.pages, ...c.state.flatMap((s) => [s.slot1, s.slot2])].filter((t): t is Tensor => t !== undefined);
  }

  /** Copies of every weight and the optimizer state, saved each epoch, restored if the loss blows up: one copy per flat tensor. */
  private recordBackup(c: Compiled, keep: <T extends { dispose(): void }>(t: T) => T): { save: Plan; restore: Plan } {
    const b = this.backend;
    const live = [...this.trainedState(c), c.step];
    const copies = live.map((t) => keep(b.zeros(t.shape)));
    return {
      save: keep(b.record(() => live.forEach((t, i) => b.copy(t, copies[i]!)))),
      restore: keep(b.record(() => live.forEach((t, i) => b.copy(copies[i]!, t)))),
    };
  }

  // ---- inference -------------------------------------------------------------------------

  /** x as rows of samples, checked against the first layer's input. */
  private async inputMatrix(x: DataInput, op: string): Promise<Matrix> {
    this.checkAlive(op);
    const m = await toMatrix(x, `${op}: x`);
    this.checkFeatures(m, op);
    checkFinite(m, `${op}: x`);
    return m;
  }

  /** Runs the model on every sample, chunk by chunk; `use` gets each chunk's layer outputs (valid until it returns). */
  private inferChunks(m: Matrix, use: (acts: Tensor[], start: number) => void): void {
    const b = this.backend;
    const chunk = this.inferenceChunk();
    for (let start = 0; start < m.rows; start += chunk) {
      const end = Math.min(start + chunk, m.rows);
      const xb = b.tensor(m.values.subarray(start * m.cols, end * m.cols), [end - start, ...this.inputShape]);
      const { acts, saved } = this.forward(xb, false, false, undefined);
      use(acts, start);
      for (const t of [...acts, ...saved.flat()]) t.dispose();
    }
  }

  /**
   * The model's outputs for every sample of x, as a [samples, ...outputShape]
   * tensor on the model's backend. It holds backend memory until disposed.
   *
   * @example
   * ```ts
   * const probabilities = await model.predict([[0.1, 0.2, 0.3, 0.4]]);
   * console.log(await probabilities.array());
   * probabilities.dispose();
   * ```
   */
  async predict(x: DataInput): Promise<Tensor> {
    const m = await this.inputMatrix(x, 'predict');
    const result = this.backend.zeros([m.rows, ...this.outputShape]);
    this.inferChunks(m, (acts, start) => this.backend.copy(acts[acts.length - 1]!, result, { dstOffset: start * this.outputSize }));
    return result;
  }

  /**
   * Every layer's output for every sample of x, in layer order (what the
   * network computes on the way: feature maps, hidden units). Each is a
   * tensor [samples, ...that layer's output shape] on the model's backend.
   */
  async predictLayers(x: DataInput): Promise<Tensor[]> {
    const m = await this.inputMatrix(x, 'predictLayers');
    const b = this.backend;
    const outputs = this.built.map((l) => b.zeros([m.rows, ...l.outputShape]));
    this.inferChunks(m, (acts, start) => {
      this.built.forEach((l, i) => b.copy(acts[i + 1]!, outputs[i]!, { dstOffset: start * sizeOf(l.outputShape) }));
    });
    return outputs;
  }

  /**
   * Mean loss and accuracy over a data set (and every other metric compile was given), without training.
   *
   * @example
   * ```ts
   * const { loss, accuracy } = await model.evaluate(testX, testY);
   * ```
   */
  async evaluate(x: DataInput, y: DataInput): Promise<EvaluateResult> {
    const c = this.requireCompiled('evaluate');
    const mx = await toMatrix(x, 'evaluate: x');
    const my = await toMatrix(y, 'evaluate: y');
    this.checkData(mx, my, 'evaluate', c);
    const b = this.backend;
    const stats = b.zeros([2]);
    const sums = c.extraMetrics.length > 0 ? b.zeros([METRIC_SUMS]) : undefined;
    const chunk = this.inferenceChunk();
    try {
      for (let start = 0; start < mx.rows; start += chunk) {
        const end = Math.min(start + chunk, mx.rows);
        const xb = b.tensor(mx.values.subarray(start * mx.cols, end * mx.cols), [end - start, ...this.inputShape]);
        const yb = b.tensor(my.values.subarray(start * my.cols, end * my.cols), [end - start, my.cols]);
        const { acts, saved, grad, lossStats } = this.score(c, { x: xb }, { y: yb }, stats, false, sums);
        for (const t of [...acts, ...saved.flat(), yb, grad, ...(lossStats ? [lossStats] : [])]) t.dispose();
      }
      const s = await stats.data();
      const m = sums ? metricsFrom(await sums.data(), mx.rows, c.extraMetrics) : {};
      return { loss: s[0]! / mx.rows, accuracy: s[1]! / mx.rows, ...m };
    } finally {
      stats.dispose();
      sums?.dispose();
    }
  }

  // ---- weights ---------------------------------------------------------------------------

  /** Copies of the weights in Keras order: [kernel 1 (row-major, Keras's layout), bias 1, kernel 2, …], read back at once. */
  async getWeights(): Promise<Float32Array[]> {
    this.checkAlive('getWeights');
    return this.store.read();
  }

  /**
   * Saves the model in the TensorFlow.js layers format (model.json + one
   * weights file), which `tf.loadLayersModel` and `loadModel` read:
   * `file://dir` in Node (written atomically; a previous model there is
   * replaced, any other file refused), `indexeddb://name`,
   * `localstorage://name` and `downloads://name` in browsers, or any object
   * with a `save(artifacts)` method. Allowed inside fit's callbacks (a checkpoint).
   *
   * @example
   * await model.save('file://./my-model');      // Node
   * await model.save('indexeddb://my-model');   // browser
   */
  async save(target: string | SaveHandler): Promise<SaveResult> {
    this.checkAlive('save');
    return modelSaver()(this, target);
  }

  /** Each layer as built: name, class, output shape, activation, parameter count and configuration. */
  layerInfo(): LayerInfo[] {
    return this.built.map((l) => ({
      name: l.name,
      className: l.layer.className,
      outputShape: l.outputShape,
      activation: l.activation,
      params: l.params.reduce((n, p) => n + sizeOf(p.shape), 0),
      description: l.layer.describe(),
      config: l.layer.getConfig(),
    }));
  }

  /**
   * Your own JSON-serializable facts about the model (a vocabulary, the
   * statistics its inputs were normalized with, …): saved in model.json's
   * userDefinedMetadata, as TensorFlow.js's setUserDefinedMetadata does, and
   * back on the model after loading.
   *
   * @example
   * model.setUserDefinedMetadata({ classes: ['cat', 'dog'] });
   */
  setUserDefinedMetadata(metadata: Record<string, unknown> | undefined): void {
    if (metadata === undefined) {
      this.userMetadata = undefined;
      return;
    }
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw new Error('setUserDefinedMetadata: expected a plain object');
    let text: string;
    try {
      text = JSON.stringify(metadata);
    } catch (e) {
      throw new Error(`setUserDefinedMetadata: not JSON-serializable (${(e as Error).message})`);
    }
    if ('webgpuTrain' in metadata) throw new Error("setUserDefinedMetadata: the key 'webgpuTrain' is the library's own (the training configuration)");
    // A copy, so later changes to the caller's object do not reach the saved file.
    this.userMetadata = JSON.parse(text) as Record<string, unknown>;
  }

  /** What setUserDefinedMetadata was given, or what the loaded file held; undefined if nothing. */
  getUserDefinedMetadata(): Record<string, unknown> | undefined {
    return this.userMetadata && (JSON.parse(JSON.stringify(this.userMetadata)) as Record<string, unknown>);
  }

  /** The loss and optimizer given to compile, if it was called. */
  get compileConfig(): { loss: LossName; optimizer: Optimizer } | undefined {
    return this.compiled && { loss: this.compiled.loss, optimizer: this.compiled.optimizer };
  }

  /** Names and shapes of the weights, in getWeights order (e.g. "dense_1/kernel", [10, 16]). */
  weightSpecs(): { name: string; shape: readonly number[] }[] {
    return this.store.entries.map(({ name, shape }) => ({ name, shape }));
  }

  /** Replaces every weight, in getWeights order and Keras's layouts (row-major); each array must have its weight's size. */
  setWeights(weights: readonly (Float32Array | readonly number[])[]): void {
    this.checkNotFitting('setWeights');
    const targets = this.store.entries;
    if (!Array.isArray(weights) || weights.length !== targets.length) {
      throw new Error(`setWeights: expected ${targets.length} arrays (${targets.map((t) => t.name).join(', ')}), got ${Array.isArray(weights) ? weights.length : typeof weights}`);
    }
    const values = weights.map((w, i) => {
      const t = targets[i]!;
      if (!(w instanceof Float32Array || Array.isArray(w))) {
        throw new Error(`setWeights: weight ${i} (${t.name}) is ${w === null ? 'null' : typeof w}, not a Float32Array or an array of numbers`);
      }
      if (w.length !== t.size) {
        throw new Error(`setWeights: ${t.name} needs ${t.size} values (shape [${t.shape.join(', ')}]), got ${w.length}`);
      }
      const f = Float32Array.from(w);
      checkFinite({ values: f, rows: 1, cols: f.length }, `setWeights: ${t.name}`);
      return f;
    });
    this.store.write(values);
  }

  // ---- description -----------------------------------------------------------------------

  /** The number of weights the model trains (kernels and biases of every layer). */
  countParams(): number {
    return this.store.entries.reduce((n, e) => n + e.size, 0);
  }

  /**
   * A table of layers, output shapes and parameter counts, as Keras prints
   * it: printed with `print` (default console.log) and returned.
   */
  summary(print: ((line: string) => void) | null = console.log): string {
    const rows = this.built.map((l) => [
      `${l.name} (${l.layer.className})`,
      `[null, ${l.outputShape.join(', ')}]`,
      l.reshapeOnly || (l.activation === 'linear' && l.params.length === 0) ? '' : l.activation,
      String(l.params.reduce((n, p) => n + sizeOf(p.shape), 0)),
    ]);
    const header = ['Layer (type)', 'Output shape', 'Activation', 'Params'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('   ');
    const rule = '─'.repeat(line(header).length);
    const text = [
      `Model: sequential (input [null, ${this.inputShape.join(', ')}]) on ${this.describeBackend()}`,
      rule,
      line(header),
      rule,
      ...rows.map(line),
      rule,
      `Total params: ${this.countParams()}`,
    ].join('\n');
    print?.(text);
    return text;
  }

  /** Which backend runs the model, and why when that was not asked for explicitly. */
  describeBackend(): string {
    const b = this.backend;
    if (this.backendDefaulted) return 'the cpu backend (the default when none is given; sequential(layers, { backend: await getBackend() }) uses a GPU when there is one)';
    const where = b.name === 'webgpu' ? `the webgpu backend on ${b.adapterName}` : `the ${b.name} backend`;
    return b.chosen ? `${where} (${b.chosen})` : where;
  }

  // ---- lifetime --------------------------------------------------------------------------

  private releaseCompiled(): void {
    if (!this.compiled) return;
    this.compiled.grads.dispose();
    for (const s of this.compiled.state) {
      s.slot1?.dispose();
      s.slot2?.dispose();
    }
    this.compiled.stepState.dispose();
    this.compiled = undefined;
  }

  /** Frees every tensor the model holds on its backend. */
  dispose(): void {
    if (this.disposed) return;
    this.checkNotFitting('dispose');
    this.disposed = true;
    this.releaseCompiled();
    this.store.dispose();
    this.backend.trim();
  }
}

/** The optimizer a compiled model trains with, as model.optimizer shows it. */
export class TrainingOptimizer {
  constructor(
    private readonly current: () => Optimizer,
    private readonly setRate: (rate: number) => void,
  ) {}

  /** Which optimizer: 'sgd', 'momentum', 'adam', 'adamw' or 'rmsprop'. */
  get kind(): Optimizer['kind'] {
    return this.current().kind;
  }

  /** Every hyperparameter, as compile resolved them. */
  get config(): Optimizer {
    return this.current();
  }

  /** The rate as given: a number, a schedule, or a function of the epoch. */
  get learningRate(): Optimizer['learningRate'] {
    return this.current().learningRate;
  }

  /** A number > 0, from the next step on (during fit too); it replaces a schedule or an epoch function. */
  set learningRate(value: number) {
    this.setRate(checkedRate(value, 'optimizer.learningRate'));
  }
}

function scheduleOf(o: Optimizer): LearningRateSchedule | undefined {
  const r = o.learningRate;
  return typeof r === 'object' ? r : undefined;
}

function checkedRate(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new Error(`${what} must be a number > 0, got ${String(value)}`);
  return value;
}

function identity(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => i);
}

/**
 * A stack of layers, each feeding the next; the first layer needs `inputShape`. Give `backend` (from {@link getBackend}) to train on the GPU, and `seed` for reproducible weights, shuffles and dropout masks.
 *
 * @example
 * ```ts
 * const backend = await getBackend();
 * const model = sequential([
 *   dense({ units: 16, activation: 'relu', inputShape: [10] }),
 *   dense({ units: 1, activation: 'sigmoid' }),
 * ], { backend, seed: 42 });
 * ```
 */
export function sequential(layers: readonly Layer[], options: SequentialOptions = {}): Sequential {
  return new Sequential(layers, options);
}
