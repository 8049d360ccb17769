/// <reference types="@webgpu/types" />
export { Tensor, tidy, sizeOf, formatShape, type Shape } from './tensor.js';
export type { NestedArray } from './nested.js';
export type {
  Backend,
  BackendName,
  ActivationName,
  LossName,
  AccuracyKind,
  MatmulOptions,
  LossOptions,
  LossOutputs,
  ColumnSumsOptions,
  AdamOptions,
} from './backend/backend.js';
export { ACTIVATIONS, LOSSES } from './backend/backend.js';
export { ShapeError, TensorLimitError } from './backend/shapes.js';
export { getBackend, BACKENDS } from './backend/index.js';
export { CpuBackend } from './backend/cpu/index.js';
export {
  WebGpuBackend,
  NoAdapterError,
  BufferLimitError,
  DeviceLostError,
  GpuValidationError,
  type WebGpuStats,
  type MatmulKernel,
  type WebGpuTuning,
  type WebGpuDeviceOptions,
  type MatmulShape,
  type TuneReport,
  type TunedBucket,
  type TunerStats,
  type TuningClock,
  type GemmDecision,
} from './backend/webgpu/index.js';
export { Random } from './random.js';
export { tensor } from './host.js';
export type { Plan, CopyOptions, DispatchProfile } from './backend/backend.js';
export * from './nn/index.js';
export { mnistSplit, oneHot, MNIST_PIXELS, MNIST_CLASSES, MNIST_SPLIT_SEED, MNIST_TRAIN_SIZE, type DigitSet, type MnistSplit } from './datasets/mnist.js';
export { toyDataset, TOY_DATASETS, type ToyName, type ToySet, type ToyOptions } from './datasets/toy.js';
// Saving and loading: model.save(url) and loadModel(url) route by scheme; these imports register the storages.
export { loadModel, registerStorage, type LoadOptions, type PickedFile, type Storage } from './io/storage.js';
export { toArtifacts, toSafetensors } from './io/artifacts.js';
export type { SafetensorsLayout } from './io/safetensors.js';
import './io/browser.js';
import './io/http.js';
