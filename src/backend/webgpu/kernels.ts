// The WGSL sources (shaders/*.wgsl, inlined at build time) and the numeric
// codes their override constants use.
import matmul from '../../../shaders/matmul.wgsl?raw';
import activation from '../../../shaders/activation.wgsl?raw';
import reduce from '../../../shaders/reduce.wgsl?raw';
import loss from '../../../shaders/loss.wgsl?raw';
import optimizer from '../../../shaders/optimizer.wgsl?raw';
import gather from '../../../shaders/gather.wgsl?raw';
import type { AccuracyKind, ActivationName, LossName } from '../backend.js';
import type { KernelSource } from './pipelines.js';

export const SHADERS = {
  matmul: { name: 'matmul', code: matmul, uniformBinding: 4, sourceConstants: ['REG_ROWS', 'REG_COLS'] },
  activation: { name: 'activation', code: activation, uniformBinding: 3 },
  reduce: { name: 'reduce', code: reduce, uniformBinding: 2 },
  loss: { name: 'loss', code: loss, uniformBinding: 4 },
  optimizer: { name: 'optimizer', code: optimizer, uniformBinding: 5 },
  gather: { name: 'gather', code: gather, uniformBinding: 4 },
} satisfies Record<string, KernelSource>;

export const ACTIVATION_CODE: Record<ActivationName, number> = { linear: 0, relu: 1, sigmoid: 2, tanh: 3 };

export const LOSS_CODE: Record<LossName, number> = {
  meanSquaredError: 0,
  binaryCrossentropy: 1,
  categoricalCrossentropy: 2,
  sparseCategoricalCrossentropy: 3,
};

export const ACCURACY_CODE: Record<AccuracyKind, number> = { binary: 0, categorical: 1, sparse: 2 };

/** Packs a uniform struct of 4-byte fields, padded to a multiple of 16 bytes. */
export function uniformData(fields: ReadonlyArray<readonly ['u32' | 'f32', number]>): ArrayBuffer {
  const data = new ArrayBuffer(Math.ceil(Math.max(fields.length, 1) / 4) * 16);
  const view = new DataView(data);
  fields.forEach(([type, value], i) => {
    if (type === 'u32') view.setUint32(i * 4, value, true);
    else view.setFloat32(i * 4, value, true);
  });
  return data;
}
