// Workgroup shapes for the tiled GEMM kernel. Its tile is (WG_Y·block) ×
// (WG_X·block) outputs, each invocation owning a block × block square, with
// TILE_K-deep slices of A and B staged in workgroup memory; the choice must
// fit the device's limits.

export interface MatmulTiling {
  wgX: number;
  wgY: number;
  tileK: number;
  /** Outputs per invocation along each axis: 4 or 8 (const TILE_BLOCK in gemm/core.wgsl). */
  block: 4 | 8;
}

export const TILED_DEFAULT: MatmulTiling = { wgX: 8, wgY: 8, tileK: 16, block: 4 };
export const NAIVE_DEFAULT: MatmulTiling = { wgX: 16, wgY: 16, tileK: 1, block: 4 };

/** 64×64 tiles for hardware GPUs (16×16 invocations of 4×4 outputs), where the device allows. */
export const TILED_LARGE: MatmulTiling = { wgX: 16, wgY: 16, tileK: 16, block: 4 };

/**
 * 128×128 tiles (16×16 invocations of 8×8 outputs, K slices 8 deep: 8 KiB of
 * workgroup memory): twice the fmas per value read from workgroup memory of
 * TILED_LARGE, the shape fast WGSL matmuls use on large products.
 */
export const TILED_HUGE: MatmulTiling = { wgX: 16, wgY: 16, tileK: 8, block: 8 };

/** Tile shapes by name, for tuning and the kernel benchmark. */
export const TILINGS = { small: TILED_DEFAULT, large: TILED_LARGE, huge: TILED_HUGE } as const;
export type TilingName = keyof typeof TILINGS;

/**
 * The tiled kernel's shape for this adapter: large tiles on GPUs that allow
 * them, or the named one (falling back to the small tile where it does not fit).
 */
export function tiledFor(isSoftware: boolean, limits: GPUSupportedLimits, name?: TilingName): MatmulTiling {
  const wanted = name ? TILINGS[name] : isSoftware ? TILED_DEFAULT : TILED_LARGE;
  const t = fits(wanted, limits) ? wanted : TILED_DEFAULT;
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
  return (t.wgY * t.block * t.tileK + t.tileK * t.wgX * t.block) * 4;
}

export function checkTiling(t: MatmulTiling, limits: GPUSupportedLimits): void {
  if (t.wgX * t.wgY > limits.maxComputeInvocationsPerWorkgroup) {
    throw new Error(`matmul: a ${t.wgX}×${t.wgY} workgroup exceeds maxComputeInvocationsPerWorkgroup ${limits.maxComputeInvocationsPerWorkgroup}`);
  }
  if (workgroupStorageBytes(t) > limits.maxComputeWorkgroupStorageSize) {
    throw new Error(`matmul: tiles of ${workgroupStorageBytes(t)} bytes exceed maxComputeWorkgroupStorageSize ${limits.maxComputeWorkgroupStorageSize}`);
  }
}
