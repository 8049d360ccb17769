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
  /** Adam's learning rate when --lr is not given (otherwise the optimizer's default). */
  adamLearningRate?: number;
}

export const MODEL_PRESETS: Record<ModelPreset, Preset> = {
  mlp: { help: 'dense layers: 128 on MNIST, 16,16 on the others', layers: '128', otherLayers: '16,16', epochs: { mnist: 10, other: 100 } },
  // Keras's "simple MNIST convnet": 98.0% held-out on the fixed split after 6 epochs of Adam at 0.002.
  cnn: {
    help: "Keras's simple convnet for images (MNIST): conv32x3,maxpool2,conv64x3,maxpool2,flatten,dropout0.5; adam lr 0.002, 6 epochs",
    layers: 'conv32x3,maxpool2,conv64x3,maxpool2,flatten,dropout0.5',
    epochs: { mnist: 6, other: 6 },
    adamLearningRate: 0.002,
  },
};
