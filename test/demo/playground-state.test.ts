// The demo's pure Playground parts, without a browser: the URL hash round
// trip, the feature maps, the train/test split and the regression sets.
import { describe, expect, it } from 'vitest';
import { bumpsAt, bumpsSet, curveSet, toyData, trainCount } from '../../demo/src/data.js';
import { FEATURE_NAMES, mapFeatures, orderedFeatures } from '../../demo/src/features.js';
import { PRESETS } from '../../demo/src/presets.js';
import type { Settings } from '../../demo/src/settings.js';
import { decodeState, encodeState, parseFeatureList, URL_FIELDS } from '../../demo/src/url-state.js';

const settings = (over: Partial<Settings>): Settings => ({
  dataset: 'spiral', noise: 0.1, trainSize: 600, trainRatio: 0.5, features: ['x1', 'x2'], hidden: [], activation: 'relu', loss: 'binaryCrossentropy',
  optimizer: 'adam', learningRate: 0.01, regularization: 'none', regularizationRate: 0.001, mode: 'minibatch', batchSize: 16, epochs: 10, seed: 1, backend: 'cpu', ...over,
});

describe('demo URL state', () => {
  it('a state survives encode → decode, in URL_FIELDS order, commas readable, odd characters escaped', () => {
    const state = { seed: '7', dataset: 'moons', layers: '64,dropout0.3,64', features: 'x1,x2,x1sq', lr: '0.03', discretize: '1', activation: 'a&b=c #d' };
    const hash = encodeState(state);
    expect(hash.startsWith('dataset=moons&')).toBe(true);
    expect(hash).toContain('layers=64,dropout0.3,64');
    expect(hash).toContain('activation=a%26b%3Dc%20%23d');
    expect(decodeState(`#${hash}`)).toEqual({ state, unknown: [] });
    expect(decodeState('#dataset=xor&colour=red')).toEqual({ state: { dataset: 'xor' }, unknown: ['colour'] });
  });

  it('the features value: known names in the page order, or undefined', () => {
    expect(parseFeatureList('x2sq,x1')).toEqual(['x1', 'x2sq']);
    expect(parseFeatureList('')).toEqual([]);
    expect(parseFeatureList('x1,x3')).toBeUndefined();
  });

  it('every preset names only controls the hash knows', () => {
    const keys = new Set(URL_FIELDS.map((f) => f.key));
    for (const p of Object.values(PRESETS)) for (const k of Object.keys(p)) expect(keys.has(k), k).toBe(true);
  });
});

describe('demo features', () => {
  it('maps points to the chosen features, row by row', () => {
    const points = Float32Array.from([0.5, -2, 1, 0]);
    expect(Array.from(mapFeatures(points, FEATURE_NAMES))).toEqual(
      Array.from(Float32Array.from([0.5, -2, 0.25, 4, -1, Math.sin(0.5), Math.sin(-2), 1, 0, 1, 0, 0, Math.sin(1), 0])),
    );
    expect(Array.from(mapFeatures(points, ['x2sq']))).toEqual([4, 0]);
    expect(orderedFeatures(['sinx2', 'x1', 'x1'])).toEqual(['x1', 'sinx2']);
    expect(() => mapFeatures(points, [])).toThrow(/at least one/);
  });
});

describe('demo data', () => {
  it('splits the drawn points by the ratio; the default 600 at 50% trains on the points a 300-point draw gives', () => {
    expect([trainCount(600, 0.5), trainCount(10, 0.9), trainCount(10, 0.01), trainCount(10, 0.99)]).toEqual([300, 9, 1, 9]);
    const half = toyData(settings({}));
    const small = toyData(settings({ trainSize: 300, trainRatio: 0.9 }));
    expect([half.train.size, half.validation.size]).toEqual([300, 300]);
    expect(Array.from(half.train.x.subarray(0, 540))).toEqual(Array.from(small.train.x.subarray(0, 540)));
    const squares = toyData(settings({ features: ['x1sq', 'x1x2'] }));
    expect(squares.features).toBe(2);
    const [a, b] = [half.train.points![0]!, half.train.points![1]!];
    expect(squares.train.x[0]).toBeCloseTo(a * a, 6);
    expect(squares.train.x[1]).toBeCloseTo(a * b, 6);
  });

  it('regression sets: seeded, targets near the true function, one input on the curve', () => {
    expect(curveSet(50, 0.1, 3)).toEqual(curveSet(50, 0.1, 3));
    const clean = curveSet(100, 0, 3);
    for (let i = 0; i < 100; i++) expect(clean.targets[i]).toBeCloseTo(0.8 * Math.sin(3.5 * clean.points[i]!), 5);
    const bumps = bumpsSet(100, 0, 4);
    expect(bumps.targets[7]).toBeCloseTo(bumpsAt(bumps.points[14]!, bumps.points[15]!), 5);
    expect(bumpsAt(-0.6, 0.45)).toBeGreaterThan(0.85);
    expect(bumpsAt(0, 0.45)).toBeLessThan(-0.85);
    const curve = toyData(settings({ dataset: 'curve', trainSize: 200, trainRatio: 0.7, loss: 'meanSquaredError' }));
    expect([curve.features, curve.train.size, curve.validation.size, curve.regression, curve.space?.dims]).toEqual([1, 140, 60, true, 1]);
    expect(curve.train.targets).toHaveLength(140);
  });
});
