// The names Keras (Python) and TensorFlow.js users write for losses and
// metrics, mapped to ours, so that code written for them compiles as written.
import { LOSSES, type LossName } from '../backend/backend.js';

/** Keras's spellings of our losses (matched case-insensitively). */
const LOSS_ALIASES: Record<string, LossName> = {
  binary_crossentropy: 'binaryCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  mean_squared_error: 'meanSquaredError',
  mse: 'meanSquaredError',
};

/** Every loss name compile accepts: ours, and Keras's. */
export type LossSpelling = LossName | 'binary_crossentropy' | 'categorical_crossentropy' | 'sparse_categorical_crossentropy' | 'mean_squared_error' | 'mse' | 'MSE';

export function lossNamed(name: unknown): LossName {
  if ((LOSSES as readonly unknown[]).includes(name)) return name as LossName;
  const alias = typeof name === 'string' ? LOSS_ALIASES[name.toLowerCase()] : undefined;
  if (alias) return alias;
  throw new Error(`compile: unknown loss '${String(name)}'; valid: ${LOSSES.join(', ')} (or Keras's ${Object.keys(LOSS_ALIASES).join(', ')})`);
}

/** Metrics compile takes, in Keras's spellings; History reports each under the name given. */
export type MetricName = 'accuracy' | 'acc' | 'mse' | 'mean_squared_error' | 'mae' | 'mean_absolute_error' | 'precision' | 'recall';
export const METRICS: readonly MetricName[] = ['accuracy', 'acc', 'mse', 'mean_squared_error', 'mae', 'mean_absolute_error', 'precision', 'recall'];

/** What a metric measures (computed on the device: the loss kernel gives accuracy, shaders/metrics.wgsl the rest). */
export type MetricKind = 'accuracy' | 'mse' | 'mae' | 'precision' | 'recall';

const KIND: Record<MetricName, MetricKind> = {
  accuracy: 'accuracy',
  acc: 'accuracy',
  mse: 'mse',
  mean_squared_error: 'mse',
  mae: 'mae',
  mean_absolute_error: 'mae',
  precision: 'precision',
  recall: 'recall',
};

export function checkMetric(name: unknown): { name: MetricName; kind: MetricKind } {
  if ((METRICS as readonly unknown[]).includes(name)) return { name: name as MetricName, kind: KIND[name as MetricName] };
  throw new Error(`compile: unknown metric '${String(name)}'; valid: ${METRICS.join(', ')}`);
}
