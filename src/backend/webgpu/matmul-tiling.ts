// Workgroup shapes for the matmul kernels. The tiled kernel's tile is
// (WG_Y·4) × (WG_X·4) outputs with TILE_K-deep slices of A and B staged in
// workgroup memory; the choice must fit the device's limits.

export interface MatmulTiling {
  wgX: number;
  wgY: number;
  tileK: number;
}

export const MATMUL_BLOCK = 4; // outputs per invocation along each axis (const BLOCK in matmul.wgsl)

/** Outputs per invocation along each axis of matmul_register (REG_ROWS, REG_COLS in matmul.wgsl). */
export const REGISTER_BLOCK = 8;
export const REGISTER_DEFAULT: MatmulTiling = { wgX: 4, wgY: 4, tileK: 1 };

export const TILED_DEFAULT: MatmulTiling = { wgX: 8, wgY: 8, tileK: 16 };
export const NAIVE_DEFAULT: MatmulTiling = { wgX: 16, wgY: 16, tileK: 1 };

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
