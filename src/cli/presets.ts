// The models --model names: the hidden layers (the output layer comes from
// the task and the loss, see nn/spec.ts) and the epochs they train by default.

export type ModelPreset = 'mlp' | 'cnn';

export interface Preset {
  help: string;
  /** Hidden layers in the --layers form, for MNIST and for the other data sets. */
  layers: string;
  otherLayers?: string;
  /** Default epochs on MNIST and on the other data sets. */
  epochs: { mnist: number; other: number };
}

export const MODEL_PRESETS: Record<ModelPreset, Preset> = {
  mlp: { help: 'dense layers: 128 on MNIST, 16,16 on the others', layers: '128', otherLayers: '16,16', epochs: { mnist: 10, other: 100 } },
  cnn: {
    help: 'a convolutional network for images (MNIST): conv16x3,maxpool2,conv32x3,maxpool2,flatten,128',
    layers: 'conv16x3,maxpool2,conv32x3,maxpool2,flatten,128',
    epochs: { mnist: 8, other: 8 },
  },
};
