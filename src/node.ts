// The library's entry in Node: everything the browser entry has, and file://
// for model.save and loadModel (package.json points Node here through the
// "node" export condition, so browser bundles never see node:fs).
export * from './index.js';
import './io/node-storage.js';
