// The reference backend: every op is a plain loop over Float32Array (see the
// files beside this one, named after the WGSL kernels they mirror). It is the
// oracle the WebGPU kernels are tested against.
import { Tensor, type Shape } from '../../tensor.js';
import type {
  ActivationName,
  AdamOptions,
  Backend,
  ColumnSumsOptions,
  LossName,
  LossOptions,
  LossOutputs,
  MatmulOptions,
} from '../backend.js';
import {
  checkActivation,
  checkOptimizerArgs,
  checkPositive,
  checkSameShape,
  checkStep,
  checkValuesFit,
  defaultAccuracy,
  lossDims,
  matmulDims,
  matrixDims,
  ShapeError,
} from '../shapes.js';
import { matmul } from './matmul.js';
import { activationBackward, activationForward, softmax, softmaxBackward } from './activation.js';
import { columnSums } from './reduce.js';
import { loss } from './loss.js';
import * as optimizer from './optimizer.js';

export class CpuTensor extends Tensor {
  constructor(backend: CpuBackend, shape: Shape, readonly values: Float32Array) {
    super(backend, shape);
  }
}

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly adapterName = 'cpu (reference)';

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
    return this.make(Float32Array.from(values), shape);
  }

  zeros(shape: Shape): Tensor {
    const probe = { length: shape.reduce((n, d) => n * d, 1) };
    checkValuesFit(probe, shape, 'zeros');
    return this.make(new Float32Array(probe.length), shape);
  }

  write(t: Tensor, values: Float32Array): void {
    const dst = this.own(t, 'write');
    if (values.length !== dst.length) throw new ShapeError(`write: ${values.length} values for ${t} of ${dst.length}`);
    dst.set(values);
  }

  read(t: Tensor): Promise<Float32Array> {
    return Promise.resolve(this.own(t, 'read').slice());
  }

  dispose(_t: Tensor): void {
    // Garbage collected; nothing to give back.
  }

  matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
    const { M, N, K } = matmulDims(a, b, options);
    const bias = options.bias ? this.own(options.bias, 'matmul') : undefined;
    const args = { M, N, K, transposeA: options.transposeA, transposeB: options.transposeB, bias, activation: options.activation };
    return this.make(matmul(this.own(a, 'matmul'), this.own(b, 'matmul'), args), [M, N]);
  }

  activation(x: Tensor, name: ActivationName): Tensor {
    checkActivation('activation', name);
    return this.make(activationForward(this.own(x, 'activation'), name), x.shape);
  }

  activationBackward(dy: Tensor, y: Tensor, name: ActivationName): Tensor {
    checkActivation('activationBackward', name);
    checkSameShape('activationBackward', 'dy', dy, 'y', y);
    return this.make(activationBackward(this.own(dy, 'activationBackward'), this.own(y, 'activationBackward'), name), dy.shape);
  }

  softmax(x: Tensor): Tensor {
    const [rows, cols] = matrixDims('softmax', 'x', x);
    return this.make(softmax(this.own(x, 'softmax'), rows, cols), x.shape);
  }

  softmaxBackward(dy: Tensor, y: Tensor): Tensor {
    checkSameShape('softmaxBackward', 'dy', dy, 'y', y);
    const [rows, cols] = matrixDims('softmaxBackward', 'dy', dy);
    return this.make(softmaxBackward(this.own(dy, 'softmaxBackward'), this.own(y, 'softmaxBackward'), rows, cols), dy.shape);
  }

  columnSums(x: Tensor, options: ColumnSumsOptions = {}): Tensor {
    const [rows, cols] = matrixDims('columnSums', 'x', x);
    const sums = columnSums(this.own(x, 'columnSums'), rows, cols, options.scale ?? 1);
    const into = options.accumulateInto;
    if (!into) return this.make(sums, [cols]);
    const acc = this.own(into, 'columnSums');
    if (acc.length !== cols) throw new ShapeError(`columnSums: accumulateInto ${into} must hold ${cols} values`);
    for (let c = 0; c < cols; c++) acc[c]! += sums[c]!;
    return into;
  }

  loss(name: LossName, prediction: Tensor, target: Tensor, options: LossOptions = {}): LossOutputs {
    const [rows, cols] = lossDims(name, prediction, target);
    const args = { rows, cols, fromLogits: options.fromLogits ?? false, accuracy: options.accuracy ?? defaultAccuracy(name, cols) };
    const r = loss(name, this.own(prediction, 'loss'), this.own(target, 'loss'), args);
    return { grad: this.make(r.grad, prediction.shape), rowLoss: this.make(r.rowLoss, [rows]), rowCorrect: this.make(r.rowCorrect, [rows]) };
  }

  sgd(param: Tensor, grad: Tensor, learningRate: number): void {
    checkOptimizerArgs('sgd', param, grad, {});
    checkPositive('sgd', 'learningRate', learningRate);
    optimizer.sgd(this.own(param, 'sgd'), this.own(grad, 'sgd'), learningRate);
  }

  momentum(param: Tensor, grad: Tensor, velocity: Tensor, learningRate: number, momentum: number): void {
    checkOptimizerArgs('momentum', param, grad, { velocity });
    checkPositive('momentum', 'learningRate', learningRate);
    optimizer.momentum(this.own(param, 'momentum'), this.own(grad, 'momentum'), this.own(velocity, 'momentum'), learningRate, momentum);
  }

  adam(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, step: Tensor, options: AdamOptions): void {
    checkOptimizerArgs('adam', param, grad, { m, v });
    checkStep('adam', step);
    checkPositive('adam', 'learningRate', options.learningRate);
    const t = this.own(step, 'adam')[0]!;
    optimizer.adam(this.own(param, 'adam'), this.own(grad, 'adam'), this.own(m, 'adam'), this.own(v, 'adam'), t, options);
  }

  advanceStep(step: Tensor): void {
    checkStep('advanceStep', step);
    optimizer.advanceStep(this.own(step, 'advanceStep'));
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  destroy(): void {}
}
