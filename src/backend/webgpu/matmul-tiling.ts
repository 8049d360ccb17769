// Workgroup shapes for the matmul kernels. The tiled kernel's tile is
// (WG_Y·4) × (WG_X·4) outputs with TILE_K-deep slices of A and B staged in
// workgroup memory; the choice must fit the device's limits.

export interface MatmulTiling {
  wgX: number;
  wgY: number;
  tileK: number;
}

export const MATMUL_BLOCK = 4; // outputs per invocation along each axis (const BLOCK in matmul.wgsl)

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
