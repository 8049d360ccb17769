// Workgroup shapes for the matmul kernels. The tiled kernel's tile is
// (WG_Y·4) × (WG_X·4) outputs with TILE_K-deep slices of A and B staged in
// workgroup memory; the choice must fit the device's limits.

export interface MatmulTiling {
  wgX: number;
  wgY: number;
  tileK: number;
}

export const MATMUL_BLOCK = 4; // outputs per invocation along each axis (const BLOCK in matmul.wgsl)

export const REGISTER_DEFAULT: MatmulTiling = { wgX: 4, wgY: 4, tileK: 1 };

/**
 * Square register blocks tried for matmul_register, largest first (REG_ROWS =
 * REG_COLS). 32×32 ran no faster than 16×16 and took llvmpipe about 20 s to
 * compile; 16×16 takes a few seconds, once per shape class.
 */
const REGISTER_BLOCKS = [16, 8, 4];
/** Workgroups a dispatch should have at least, so every core of a software adapter gets several. */
const MIN_WORKGROUPS = 8;

/**
 * The largest register block that still leaves enough workgroups: bigger
 * blocks do more fmas per load (on llvmpipe at 1024³, 16×16 ran about 1.6×
 * the speed of 8×8), but too few workgroups leave cores idle.
 */
export function registerBlock(M: number, N: number, t: MatmulTiling = REGISTER_DEFAULT): number {
  for (const b of REGISTER_BLOCKS) {
    const groups = Math.ceil(N / (b * t.wgX)) * Math.ceil(M / (b * t.wgY));
    if (groups >= MIN_WORKGROUPS) return b;
  }
  return REGISTER_BLOCKS[REGISTER_BLOCKS.length - 1]!;
}

export const TILED_DEFAULT: MatmulTiling = { wgX: 8, wgY: 8, tileK: 16 };
export const NAIVE_DEFAULT: MatmulTiling = { wgX: 16, wgY: 16, tileK: 1 };

/** 64×64 tiles for hardware GPUs (16×16 invocations of 4×4 outputs), where the device allows. */
export const TILED_LARGE: MatmulTiling = { wgX: 16, wgY: 16, tileK: 16 };

/** The tiled kernel's shape for this adapter: large tiles on GPUs that allow them. */
export function tiledFor(isSoftware: boolean, limits: GPUSupportedLimits): MatmulTiling {
  const t = !isSoftware && fits(TILED_LARGE, limits) ? TILED_LARGE : TILED_DEFAULT;
  checkTiling(t, limits);
  return t;
}

function fits(t: MatmulTiling, limits: GPUSupportedLimits): boolean {
  return (
    t.wgX * t.wgY <= limits.maxComputeInvocationsPerWorkgroup &&
    t.wgX <= limits.maxComputeWorkgroupSizeX &&
    t.wgY <= limits.maxComputeWorkgroupSizeY &&
    workgroupStorageBytes(t) <= limits.maxComputeWorkgroupStorageSize
  );
}

export function workgroupStorageBytes(t: MatmulTiling): number {
  return (t.wgY * MATMUL_BLOCK * t.tileK + t.tileK * t.wgX * MATMUL_BLOCK) * 4;
}

export function checkTiling(t: MatmulTiling, limits: GPUSupportedLimits): void {
  if (t.wgX * t.wgY > limits.maxComputeInvocationsPerWorkgroup) {
    throw new Error(`matmul: a ${t.wgX}×${t.wgY} workgroup exceeds maxComputeInvocationsPerWorkgroup ${limits.maxComputeInvocationsPerWorkgroup}`);
  }
  if (workgroupStorageBytes(t) > limits.maxComputeWorkgroupStorageSize) {
    throw new Error(`matmul: tiles of ${workgroupStorageBytes(t)} bytes exceed maxComputeWorkgroupStorageSize ${limits.maxComputeWorkgroupStorageSize}`);
  }
}
