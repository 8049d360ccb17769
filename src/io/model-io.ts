// Between a live model and its backend-free description (what files hold).
import type { Backend } from '../backend/backend.js';
import { sequential, type Sequential } from '../nn/sequential.js';
import { layersOf, type ModelDescription } from './tfjs-format.js';

export async function describeModel(model: Sequential): Promise<ModelDescription> {
  const values = await model.getWeights();
  const specs = model.weightSpecs();
  const compiled = model.compileConfig;
  const user = model.getUserDefinedMetadata();
  return {
    inputShape: [...model.inputShape],
    layers: model.layerInfo().map((l) => ({ className: l.className, name: l.name, config: l.config })),
    weights: specs.map((s, i) => ({ name: s.name, shape: [...s.shape], values: values[i]! })),
    ...(compiled ? { training: { loss: compiled.loss, optimizer: { ...compiled.optimizer } } } : {}),
    ...(user ? { userDefinedMetadata: user } : {}),
  };
}

/** A model with the description's layers and weights, on `backend`. */
export function modelFromDescription(d: ModelDescription, backend: Backend): Sequential {
  const first = { ...d.layers[0]!, config: { ...d.layers[0]!.config, batch_input_shape: [null, ...d.inputShape] } };
  const { layers } = layersOf({ inputShape: d.inputShape, layers: [first, ...d.layers.slice(1)] }, 'model');
  const model = sequential(layers, { backend, seed: 0 });
  model.setWeights(d.weights.map((w) => w.values));
  if (d.userDefinedMetadata) model.setUserDefinedMetadata(d.userDefinedMetadata);
  return model;
}
