// Between a live model and its backend-free description (what files hold).
import type { Backend } from '../backend/backend.js';
import { dense } from '../nn/layers.js';
import { sequential, type Sequential } from '../nn/model.js';
import type { ModelDescription } from './tfjs-format.js';

export async function describeModel(model: Sequential): Promise<ModelDescription> {
  const values = await model.getWeights();
  const specs = model.weightSpecs();
  const compiled = model.compileConfig;
  return {
    inputSize: model.inputSize,
    layers: model.layerInfo(),
    weights: specs.map((s, i) => ({ name: s.name, shape: [...s.shape], values: values[i]! })),
    ...(compiled ? { training: { loss: compiled.loss, optimizer: { ...compiled.optimizer } } } : {}),
  };
}

/** A model with the description's layers and weights, on `backend`. */
export function modelFromDescription(d: ModelDescription, backend: Backend): Sequential {
  const model = sequential(
    d.layers.map((l, i) =>
      dense({ units: l.units, activation: l.activation, useBias: l.useBias, name: l.name, ...(i === 0 ? { inputShape: [d.inputSize] } : {}) }),
    ),
    { backend, seed: 0 },
  );
  model.setWeights(d.weights.map((w) => w.values));
  return model;
}
