// The package's types for TypeScript 6 and later, whose DOM lib declares WebGPU's
// types itself: adding @webgpu/types there would declare them twice.
/// <reference lib="dom" />
export * from '../dist/index.js';
