// The parameter store: every parameter of a model in flat tensors, each
// parameter a view at an aligned offset; the gradients in flat tensors with
// the same layout, and the optimizer's state in more of them. So one
// optimizer dispatch updates every parameter, and saving or restoring them
// all (the NaN backup) is one copy per flat tensor.
//
// A flat tensor holds at most what the backend lets one tensor hold (on
// WebGPU, one binding). A model whose parameters exceed it gets several
// pages, each with its own views, update and copy; ordinary models have one.
import { VIEW_ALIGNMENT, type Backend } from '../backend/backend.js';
import { formatBytes, TensorLimitError } from '../backend/shapes.js';
import { formatShape, untracked, type Shape, type Tensor } from '../tensor.js';
import type { Random } from '../random.js';
import { initialize } from './initializers.js';
import type { BuiltLayer, ParamSpec } from './layer.js';

export interface ParamEntry {
  /** Keras's full name, e.g. "dense_1/kernel". */
  name: string;
  shape: Shape;
  size: number;
  /** Which flat tensor holds it, and where (an element offset, a multiple of VIEW_ALIGNMENT). */
  page: number;
  offset: number;
  /** Which layer declared it, and how. */
  layer: number;
  spec: ParamSpec;
}

const aligned = (n: number) => Math.ceil(n / VIEW_ALIGNMENT) * VIEW_ALIGNMENT;

/**
 * Where each parameter lives: in layer order, each in declared order
 * (Keras's getWeights order), a new page when the current one is full.
 * Refuses a parameter larger than a tensor may be, naming its layer.
 */
export function layoutParams(layers: readonly BuiltLayer[], maxTensorBytes: number, backend: string): { entries: ParamEntry[]; pages: number[] } {
  const perPage = Math.floor(maxTensorBytes / 4 / VIEW_ALIGNMENT) * VIEW_ALIGNMENT;
  const entries: ParamEntry[] = [];
  const pages = [0];
  layers.forEach((l, layer) => {
    for (const p of l.params) {
      const size = p.shape.reduce((n, d) => n * d, 1);
      if (aligned(size) > perPage) {
        throw new TensorLimitError(
          `sequential: layer '${l.name}' needs a ${p.name} of shape ${formatShape(p.shape)}: ${size.toLocaleString('en-US')} values ` +
            `(${formatBytes(size * 4)}), over the ${backend} backend's limit of ${formatBytes(maxTensorBytes)} per tensor`,
        );
      }
      if (pages[pages.length - 1]! + aligned(size) > perPage) pages.push(0);
      const page = pages.length - 1;
      entries.push({ name: `${l.name}/${p.name}`, shape: p.shape, size, page, offset: pages[page]!, layer, spec: p });
      pages[page]! += aligned(size);
    }
  });
  return { entries, pages: pages.map((n) => Math.max(n, VIEW_ALIGNMENT)) };
}

/** Flat tensors in the store's layout (one per page), and a view per parameter. */
export class FlatTensors {
  readonly views: Tensor[];
  constructor(
    readonly pages: readonly Tensor[],
    entries: readonly ParamEntry[],
    backend: Backend,
  ) {
    this.views = entries.map((e) => backend.view(pages[e.page]!, e.shape, e.offset));
  }

  dispose(): void {
    for (const p of this.pages) p.dispose();
  }
}

export class ParamStore {
  readonly entries: ParamEntry[];
  /** Elements of each page. */
  readonly pageLengths: number[];
  readonly values: FlatTensors;
  /** Views of one layer's parameters, in declared order. */
  private readonly byLayer: number[][];

  constructor(
    readonly backend: Backend,
    layers: readonly BuiltLayer[],
    rng: Random,
  ) {
    const { entries, pages } = layoutParams(layers, backend.maxTensorBytes, backend.name);
    this.entries = entries;
    this.pageLengths = pages;
    // Drawn in getWeights order: the same seed gives the same weights on every backend.
    const initial = pages.map((n) => new Float32Array(n));
    for (const { spec, size, page, offset } of entries) initial[page]!.set(initialize(spec.initializer, spec.fanIn, spec.fanOut, size, rng), offset);
    this.values = this.allocate((length, i) => backend.tensor(initial[i]!, [length]));
    this.byLayer = layers.map((_, l) => entries.flatMap((e, i) => (e.layer === l ? [i] : [])));
  }

  /** One tensor per page (the model's own: no tidy() scope disposes it); if one cannot be made, the ones made are freed. */
  private allocate(make: (length: number, page: number) => Tensor): FlatTensors {
    return untracked(() => this.allocatePages(make));
  }

  private allocatePages(make: (length: number, page: number) => Tensor): FlatTensors {
    const made: Tensor[] = [];
    try {
      this.pageLengths.forEach((n, i) => made.push(make(n, i)));
    } catch (e) {
      for (const t of made) t.dispose();
      throw e;
    }
    return new FlatTensors(made, this.entries, this.backend);
  }

  /** Zeros in the store's layout: gradients, optimizer state. */
  zeros(): FlatTensors {
    return this.allocate((n) => this.backend.zeros([n]));
  }

  of(layer: number, t: FlatTensors = this.values): Tensor[] {
    return this.byLayer[layer]!.map((i) => t.views[i]!);
  }

  /** Every parameter's values, in getWeights order: one readback per page. */
  async read(): Promise<Float32Array[]> {
    const pages = await Promise.all(this.values.pages.map((p) => p.data()));
    return this.entries.map((e) => pages[e.page]!.slice(e.offset, e.offset + e.size));
  }

  /** Replaces every parameter's values: one upload per page. */
  write(values: readonly Float32Array[]): void {
    const pages = this.pageLengths.map((n) => new Float32Array(n));
    this.entries.forEach((e, i) => pages[e.page]!.set(values[i]!, e.offset));
    pages.forEach((p, i) => this.backend.write(this.values.pages[i]!, p));
  }

  dispose(): void {
    this.values.dispose();
  }
}
