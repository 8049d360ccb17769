// The parameter store: every parameter of a model in one flat tensor, each
// parameter a view at an aligned offset; the gradients in a second flat
// tensor with the same layout, and the optimizer's state in more of them. So
// one optimizer dispatch updates every parameter, and saving or restoring
// them all (the NaN backup) is one copy each.
import { VIEW_ALIGNMENT, type Backend } from '../backend/backend.js';
import type { Shape, Tensor } from '../tensor.js';
import type { Random } from '../random.js';
import { initialize } from './initializers.js';
import type { BuiltLayer, ParamSpec } from './layer.js';

export interface ParamEntry {
  /** Keras's full name, e.g. "dense_1/kernel". */
  name: string;
  shape: Shape;
  size: number;
  /** Element offset in the flat tensors (a multiple of VIEW_ALIGNMENT). */
  offset: number;
  /** Which layer declared it, and how. */
  layer: number;
  spec: ParamSpec;
}

const aligned = (n: number) => Math.ceil(n / VIEW_ALIGNMENT) * VIEW_ALIGNMENT;

/** Where each parameter lives: in layer order, each declared order (Keras's getWeights order). */
export function layoutParams(layers: readonly BuiltLayer[]): { entries: ParamEntry[]; length: number } {
  const entries: ParamEntry[] = [];
  let offset = 0;
  layers.forEach((l, layer) => {
    for (const p of l.params) {
      const size = p.shape.reduce((n, d) => n * d, 1);
      entries.push({ name: `${l.name}/${p.name}`, shape: p.shape, size, offset, layer, spec: p });
      offset += aligned(size);
    }
  });
  return { entries, length: Math.max(offset, VIEW_ALIGNMENT) };
}

/** One flat tensor in the store's layout, and a view per parameter. */
export class FlatTensors {
  readonly views: Tensor[];
  constructor(
    readonly flat: Tensor,
    entries: readonly ParamEntry[],
    backend: Backend,
  ) {
    this.views = entries.map((e) => backend.view(flat, e.shape, e.offset));
  }
}

export class ParamStore {
  readonly entries: ParamEntry[];
  readonly length: number;
  readonly values: FlatTensors;
  /** Views of one layer's parameters, in declared order. */
  private readonly byLayer: number[][];

  constructor(
    readonly backend: Backend,
    layers: readonly BuiltLayer[],
    rng: Random,
  ) {
    const { entries, length } = layoutParams(layers);
    this.entries = entries;
    this.length = length;
    // Drawn in getWeights order: the same seed gives the same weights on every backend.
    const initial = new Float32Array(length);
    for (const { spec, size, offset } of entries) initial.set(initialize(spec.initializer, spec.fanIn, spec.fanOut, size, rng), offset);
    this.values = new FlatTensors(backend.tensor(initial, [length]), entries, backend);
    this.byLayer = layers.map((_, l) => entries.flatMap((e, i) => (e.layer === l ? [i] : [])));
  }

  /** Zeros in the store's layout: gradients, optimizer state. */
  zeros(): FlatTensors {
    return new FlatTensors(this.backend.zeros([this.length]), this.entries, this.backend);
  }

  of(layer: number, t: FlatTensors = this.values): Tensor[] {
    return this.byLayer[layer]!.map((i) => t.views[i]!);
  }

  /** Every parameter's values, read back at once, in getWeights order. */
  async read(): Promise<Float32Array[]> {
    const all = await this.values.flat.data();
    return this.entries.map((e) => all.slice(e.offset, e.offset + e.size));
  }

  /** Replaces every parameter's values with one upload. */
  write(values: readonly Float32Array[]): void {
    const all = new Float32Array(this.length);
    this.entries.forEach((e, i) => all.set(values[i]!, e.offset));
    this.backend.write(this.values.flat, all);
  }

  dispose(): void {
    this.values.flat.dispose();
  }
}
