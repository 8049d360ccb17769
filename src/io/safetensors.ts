// safetensors: an 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}, then the
// row-major tensor bytes. PyTorch and Hugging Face tools read it.
//
// Two layouts of a model's weights:
// - 'pytorch': the state_dict of the equivalent torch.nn.Sequential, which
//   load_state_dict accepts as written. That Sequential has one module per
//   layer (Linear, Conv2d, MaxPool2d, AvgPool2d, Flatten, Dropout) followed by
//   one per activation that is not linear (ReLU, Sigmoid, Tanh, Softmax(dim=1)),
//   so names are '<module index>.weight' / '.bias'. Linear weights are
//   [out, in], Conv2d weights [out, in, kh, kw]; the model takes NCHW images,
//   so the first Linear after a Flatten of feature maps has its columns put in
//   channel-major order (c, h, w) where Keras flattens NHWC (h, w, c): the torch
//   model computes the same function. The metadata's 'torch_modules' lists the
//   modules.
// - 'keras': Keras's names and layouts (dense_1.kernel [in, out], conv kernels
//   [kh, kw, in, out]), as model.json and weights.bin hold them.
import { layersOf, type ModelDescription } from './tfjs-format.js';

export interface NamedTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

export function encodeSafetensors(tensors: NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.values.length * 4;
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  // Pad the header with spaces so the data starts 8-byte aligned.
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    const v = new DataView(out.buffer, at, t.values.length * 4);
    t.values.forEach((x, i) => v.setFloat32(i * 4, x, true));
    at += t.values.length * 4;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array): { tensors: NamedTensor[]; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new Error('safetensors: file shorter than its 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.length) throw new Error(`safetensors: header length ${headerLength} runs past the end of the file`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  const base = 8 + headerLength;
  const tensors: NamedTensor[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (e.dtype !== 'F32') throw new Error(`safetensors: tensor '${name}' is ${e.dtype}; only F32 is read`);
    const [begin, end] = e.data_offsets;
    const values = new Float32Array((end - begin) / 4);
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(base + begin + i * 4, true);
    tensors.push({ name, shape: e.shape, values });
  }
  return { tensors, metadata };
}

export type SafetensorsLayout = 'pytorch' | 'keras';
export const SAFETENSORS_LAYOUTS: readonly SafetensorsLayout[] = ['pytorch', 'keras'];

const TORCH_ACTIVATIONS: Record<string, string> = { relu: 'ReLU()', sigmoid: 'Sigmoid()', tanh: 'Tanh()', softmax: 'Softmax(dim=1)' };

/** A model's weights as a safetensors file, in the layout asked for (see the top of this file). */
export function safetensorsOf(d: ModelDescription, layout: SafetensorsLayout, generatedBy: string): Uint8Array {
  if (layout === 'keras') {
    const tensors = d.weights.map((w) => ({ name: w.name.replace('/', '.'), shape: w.shape, values: w.values }));
    return encodeSafetensors(tensors, { format: 'keras', layout: 'keras', generated_by: generatedBy });
  }
  const { inputShapes } = layersOf(d, 'safetensors');
  const tensors: NamedTensor[] = [];
  const modules: string[] = [];
  let w = 0;
  // The shape a Flatten took, while no layer since has changed the order of its values.
  let flattened: number[] | undefined;
  d.layers.forEach((l, i) => {
    const input = inputShapes[i]!;
    const c = l.config;
    const activation = typeof c.activation === 'string' ? c.activation : 'linear';
    const useBias = c.use_bias !== false;
    const index = modules.length;
    if (l.className === 'Dense') {
      const kernel = d.weights[w++]!;
      const [inputs, units] = kernel.shape as [number, number];
      const weight = new Float32Array(inputs * units);
      // torch column j (c, h, w order after an NCHW flatten) is Keras row k (h, w, c order).
      const row = flattened && flattened.length === 3 ? nhwcIndexOf(flattened) : (j: number) => j;
      for (let u = 0; u < units; u++) for (let j = 0; j < inputs; j++) weight[u * inputs + j] = kernel.values[row(j) * units + u]!;
      tensors.push({ name: `${index}.weight`, shape: [units, inputs], values: weight });
      if (useBias) tensors.push({ name: `${index}.bias`, shape: [units], values: d.weights[w++]!.values });
      modules.push(`Linear(${inputs}, ${units}${useBias ? '' : ', bias=False'})`);
      flattened = undefined;
    } else if (l.className === 'Conv2D') {
      const kernel = d.weights[w++]!;
      const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
      const weight = new Float32Array(kernel.values.length);
      for (let o = 0; o < cout; o++)
        for (let ci = 0; ci < cin; ci++)
          for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) weight[((o * cin + ci) * kh + y) * kw + x] = kernel.values[((y * kw + x) * cin + ci) * cout + o]!;
      tensors.push({ name: `${index}.weight`, shape: [cout, cin, kh, kw], values: weight });
      if (useBias) tensors.push({ name: `${index}.bias`, shape: [cout], values: d.weights[w++]!.values });
      const strides = Array.isArray(c.strides) ? c.strides : [1, 1];
      modules.push(`Conv2d(${cin}, ${cout}, (${kh}, ${kw}), stride=(${strides.join(', ')}), padding='${String(c.padding ?? 'valid')}'${useBias ? '' : ', bias=False'})`);
    } else if (l.className === 'MaxPooling2D' || l.className === 'AveragePooling2D') {
      modules.push(`${l.className === 'MaxPooling2D' ? 'MaxPool2d' : 'AvgPool2d'}(${JSON.stringify(c.pool_size ?? [2, 2])})`);
    } else if (l.className === 'Flatten') {
      modules.push('Flatten()');
      flattened = input;
    } else if (l.className === 'Dropout') {
      modules.push(`Dropout(${Number(c.rate)})`);
    } else {
      throw new Error(`safetensors: no PyTorch module for a ${l.className} layer; use the keras layout`);
    }
    if (TORCH_ACTIVATIONS[activation]) modules.push(TORCH_ACTIVATIONS[activation]!);
  });
  return encodeSafetensors(tensors, { format: 'pt', layout: 'pytorch', torch_modules: modules.join(', '), generated_by: generatedBy });
}

/** For features flattened from [h, w, c]: the NHWC index (Keras's order) of NCHW index j (torch's). */
function nhwcIndexOf([h, w, c]: number[]): (j: number) => number {
  return (j) => {
    const ch = Math.floor(j / (h! * w!));
    const pixel = j % (h! * w!);
    return pixel * c! + ch;
  };
}
