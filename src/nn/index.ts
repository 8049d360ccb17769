export { dense, Dense, type DenseConfig } from './layers/dense.js';
export { conv2d, Conv2D, type Conv2dConfig } from './layers/conv2d.js';
export { maxPooling2d, averagePooling2d, Pooling2D, type Pooling2dConfig } from './layers/pooling.js';
export { flatten, Flatten, type FlattenConfig } from './layers/flatten.js';
export { dropout, Dropout, type DropoutConfig } from './layers/dropout.js';
export { LAYER_CLASSES } from './layers/index.js';
export { LAYER_ACTIVATIONS, type LayerActivation } from './activations.js';
export type { Layer, BuiltLayer, ParamSpec, ForwardArgs, ForwardResult, BackwardArgs } from './layer.js';
export { INITIALIZERS, type InitializerName } from './initializers.js';
export {
  sgd,
  momentum,
  adam,
  adamw,
  rmsprop,
  exponentialDecay,
  piecewiseConstant,
  optimizerNamed,
  OPTIMIZERS,
  type Optimizer,
  type OptimizerName,
  type SgdConfig,
  type AdamConfig,
  type AdamWConfig,
  type RmspropConfig,
  type ExponentialDecayConfig,
  type LearningRateSpec,
} from './optimizers.js';
export { History, type EpochLogs } from './history.js';
export type { DataInput, NestedArray, Matrix } from './data.js';
export {
  Sequential,
  sequential,
  type SequentialOptions,
  type CompileOptions,
  type FitOptions,
  type ProfileOptions,
  type StepProfile,
  type EvaluateResult,
  type LayerInfo,
  TrainingOptimizer,
} from './sequential.js';
export {
  buildModel,
  modelLayerSpecs,
  parseLayers,
  formatLayers,
  usesImages,
  outputLayerFor,
  targetsFor,
  type LayerSpec,
  type ModelSpec,
  type Task as ModelTask,
} from './spec.js';
export {
  earlyStopping,
  EarlyStopping,
  CALLBACK_NAMES,
  type EarlyStoppingConfig,
  type FitCallbacks,
  type CallbackObject,
  type CallbackModel,
  type BatchLogs,
} from './callbacks.js';
export { METRICS, type MetricName, type LossSpelling } from './names.js';
export { l1, l2, l1l2, type Regularizer } from './regularizers.js';
export type { SaveResult, SaveHandler, ModelArtifacts } from './saving.js';
