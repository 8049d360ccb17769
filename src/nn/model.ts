// A Sequential model: a stack of dense layers trained by gradient descent.
//
// Training never round-trips through the CPU inside an epoch. fit() uploads
// the data set once, records one training step per batch size as a plan
// (gather the batch → forward → loss → backward → update, over fixed
// buffers), and each epoch writes a shuffled permutation, replays the plan
// for every batch, and submits once. Loss and accuracy sums accumulate on the
// device and are read back once per epoch.
import type { Backend, AccuracyKind, LossName, Plan } from '../backend/backend.js';
import { LOSSES } from '../backend/backend.js';
import { CpuBackend } from '../backend/cpu/index.js';
import { Random } from '../random.js';
import type { Tensor } from '../tensor.js';
import { defaultAccuracy } from '../backend/shapes.js';
import { checkFinite, sliceRows, toMatrix, type DataInput, type Matrix } from './data.js';
import { History, type EpochLogs } from './history.js';
import { initialize } from './initializers.js';
import type { Dense } from './layers.js';
import { applyUpdate, createState, resolveOptimizer, type Optimizer, type OptimizerName, type OptimizerState } from './optimizers.js';

export interface SequentialOptions {
  /** Where the math runs. Default: the CPU reference backend. */
  backend?: Backend;
  /** Seeds the initial weights and the shuffles: the same seed trains the same model on every backend. */
  seed?: number;
}

export type MetricName = 'accuracy';

export interface CompileOptions {
  optimizer: OptimizerName | Optimizer;
  loss: LossName;
  metrics?: readonly MetricName[];
}

export interface BatchLogs {
  /** Mean loss over the epoch's batches so far. */
  loss: number;
  accuracy?: number;
  /** Samples in this batch. */
  size: number;
}

export interface FitCallbacks {
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
  /** Asking for per-batch values costs one GPU submission and readback per call. */
  onBatchEnd?: (batch: number, logs: BatchLogs) => void | Promise<void>;
  /** Call onBatchEnd after every N batches (and after the last). Default 1. */
  onBatchEndEvery?: number;
  onTrainEnd?: (history: History) => void | Promise<void>;
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
  callbacks?: FitCallbacks;
}

export interface EvaluateResult {
  loss: number;
  accuracy: number;
}

interface LayerParams {
  spec: Dense;
  name: string;
  inputs: number;
  kernel: Tensor;
  bias: Tensor | undefined;
}

interface Compiled {
  optimizer: Optimizer;
  loss: LossName;
  reportAccuracy: boolean;
  accuracy: AccuracyKind;
  /** The loss takes the last layer's pre-activation (sigmoid/softmax fused into the loss). */
  fromLogits: boolean;
  /** Optimizer state, one per parameter in getWeights order. */
  state: OptimizerState[];
  /** Adam's step count t, on the device. */
  step: Tensor;
}

/** A data set resident on the backend, with the permutation and cursor that batches read. */
interface DeviceData {
  x: Tensor;
  y: Tensor;
  order: Tensor;
  cursor: Tensor;
  rows: number;
}

const DEFAULT_BATCH = 32;
/** Rows per chunk for predict and evaluate. */
const INFERENCE_CHUNK = 1024;

const isPositiveInteger = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0;

export class Sequential {
  readonly backend: Backend;
  readonly layers: readonly Dense[];
  readonly inputSize: number;
  readonly outputSize: number;
  /** Set from a callback to end fit after the current epoch. */
  stopTraining = false;
  private readonly params: LayerParams[] = [];
  private compiled: Compiled | undefined;
  private readonly shuffleRng: Random;
  private disposed = false;

