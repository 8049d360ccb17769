// The activations a layer can end with: the backend's element-wise ones, and
// softmax (row-wise; a model's last layer only).
import { ACTIVATIONS, type ActivationName } from '../backend/backend.js';

export type LayerActivation = ActivationName | 'softmax';
export const LAYER_ACTIVATIONS: readonly LayerActivation[] = [...ACTIVATIONS, 'softmax'];

export function checkLayerActivation(where: string, activation: unknown): LayerActivation {
  const a = activation ?? 'linear';
  if (!(LAYER_ACTIVATIONS as readonly unknown[]).includes(a)) {
    throw new Error(`${where}: unknown activation '${String(a)}'; valid: ${LAYER_ACTIVATIONS.join(', ')}`);
  }
  return a as LayerActivation;
}
