// Which GEMM kernel runs a product, with what blocks and how many splits of
// its reduction: the tuning decisions, kept apart from the backend class.
// The kernels are the template of shaders/gemm/; matmul and the conv2d passes
// are instances of it.
import type { Constants } from './pipelines.js';
import { MATMUL_BLOCK, NAIVE_DEFAULT, REGISTER_DEFAULT, registerBlock, type MatmulTiling } from './matmul-tiling.js';

/**
 * The register forms: which operand dimension each reads in vec4s.
 * nn: A along K, B along N (A·B); nt: both along K (A·Bᵀ); tn: A along M, B along N (Aᵀ·B).
 */
export type GemmForm = 'nn' | 'nt' | 'tn';
export type GemmKernel = 'register' | 'tiled' | 'naive';

export interface GemmChoice {
  kernel: GemmKernel;
  entryPoint: string;
  constants: Constants;
  workgroups: [number, number, number];
  /** Splits of the reduction (1: none), each k_chunk long. */
  splits: number;
  kChunk: number;
}

export interface GemmRequest {
  M: number;
  N: number;
  K: number;
  form: GemmForm;
  kernel: GemmKernel;
  /** The tiled kernel's shape on this adapter. */
  tiled: MatmulTiling;
  /** Split the reduction when the output alone gives fewer workgroups than this (0: never). */
  splitBelow: number;
  /** Shortest reduction a split may get. */
  minChunk: number;
}

/** Columns per invocation: no wider than the output needs, so narrow outputs keep their lanes busy. */
function registerCols(N: number, block: number, wgX: number): number {
  let cols = 4;
  while (cols < block && wgX * cols < N) cols *= 2;
  return cols;
}

export function chooseGemm(r: GemmRequest): GemmChoice {
  const { M, N, K } = r;
  let constants: Constants;
  let perRow: number;
  let perCol: number;
  let wg: MatmulTiling;
  if (r.kernel === 'register') {
    wg = REGISTER_DEFAULT;
    const block = registerBlock(M, N, wg);
    const cols = registerCols(N, block, wg.wgX);
    constants = { WG_X: wg.wgX, WG_Y: wg.wgY, REG_ROWS: block, REG_COLS: cols };
    [perRow, perCol] = [block, cols];
  } else if (r.kernel === 'tiled') {
    wg = r.tiled;
    constants = { WG_X: wg.wgX, WG_Y: wg.wgY, TILE_K: wg.tileK };
    [perRow, perCol] = [MATMUL_BLOCK, MATMUL_BLOCK];
  } else {
    wg = NAIVE_DEFAULT;
    constants = { WG_X: wg.wgX, WG_Y: wg.wgY };
    [perRow, perCol] = [1, 1];
  }
  const gx = Math.ceil(N / (wg.wgX * perCol));
  const gy = Math.ceil(M / (wg.wgY * perRow));
  let splits = 1;
  let kChunk = K;
  if (r.splitBelow > 0 && gx * gy < r.splitBelow && K >= 2 * r.minChunk) {
    const wanted = Math.min(Math.ceil(r.splitBelow / (gx * gy)), Math.floor(K / r.minChunk));
    kChunk = Math.ceil(Math.ceil(K / wanted) / 4) * 4;
    splits = Math.ceil(K / kChunk);
  }
  if (splits === 1) kChunk = K;
  const entryPoint = r.kernel === 'register' ? `gemm_register_${r.form}` : `gemm_${r.kernel}`;
  return { kernel: r.kernel, entryPoint, constants: { ...constants, SPLIT_K: splits > 1 }, workgroups: [gx, gy, splits], splits, kChunk };
}

/** The GemmParams block every GEMM instance's uniforms start with (shaders/gemm/core.wgsl). */
export function gemmParams(M: number, N: number, K: number, c: GemmChoice): ReadonlyArray<readonly ['u32', number]> {
  return [['u32', M], ['u32', N], ['u32', K], ['u32', c.splits], ['u32', c.kChunk], ['u32', 0], ['u32', 0], ['u32', 0]];
}
