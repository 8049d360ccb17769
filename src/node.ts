// The library's entry in Node: everything the browser entry has, file://
// for model.save and loadModel, and GEMM tuning decisions kept on disk
// (package.json points Node here through the "node" export condition, so
// browser bundles never see node:fs).
export * from './index.js';
import './io/node-storage.js';
import './backend/webgpu/tuning-store-node.js';
