// A plain forward pass over the weights from model.getWeights(), to see
// inside the network: the library's predict returns only the last layer, and
// the page wants every hidden neuron's output too.
import type { LayerActivation } from '../../../src/index.js';

export interface LayerWeights {
  kernel: Float32Array; // [inputs × units], row-major
  bias: Float32Array | undefined;
  inputs: number;
  units: number;
  activation: LayerActivation;
}

export function activate(name: LayerActivation, z: number): number {
  switch (name) {
    case 'relu':
      return z > 0 ? z : 0;
    case 'tanh':
      return Math.tanh(z);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-z));
    default:
      return z; // linear; softmax only ever sits on the output layer
  }
}

/** Every hidden layer's outputs for `rows` inputs: result[l] is [rows × units of layer l]. */
export function hiddenOutputs(layers: readonly LayerWeights[], x: Float32Array, rows: number): Float32Array[] {
  const outs: Float32Array[] = [];
  let input = x;
  for (const layer of layers) {
    const out = new Float32Array(rows * layer.units);
    for (let r = 0; r < rows; r++) {
      for (let u = 0; u < layer.units; u++) {
        let z = layer.bias ? layer.bias[u]! : 0;
        for (let i = 0; i < layer.inputs; i++) z += input[r * layer.inputs + i]! * layer.kernel[i * layer.units + u]!;
        out[r * layer.units + u] = activate(layer.activation, z);
      }
    }
    outs.push(out);
    input = out;
  }
  return outs;
}

/** Pairs the flat getWeights() list with the model's layers. */
export function layerWeights(
  weights: readonly Float32Array[],
  info: readonly { units: number; activation: LayerActivation; useBias: boolean }[],
  inputs: number,
): LayerWeights[] {
  const out: LayerWeights[] = [];
  let w = 0;
  let n = inputs;
  for (const layer of info) {
    const kernel = weights[w++]!;
    const bias = layer.useBias ? weights[w++]! : undefined;
    out.push({ kernel, bias, inputs: n, units: layer.units, activation: layer.activation });
    n = layer.units;
  }
  return out;
}
