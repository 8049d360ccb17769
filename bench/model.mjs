// What a training workload asks every engine to train, as one description:
//   { inputShape, hidden: '<parseLayers text>', activation?, task, loss }
// Our engine hands it to the library's buildModel; the TF.js engine and the
// time guard build from the same layer list, the library's modelLayerSpecs,
// and the parameter count checks that the engines agree.
import { modelLayerSpecs, parseLayers } from '../dist/index.js';

const IMAGE_LAYERS = new Set(['conv2d', 'maxPooling2d', 'averagePooling2d']);

/** Every layer of the model a description asks for, output layer and flattens included, as buildModel makes it. */
export function modelLayers(description) {
  return modelLayerSpecs({ ...description, hidden: parseLayers(description.hidden) });
}

/** Output size along one image axis: valid padding unless 'same', as TF.js and our library compute it. */
const windowOut = (size, window, stride, padding) => (padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - window) / stride) + 1);

/**
 * One sample's shape after each layer, with the layer's forward FLOPs and
 * parameters: [{ layer, shape, forwardFlops, params }].
 */
export function walkLayers(inputShape, layers) {
  let shape = [...inputShape];
  return layers.map((layer) => {
    let forwardFlops = 0;
    let params = 0;
    if (layer.type === 'dense') {
      const inputs = shape.reduce((n, d) => n * d, 1);
      forwardFlops = 2 * inputs * layer.units;
      params = inputs * layer.units + layer.units;
      shape = [layer.units];
    } else if (layer.type === 'conv2d') {
      const [h, w, c] = shape;
      const k = layer.kernelSize;
      const s = layer.strides ?? 1;
      const out = [windowOut(h, k, s, layer.padding), windowOut(w, k, s, layer.padding), layer.filters];
      forwardFlops = 2 * out[0] * out[1] * k * k * c * layer.filters;
      params = k * k * c * layer.filters + layer.filters;
      shape = out;
    } else if (IMAGE_LAYERS.has(layer.type)) {
      const [h, w, c] = shape;
      const s = layer.strides ?? layer.poolSize;
      shape = [windowOut(h, layer.poolSize, s, layer.padding), windowOut(w, layer.poolSize, s, layer.padding), c];
    } else if (layer.type === 'flatten') {
      shape = [shape.reduce((n, d) => n * d, 1)];
    }
    return { layer, shape, forwardFlops, params };
  });
}

/** Trainable parameters of the model a description asks for. */
export const paramCount = (description) =>
  walkLayers(description.inputShape, modelLayers(description)).reduce((n, l) => n + l.params, 0);
