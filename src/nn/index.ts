export { dense, LAYER_ACTIVATIONS, type Dense, type DenseConfig, type LayerActivation } from './layers.js';
export { INITIALIZERS, type InitializerName } from './initializers.js';
export { sgd, momentum, adam, OPTIMIZERS, type Optimizer, type OptimizerName, type SgdConfig, type AdamConfig } from './optimizers.js';
export { History, type EpochLogs } from './history.js';
export type { DataInput, Matrix } from './data.js';
export {
  Sequential,
  sequential,
  type SequentialOptions,
  type CompileOptions,
  type FitOptions,
  type FitCallbacks,
  type BatchLogs,
  type EvaluateResult,
  type MetricName,
} from './model.js';
