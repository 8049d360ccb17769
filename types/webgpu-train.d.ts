// The package's types for TypeScript 5. The public types name WebGPU's (GPUDevice,
// GPUBuffer, ...), which TypeScript 5's DOM lib lacks: @webgpu/types (a dependency)
// declares them, as an extension of the DOM lib. Both are referenced here so that a
// consumer's tsc needs no `types` or `lib` entry of its own, with or without "DOM".
/// <reference lib="dom" />
/// <reference types="@webgpu/types" />
export * from '../dist/index.js';
