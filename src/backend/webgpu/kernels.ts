// The WGSL kernels (shaders/*.wgsl, inlined at build time), each composed
// from the shared library it uses (shaders/lib/, shaders/gemm/), and the
// numeric codes their override constants use.
//
// WGSL has no include: a kernel is the concatenation of its parts, in
// dependency order. The pipeline cache maps compiler messages back to the
// part and line they came from.
import libActivation from '../../../shaders/lib/activation.wgsl?raw';
import libReduce from '../../../shaders/lib/reduce.wgsl?raw';
import libRng from '../../../shaders/lib/rng.wgsl?raw';
import libConv from '../../../shaders/lib/conv.wgsl?raw';
import libBatchRows from '../../../shaders/lib/batch-rows.wgsl?raw';
import libSchedule from '../../../shaders/lib/schedule.wgsl?raw';
import libLoss from '../../../shaders/lib/loss.wgsl?raw';
import headLoss from '../../../shaders/head-loss.wgsl?raw';
import gemmCore from '../../../shaders/gemm/core.wgsl?raw';
import gemmNN from '../../../shaders/gemm/register-nn.wgsl?raw';
import gemmNT from '../../../shaders/gemm/register-nt.wgsl?raw';
import gemmTN from '../../../shaders/gemm/register-tn.wgsl?raw';
import matmul from '../../../shaders/matmul.wgsl?raw';
import conv2dForward from '../../../shaders/conv2d-forward.wgsl?raw';
import conv2dBackwardData from '../../../shaders/conv2d-backward-data.wgsl?raw';
import conv2dBackwardFilter from '../../../shaders/conv2d-backward-filter.wgsl?raw';
import pool from '../../../shaders/pool.wgsl?raw';
import dropout from '../../../shaders/dropout.wgsl?raw';
import activation from '../../../shaders/activation.wgsl?raw';
import reduce from '../../../shaders/reduce.wgsl?raw';
import loss from '../../../shaders/loss.wgsl?raw';
import optimizer from '../../../shaders/optimizer.wgsl?raw';
import gather from '../../../shaders/gather.wgsl?raw';
import regularize from '../../../shaders/regularize.wgsl?raw';
import metrics from '../../../shaders/metrics.wgsl?raw';
import type { AccuracyKind, ActivationName, LossName } from '../backend.js';
import { composeKernel, type KernelSource } from './pipelines.js';

const part = (file: string, code: string) => ({ file: `shaders/${file}`, code });
const LIB = {
  activation: part('lib/activation.wgsl', libActivation),
  reduce: part('lib/reduce.wgsl', libReduce),
  rng: part('lib/rng.wgsl', libRng),
  conv: part('lib/conv.wgsl', libConv),
  batchRows: part('lib/batch-rows.wgsl', libBatchRows),
  schedule: part('lib/schedule.wgsl', libSchedule),
  loss: part('lib/loss.wgsl', libLoss),
};
const GEMM = {
  core: part('gemm/core.wgsl', gemmCore),
  nn: part('gemm/register-nn.wgsl', gemmNN),
  nt: part('gemm/register-nt.wgsl', gemmNT),
  tn: part('gemm/register-tn.wgsl', gemmTN),
};
/** The per-invocation blocks are consts (they size private arrays): the cache rewrites them per specialization. */
const REGISTER_BLOCK = ['REG_ROWS', 'REG_COLS', 'TILE_BLOCK'] as const;

export const SHADERS = {
  matmul: composeKernel('matmul', [LIB.activation, LIB.batchRows, part('matmul.wgsl', matmul), GEMM.core, GEMM.nn, GEMM.nt, GEMM.tn], REGISTER_BLOCK),
  conv2dForward: composeKernel('conv2d_forward', [LIB.activation, LIB.conv, part('conv2d-forward.wgsl', conv2dForward), GEMM.core, GEMM.nn], REGISTER_BLOCK),
  conv2dBackwardData: composeKernel('conv2d_backward_data', [LIB.activation, LIB.conv, part('conv2d-backward-data.wgsl', conv2dBackwardData), GEMM.core, GEMM.nt], REGISTER_BLOCK),
  conv2dBackwardFilter: composeKernel('conv2d_backward_filter', [LIB.conv, part('conv2d-backward-filter.wgsl', conv2dBackwardFilter), GEMM.core, GEMM.tn], REGISTER_BLOCK),
  pool: composeKernel('pool', [LIB.activation, LIB.conv, part('pool.wgsl', pool)]),
  dropout: composeKernel('dropout', [LIB.activation, LIB.rng, part('dropout.wgsl', dropout)]),
  activation: composeKernel('activation', [LIB.activation, part('activation.wgsl', activation)]),
  reduce: composeKernel('reduce', [part('reduce.wgsl', reduce), LIB.reduce]),
  loss: composeKernel('loss', [LIB.activation, LIB.batchRows, LIB.schedule, LIB.loss, part('loss.wgsl', loss), LIB.reduce]),
  headLoss: composeKernel('head_loss', [LIB.activation, LIB.batchRows, LIB.schedule, LIB.loss, part('head-loss.wgsl', headLoss), LIB.reduce]),
  optimizer: composeKernel('optimizer', [LIB.schedule, part('optimizer.wgsl', optimizer)]),
  gather: composeKernel('gather', [part('gather.wgsl', gather)]),
  regularize: composeKernel('regularize', [part('regularize.wgsl', regularize), LIB.reduce]),
  metrics: composeKernel('metrics', [LIB.activation, part('metrics.wgsl', metrics), LIB.reduce]),
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