  constructor(layers: readonly Dense[], options: SequentialOptions = {}) {
    if (!Array.isArray(layers) || layers.length === 0) throw new Error('sequential: a model needs at least one layer');
    const first = layers[0]!;
    if (!first.inputShape) {
      throw new Error(`sequential: the first layer needs inputShape, e.g. dense({ units: ${first.units}, inputShape: [10] })`);
    }
    this.backend = options.backend ?? new CpuBackend();
    this.layers = layers;
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    const initRng = new Random(seed);
    this.shuffleRng = new Random(seed ^ 0x5bd1e995);

    let inputs = first.inputShape[0]!;
    this.inputSize = inputs;
    layers.forEach((spec, i) => {
      const name = spec.name ?? `dense_${i + 1}`;
      if (spec.kind !== 'dense') throw new Error(`sequential: layer ${i + 1} is not a dense layer`);
      if (i > 0 && spec.inputShape && spec.inputShape[0] !== inputs) {
        throw new Error(`sequential: layer '${name}' has inputShape [${spec.inputShape[0]}], but the layer before it outputs ${inputs} values`);
      }
      if (i < layers.length - 1 && spec.activation === 'softmax') {
        throw new Error(`sequential: layer '${name}': softmax is only supported on the last layer`);
      }
      const kernel = initialize(spec.kernelInitializer, inputs, spec.units, inputs * spec.units, initRng);
      const bias = spec.useBias ? initialize(spec.biasInitializer, spec.units, spec.units, spec.units, initRng) : undefined;
      this.params.push({
        spec,
        name,
        inputs,
        kernel: this.backend.tensor(kernel, [inputs, spec.units]),
        bias: bias ? this.backend.tensor(bias, [spec.units]) : undefined,
      });
      inputs = spec.units;
    });
    const names = this.params.map((p) => p.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) {
      this.disposeParams();
      throw new Error(`sequential: two layers are named '${dup}'`);
    }
    this.outputSize = inputs;
  }

  private get last(): LayerParams {
    return this.params[this.params.length - 1]!;
  }

  /** Parameters in Keras order: kernel 1, bias 1, kernel 2, bias 2, … */
  private weightTensors(): { tensor: Tensor; name: string }[] {
    return this.params.flatMap((p) => [
      { tensor: p.kernel, name: `${p.name}/kernel` },
      ...(p.bias ? [{ tensor: p.bias, name: `${p.name}/bias` }] : []),
    ]);
  }

  private checkAlive(op: string): void {
    if (this.disposed) throw new Error(`${op}: this model was disposed`);
  }

  // ---- compile ---------------------------------------------------------------------------

