// Flatten: each sample's values as one vector, in row-major (NHWC) order. A
// view of the same memory, not a copy; its backward pass is the reverse view.
import type { Shape } from '../../tensor.js';
import { checkInputShape, type BuiltLayer, type Layer } from '../layer.js';

export interface FlattenConfig {
  inputShape?: readonly number[];
  name?: string;
}

/** Reshapes each sample to one row. Made by {@link flatten}. */
export class Flatten implements Layer {
  readonly className = 'Flatten';
  readonly defaultNamePrefix = 'flatten';
  readonly inputShape: Shape | undefined;
  readonly name: string | undefined;

  constructor(config: FlattenConfig = {}) {
    this.inputShape = checkInputShape(`flatten(${config?.name ? `'${config.name}'` : ''})`, config.inputShape);
    this.name = config.name;
  }

  build(inputShape: Shape, name: string): BuiltLayer {
    const size = inputShape.reduce((n, d) => n * d, 1);
    return {
      layer: this,
      name,
      inputShape,
      outputShape: [size],
      params: [],
      activation: 'linear',
      reshapeOnly: true,
      usesStep: false,
      forward: ({ backend: b, x }) => ({ y: b.view(x, [x.shape[0]!, size]) }),
      backward: ({ backend: b, x, dy, needInputGradient }) => (needInputGradient ? b.view(dy, x.shape) : undefined),
    };
  }

  getConfig(): Record<string, unknown> {
    return { data_format: 'channels_last' };
  }

  describe(): string {
    return 'flatten';
  }
}

/** Flattens each sample to one row, e.g. `[7, 7, 64]` to `[3136]`, so a dense layer can follow convolutions. A view of the same memory, not a copy. */
export function flatten(config: FlattenConfig = {}): Flatten {
  return new Flatten(config);
}
