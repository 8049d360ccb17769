// Which GEMM kernel runs a product, with what blocks and how many splits of
// its reduction: the tuning decisions, kept apart from the backend class.
// The kernels are the template of shaders/gemm/; matmul and the conv2d passes
// are instances of it.
import type { Constants } from './pipelines.js';
import { NAIVE_DEFAULT, type MatmulTiling, type TilingName } from './matmul-tiling.js';

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
  /** Splits of the reduction (1: none), each kChunk long; the last ones may be empty. */
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
  /** Whether the reduction may be split (a second dispatch adds the splits). */
  split: boolean;
  /** A software adapter: few cores, each wanting whole SIMD groups of invocations. */
  software: boolean;
  /** The largest register block the register forms may take (16 when absent). */
  maxBlock?: number;
  /** The instance's loads skip their edge checks under ALIGNED (matmul's do; a convolution's padding needs them). */
  edgeFree?: boolean;
}

/**
 * What tuning decides for a product, in place of the rules: the kernel, the
 * tiled kernel's tile, the register forms' largest block, and whether a
 * split reduction (where the product allows one) is used.
 */
export interface GemmDecision {
  kernel: GemmKernel;
  tile?: TilingName;
  maxBlock?: number;
  split?: boolean;
}

/** Register blocks tried, largest first: more fmas per loaded value, but fewer invocations. */
export const REGISTER_BLOCKS = [16, 8, 4];
/** Invocations per register-form workgroup: two 8-lane SIMD groups of a software adapter. */
const REGISTER_WG = 16;
/** Workgroups a software adapter wants at least, so every core gets several. */
const SOFTWARE_GROUPS = 8;
/** Workgroups a hardware GPU wants at least from a split product (about two per compute unit). */
const HARDWARE_GROUPS = 256;
/** The shortest reduction a split may get. */
const MIN_CHUNK = { software: 256, hardware: 128 };

const pow2ceil = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(n, 1)));

interface Grid {
  constants: Constants;
  perRow: number;
  perCol: number;
  wg: [number, number];
}

/**
 * Register blocks for this output: four invocations side by side along N
 * (on llvmpipe, measured on conv and dense shapes from 16 to 784 columns:
 * lanes that differ by column beat lanes that differ by row), each with no
 * more columns than that leaves (a 16-filter convolution gets 4 per
 * invocation, not 16); then the largest block that still gives enough
 * workgroups, or that a split reduction will spread out.
 */
function registerGrid(M: number, N: number, canSplit: boolean, maxBlock = REGISTER_BLOCKS[0]!): Grid {
  let grid: Grid | undefined;
  const wgX = Math.min(4, pow2ceil(Math.ceil(N / 4)));
  const blocks = REGISTER_BLOCKS.filter((b) => b <= maxBlock);
  for (const b of blocks.length > 0 ? blocks : [REGISTER_BLOCKS[REGISTER_BLOCKS.length - 1]!]) {
    const cols = Math.min(b, Math.max(4, pow2ceil(Math.ceil(N / wgX))));
    const rows = Math.min(b, Math.max(4, pow2ceil(M)));
    const iy = Math.ceil(M / rows);
    const wgY = Math.min(REGISTER_WG / wgX, pow2ceil(iy));
    grid = { constants: { WG_X: wgX, WG_Y: wgY, REG_ROWS: rows, REG_COLS: cols }, perRow: rows, perCol: cols, wg: [wgX, wgY] };
    const groups = Math.ceil(N / (wgX * cols)) * Math.ceil(iy / wgY);
    if (groups >= SOFTWARE_GROUPS || canSplit) break;
  }
  return grid!;
}

export function chooseGemm(r: GemmRequest): GemmChoice {
  const { M, N, K } = r;
  const minChunk = r.software ? MIN_CHUNK.software : MIN_CHUNK.hardware;
  const canSplit = r.split && K >= 2 * minChunk;
  let grid: Grid;
  if (r.kernel === 'register') grid = registerGrid(M, N, canSplit, r.maxBlock);
  else if (r.kernel === 'tiled') {
    const t = r.tiled;
    grid = { constants: { WG_X: t.wgX, WG_Y: t.wgY, TILE_K: t.tileK, TILE_BLOCK: t.block }, perRow: t.block, perCol: t.block, wg: [t.wgX, t.wgY] };
  } else {
    grid = { constants: { WG_X: NAIVE_DEFAULT.wgX, WG_Y: NAIVE_DEFAULT.wgY }, perRow: 1, perCol: 1, wg: [NAIVE_DEFAULT.wgX, NAIVE_DEFAULT.wgY] };
  }
  const gx = Math.ceil(N / (grid.wg[0] * grid.perCol));
  const gy = Math.ceil(M / (grid.wg[1] * grid.perRow));
  const target = r.software ? SOFTWARE_GROUPS : HARDWARE_GROUPS;
  let splits = 1;
  let wgZ = 1;
  if (canSplit && gx * gy < target) {
    // The register forms can put splits side by side in one workgroup, filling its lanes.
    if (r.kernel === 'register') wgZ = Math.max(1, Math.floor(REGISTER_WG / (grid.wg[0] * grid.wg[1])));
    const wanted = Math.min(Math.ceil(target / (gx * gy)) * wgZ, Math.floor(K / minChunk));
    wgZ = Math.min(wgZ, wanted);
    splits = Math.ceil(wanted / wgZ) * wgZ;
  }
  const kChunk = splits > 1 ? Math.ceil(Math.ceil(K / splits) / 4) * 4 : K;
  // Whole tiles: the fast path without edge checks.
  const aligned =
    r.kernel === 'tiled' && !!r.edgeFree && splits === 1 && M % (grid.wg[1] * grid.perRow) === 0 && N % (grid.wg[0] * grid.perCol) === 0 && K % r.tiled.tileK === 0;
  const entryPoint = r.kernel === 'register' ? `gemm_register_${r.form}` : `gemm_${r.kernel}`;
  return {
    kernel: r.kernel,
    entryPoint,
    constants: { ...grid.constants, ...(wgZ > 1 ? { WG_Z: wgZ } : {}), SPLIT_K: splits > 1, ...(aligned ? { ALIGNED: true } : {}) },
    workgroups: [gx, gy, splits / wgZ],
    splits,
    kChunk,
  };
}

/** The GemmParams block every GEMM instance's uniforms start with (shaders/gemm/core.wgsl). */
export function gemmParams(M: number, N: number, K: number, c: GemmChoice): ReadonlyArray<readonly ['u32', number]> {
  return [['u32', M], ['u32', N], ['u32', K], ['u32', c.splits], ['u32', c.kChunk], ['u32', 0], ['u32', 0], ['u32', 0]];
}