  compile(options: CompileOptions): void {
    this.checkAlive('compile');
    if (!options || typeof options !== 'object') throw new Error('compile: expected { optimizer, loss, metrics? }');
    const optimizer = resolveOptimizer(options.optimizer);
    const loss = options.loss;
    if (!(LOSSES as readonly string[]).includes(loss)) {
      throw new Error(`compile: unknown loss '${String(loss)}'; valid: ${LOSSES.join(', ')}`);
    }
    const metrics = options.metrics ?? [];
    for (const m of metrics) {
      if (m !== 'accuracy') throw new Error(`compile: unknown metric '${String(m)}'; valid: accuracy`);
    }
    const act = this.last.spec.activation;
    const fromLogits =
      (loss === 'binaryCrossentropy' && act === 'sigmoid') ||
      ((loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy') && act === 'softmax');
    this.releaseCompiled();
    const state = this.weightTensors().map(({ tensor }) => createState(this.backend, optimizer, tensor));
    this.compiled = {
      optimizer,
      loss,
      reportAccuracy: metrics.includes('accuracy'),
      accuracy: defaultAccuracy(loss, this.outputSize),
      fromLogits,
      state,
      step: this.backend.zeros([1]),
    };
  }

  private requireCompiled(op: string): Compiled {
    this.checkAlive(op);
    if (!this.compiled) throw new Error(`${op}: call compile({ optimizer, loss }) before ${op}`);
    return this.compiled;
  }

  // ---- the ops of one step ---------------------------------------------------------------

  /**
   * Forward pass. Returns every layer's output, acts[0] being x. With
   * `logits`, the last entry is the last layer's pre-activation.
   */
  private forward(x: Tensor, logits: boolean): Tensor[] {
    const b = this.backend;
    const acts = [x];
    this.params.forEach((p, i) => {
      const isLast = i === this.params.length - 1;
      const act = p.spec.activation;
      const input = acts[acts.length - 1]!;
      if ((isLast && logits) || act === 'softmax') {
        const z = b.matmul(input, p.kernel, { bias: p.bias });
        acts.push(act === 'softmax' && !(isLast && logits) ? this.softmaxOf(z) : z);
      } else {
        acts.push(b.matmul(input, p.kernel, { bias: p.bias, activation: act }));
      }
    });
    return acts;
  }

  private softmaxOf(z: Tensor): Tensor {
    const y = this.backend.softmax(z);
    z.dispose();
    return y;
  }

  /** Backpropagation: gradients of every parameter, in getWeights order, from dLoss/dOutput. */
  private backward(acts: Tensor[], gradOut: Tensor, fromLogits: boolean): Tensor[] {
    const b = this.backend;
    const grads: Tensor[][] = [];
    const last = this.params.length - 1;
    // dZ of the last layer: the loss already took it through a fused sigmoid/softmax.
    let g = fromLogits ? gradOut : this.throughActivation(gradOut, acts[last + 1]!, this.params[last]!.spec.activation);
    for (let i = last; i >= 0; i--) {
      const p = this.params[i]!;
      const dKernel = b.matmul(acts[i]!, g, { transposeA: true }); // dW = xᵀ·dZ
      const dBias = p.bias ? b.columnSums(g) : undefined; //            db = Σ over the batch of dZ
      grads[i] = dBias ? [dKernel, dBias] : [dKernel];
      if (i > 0) {
        // dZ of the layer below = (dZ·Wᵀ) ⊙ f'(its output), one fused dispatch.
        const below = this.params[i - 1]!.spec.activation;
        const fuse = below === 'relu' || below === 'sigmoid' || below === 'tanh';
        g = b.matmul(g, p.kernel, { transposeB: true, ...(fuse ? { derivativeOf: { activation: below, output: acts[i]! } } : {}) });
      }
    }
    return grads.flat();
  }

  /** dZ = dY through an output activation, from its output Y. */
  private throughActivation(dy: Tensor, y: Tensor, act: Dense['activation']): Tensor {
    if (act === 'softmax') return this.backend.softmaxBackward(dy, y);
    if (act === 'linear') return dy;
    return this.backend.activationBackward(dy, y, act);
  }

  /**
   * The next `rows` samples at the data set's cursor: gathered, run forward,
   * scored, with the loss and accuracy sums added to `stats`.
   */
  private scoreBatch(c: Compiled, data: DeviceData, rows: number, stats: Tensor): { acts: Tensor[]; grad: Tensor; lossStats: Tensor } {
    const b = this.backend;
    const xb = b.gatherRows(data.x, data.order, data.cursor, rows);
    const yb = b.gatherRows(data.y, data.order, data.cursor, rows);
    b.advanceCursor(data.cursor, rows);
    return this.score(c, xb, yb, stats);
  }

  /** Forward pass, loss and metric of one batch; the sums go into `stats`. */
  private score(c: Compiled, x: Tensor, y: Tensor, stats: Tensor): { acts: Tensor[]; grad: Tensor; lossStats: Tensor } {
    const acts = this.forward(x, c.fromLogits);
    const out = this.backend.loss(c.loss, acts[acts.length - 1]!, y, { fromLogits: c.fromLogits, accuracy: c.accuracy, accumulateInto: stats });
    return { acts, grad: out.grad, lossStats: out.stats };
  }

  /** One training step on `rows` samples taken from the data set at its cursor. */
  private recordTrainStep(c: Compiled, data: DeviceData, rows: number, stats: Tensor): Plan {
    const b = this.backend;
    const weights = this.weightTensors();
    return b.record(() => {
      const { acts, grad } = this.scoreBatch(c, data, rows, stats);
      const grads = this.backward(acts, grad, c.fromLogits);
      if (c.optimizer.kind === 'adam') b.advanceStep(c.step);
      weights.forEach(({ tensor }, i) => applyUpdate(b, c.optimizer, tensor, grads[i]!, c.state[i]!, c.step));
    });
  }

  /** Loss and accuracy sums over `rows` samples at the cursor (no update). */
  private recordEvaluateStep(c: Compiled, data: DeviceData, rows: number, stats: Tensor): Plan {
    return this.backend.record(() => void this.scoreBatch(c, data, rows, stats));
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
    const last = `the last layer '${this.last.name}'`;
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
    if (c.loss === 'binaryCrossentropy') {
      y.values.forEach((v, i) => {
        if (v < 0 || v > 1) {
          throw new Error(`${op}: binaryCrossentropy needs targets in [0, 1], but sample ${Math.floor(i / y.cols)} has ${v}`);
        }
      });
    }
  }

  private checkFeatures(x: Matrix, op: string): void {
    if (x.cols !== this.inputSize) {
      throw new Error(`${op}: x has ${x.cols} features per sample, but the first layer '${this.params[0]!.name}' expects ${this.inputSize} (inputShape [${this.inputSize}])`);
    }
  }

  private upload(x: Matrix, y: Matrix): DeviceData {
    const b = this.backend;
    return {
      x: b.tensor(x.values, [x.rows, x.cols]),
      y: b.tensor(y.values, [y.rows, y.cols]),
      order: b.tensor(identity(x.rows), [x.rows]),
      cursor: b.zeros([1]),
      rows: x.rows,
    };
  }

  // ---- fit -------------------------------------------------------------------------------

  async fit(x: DataInput, y: DataInput, options: FitOptions = {}): Promise<History> {
    const c = this.requireCompiled('fit');
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
    const every = options.callbacks?.onBatchEndEvery;
    if (every !== undefined && !isPositiveInteger(every)) throw new Error(`fit: onBatchEndEvery must be a positive integer, got ${every}`);

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
    const fullBatches = Math.floor(n / batch);
    const rest = n - fullBatches * batch;
    const owned: { dispose(): void }[] = [];
    const keep = <T extends { dispose(): void }>(t: T): T => (owned.push(t), t);

    const history = new History();
    this.stopTraining = false;
    try {
      const train = this.upload(trainX, trainY);
      owned.push(train.x, train.y, train.order, train.cursor);
      const trainStats = keep(b.zeros([2]));
      const fullPlan = fullBatches > 0 ? keep(this.recordTrainStep(c, train, batch, trainStats)) : undefined;
      const restPlan = rest > 0 ? keep(this.recordTrainStep(c, train, rest, trainStats)) : undefined;
      const steps: { plan: Plan; size: number }[] = [];
      for (let i = 0; i < fullBatches; i++) steps.push({ plan: fullPlan!, size: batch });
      if (restPlan) steps.push({ plan: restPlan, size: rest });

      let validation: { data: DeviceData; stats: Tensor; steps: Plan[] } | undefined;
      if (val) {
        const data = this.upload(val[0], val[1]);
        owned.push(data.x, data.y, data.order, data.cursor);
        const stats = keep(b.zeros([2]));
        const steps = this.evaluatePlans(c, data, stats);
        owned.push(...new Set(steps));
        validation = { data, stats, steps };
      }

      // Everything one epoch reports, gathered into one tensor: one readback per epoch.
      const report = keep(b.zeros([4]));
      const reportPlan = keep(
        b.record(() => {
          b.copy(trainStats, report);
          if (validation) b.copy(validation.stats, report, { dstOffset: 2 });
        }),
      );
      const { save, restore } = this.recordBackup(c, keep);

      const onBatchEnd = options.callbacks?.onBatchEnd;
      for (let epoch = 0; epoch < epochs && !this.stopTraining; epoch++) {
        // All writes first: a write after recorded work would force an extra submission.
        b.write(train.order, shuffle ? this.permutation(n) : identity(n));
        b.write(train.cursor, new Float32Array(1));
        b.write(trainStats, new Float32Array(2));
        if (validation) {
          b.write(validation.data.cursor, new Float32Array(1));
          b.write(validation.stats, new Float32Array(2));
        }
        b.replay(save);
        let seen = 0;
        for (const [i, step] of steps.entries()) {
          b.replay(step.plan);
          seen += step.size;
          if (onBatchEnd && ((i + 1) % (every ?? 1) === 0 || i === steps.length - 1)) {
            b.replay(reportPlan);
            const r = await report.data();
            await onBatchEnd(i, { loss: r[0]! / seen, ...(c.reportAccuracy ? { accuracy: r[1]! / seen } : {}), size: step.size });
          }
        }
        if (validation) for (const plan of validation.steps) b.replay(plan);
        b.replay(reportPlan);
        const r = await report.data();
        const logs: EpochLogs = { loss: r[0]! / n };
        if (c.reportAccuracy) logs.accuracy = r[1]! / n;
        if (validation) {
          logs.val_loss = r[2]! / validation.data.rows;
          if (c.reportAccuracy) logs.val_accuracy = r[3]! / validation.data.rows;
        }
        if (!Number.isFinite(logs.loss)) {
          b.replay(restore);
          await b.flush();
          throw new Error(
            `fit: the training loss became ${logs.loss} in epoch ${epoch + 1}; the weights from ` +
              `${epoch === 0 ? 'before this fit' : `the end of epoch ${epoch}`} were kept. Try a smaller learning rate.`,
          );
        }
        history.record(epoch, logs);
        await options.callbacks?.onEpochEnd?.(epoch, logs);
      }
    } finally {
      for (const t of owned.reverse()) t.dispose();
    }
    await options.callbacks?.onTrainEnd?.(history);
    return history;
  }

  /** Plans covering a whole data set in chunks, for validation inside fit. */
  private evaluatePlans(c: Compiled, data: DeviceData, stats: Tensor): Plan[] {
    const plans: Plan[] = [];
    const chunk = Math.min(INFERENCE_CHUNK, data.rows);
    const full = Math.floor(data.rows / chunk);
    const rest = data.rows - full * chunk;
    if (full > 0) {
      const plan = this.recordEvaluateStep(c, data, chunk, stats);
      for (let i = 0; i < full; i++) plans.push(plan);
    }
    if (rest > 0) plans.push(this.recordEvaluateStep(c, data, rest, stats));
    return plans;
  }

  /** Copies of every weight and optimizer state, saved each epoch, restored if the loss blows up. */
  private recordBackup(c: Compiled, keep: <T extends { dispose(): void }>(t: T) => T): { save: Plan; restore: Plan } {
    const b = this.backend;
    const live = [
      ...this.weightTensors().map((w) => w.tensor),
      ...c.state.flatMap((s) => [s.slot1, s.slot2].filter((t): t is Tensor => t !== undefined)),
      c.step,
    ];
    const copies = live.map((t) => keep(b.zeros(t.shape)));
    return {
      save: keep(b.record(() => live.forEach((t, i) => b.copy(t, copies[i]!)))),
      restore: keep(b.record(() => live.forEach((t, i) => b.copy(copies[i]!, t)))),
    };
  }

  /** A seeded Fisher–Yates shuffle of 0 … n−1. */
  private permutation(n: number): Float32Array {
    const p = identity(n);
    for (let i = n - 1; i > 0; i--) {
      const j = this.shuffleRng.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }

  // ---- inference -------------------------------------------------------------------------

  /** The model's outputs for every sample of x, as a [samples, units] tensor on the model's backend. */
  async predict(x: DataInput): Promise<Tensor> {
    this.checkAlive('predict');
    const m = await toMatrix(x, 'predict: x');
    this.checkFeatures(m, 'predict');
    checkFinite(m, 'predict: x');
    const b = this.backend;
    const out = b.zeros([m.rows, this.outputSize]);
    for (let start = 0; start < m.rows; start += INFERENCE_CHUNK) {
      const end = Math.min(start + INFERENCE_CHUNK, m.rows);
      const xb = b.tensor(m.values.subarray(start * m.cols, end * m.cols), [end - start, m.cols]);
      const acts = this.forward(xb, false);
      b.copy(acts[acts.length - 1]!, out, { dstOffset: start * this.outputSize });
      for (const t of acts) t.dispose();
    }
    return out;
  }

  /** Mean loss and accuracy over a data set. */
  async evaluate(x: DataInput, y: DataInput): Promise<EvaluateResult> {
    const c = this.requireCompiled('evaluate');
    const mx = await toMatrix(x, 'evaluate: x');
    const my = await toMatrix(y, 'evaluate: y');
    this.checkData(mx, my, 'evaluate', c);
    const b = this.backend;
    const stats = b.zeros([2]);
    try {
      for (let start = 0; start < mx.rows; start += INFERENCE_CHUNK) {
        const end = Math.min(start + INFERENCE_CHUNK, mx.rows);
        const xb = b.tensor(mx.values.subarray(start * mx.cols, end * mx.cols), [end - start, mx.cols]);
        const yb = b.tensor(my.values.subarray(start * my.cols, end * my.cols), [end - start, my.cols]);
        const { acts, grad, lossStats } = this.score(c, xb, yb, stats);
        for (const t of [...acts, yb, grad, lossStats]) t.dispose();
      }
      const s = await stats.data();
      return { loss: s[0]! / mx.rows, accuracy: s[1]! / mx.rows };
    } finally {
      stats.dispose();
    }
  }

  // ---- weights ---------------------------------------------------------------------------

  /** Copies of the weights in Keras order: [kernel 1 (inputs × units, row-major), bias 1, kernel 2, …]. */
  async getWeights(): Promise<Float32Array[]> {
    this.checkAlive('getWeights');
    return Promise.all(this.weightTensors().map(({ tensor }) => tensor.data()));
  }

  /** Each layer as built: its name, width, activation and whether it has a bias. */
  layerInfo(): { name: string; units: number; activation: Dense['activation']; useBias: boolean }[] {
    return this.params.map((p) => ({ name: p.name, units: p.spec.units, activation: p.spec.activation, useBias: !!p.bias }));
  }

  /** The loss and optimizer given to compile, if it was called. */
  get compileConfig(): { loss: LossName; optimizer: Optimizer } | undefined {
    return this.compiled && { loss: this.compiled.loss, optimizer: this.compiled.optimizer };
  }

  /** Names and shapes of the weights, in getWeights order (e.g. "dense_1/kernel", [10, 16]). */
  weightSpecs(): { name: string; shape: readonly number[] }[] {
    return this.weightTensors().map(({ name, tensor }) => ({ name, shape: tensor.shape }));
  }

  setWeights(weights: readonly (Float32Array | readonly number[])[]): void {
    this.checkAlive('setWeights');
    const targets = this.weightTensors();
    if (!Array.isArray(weights) || weights.length !== targets.length) {
      throw new Error(`setWeights: expected ${targets.length} arrays (${targets.map((t) => t.name).join(', ')}), got ${Array.isArray(weights) ? weights.length : typeof weights}`);
    }
    const values = weights.map((w, i) => {
      const t = targets[i]!;
      if (w.length !== t.tensor.size) {
        throw new Error(`setWeights: ${t.name} needs ${t.tensor.size} values (shape [${t.tensor.shape.join(', ')}]), got ${w.length}`);
      }
      const f = Float32Array.from(w);
      checkFinite({ values: f, rows: 1, cols: f.length }, `setWeights: ${t.name}`);
      return f;
    });
    values.forEach((v, i) => this.backend.write(targets[i]!.tensor, v));
  }

  // ---- description -----------------------------------------------------------------------

  countParams(): number {
    return this.weightTensors().reduce((n, w) => n + w.tensor.size, 0);
  }

  /** A table of layers, output shapes and parameter counts, as Keras prints it. */
  summary(): string {
    const rows = this.params.map((p) => [
      `${p.name} (Dense)`,
      `[null, ${p.spec.units}]`,
      p.spec.activation,
      String(p.kernel.size + (p.bias?.size ?? 0)),
    ]);
    const header = ['Layer (type)', 'Output shape', 'Activation', 'Params'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('   ');
    const rule = '─'.repeat(line(header).length);
    return [
      `Model: sequential (input [null, ${this.inputSize}], backend ${this.backend.name})`,
      rule,
      line(header),
      rule,
      ...rows.map(line),
      rule,
      `Total params: ${this.countParams()}`,
    ].join('\n');
  }

  // ---- lifetime --------------------------------------------------------------------------

  private releaseCompiled(): void {
    if (!this.compiled) return;
    for (const s of this.compiled.state) {
      s.slot1?.dispose();
      s.slot2?.dispose();
    }
    this.compiled.step.dispose();
    this.compiled = undefined;
  }

  private disposeParams(): void {
    for (const p of this.params) {
      p.kernel.dispose();
      p.bias?.dispose();
    }
  }

  /** Frees every tensor the model holds on its backend. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.releaseCompiled();
    this.disposeParams();
    this.backend.trim();
  }
}

function identity(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => i);
}

/** A stack of layers, each feeding the next. */
export function sequential(layers: readonly Dense[], options: SequentialOptions = {}): Sequential {
  return new Sequential(layers, options);
}
