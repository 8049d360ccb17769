// Every control in the URL's hash, as TensorFlow Playground keeps it: the hash
// is rewritten on each change and read back on load, so a link reproduces the
// exact run (same data, same seed, same model). The hash names controls by
// short keys and holds their values as the controls show them; a value a
// control cannot take is left out rather than guessed at.
import { byId } from './dom.js';
import { FEATURE_NAMES, isFeatureName, orderedFeatures } from './features.js';

/** A hash key and the control it stands for. `features` is the set of feature checkboxes. */
interface UrlField {
  key: string;
  id: string;
  kind: 'value' | 'checkbox' | 'features';
}

/** In the order they are applied: the data set first (it fills in defaults), then what it offers. */
export const URL_FIELDS: readonly UrlField[] = [
  { key: 'dataset', id: 'dataset', kind: 'value' },
  { key: 'noise', id: 'noise', kind: 'value' },
  { key: 'points', id: 'train-size', kind: 'value' },
  { key: 'ratio', id: 'train-ratio', kind: 'value' },
  { key: 'features', id: 'features', kind: 'features' },
  { key: 'network', id: 'architecture', kind: 'value' },
  { key: 'layers', id: 'layers', kind: 'value' },
  { key: 'activation', id: 'activation', kind: 'value' },
  { key: 'loss', id: 'loss-fn', kind: 'value' },
  { key: 'optimizer', id: 'optimizer', kind: 'value' },
  { key: 'lr', id: 'lr', kind: 'value' },
  { key: 'reg', id: 'regularization', kind: 'value' },
  { key: 'regRate', id: 'regularization-rate', kind: 'value' },
  { key: 'mode', id: 'mode', kind: 'value' },
  { key: 'batch', id: 'batch-size', kind: 'value' },
  { key: 'epochs', id: 'epochs', kind: 'value' },
  { key: 'seed', id: 'seed', kind: 'value' },
  { key: 'backend', id: 'backend', kind: 'value' },
  { key: 'discretize', id: 'discretize', kind: 'checkbox' },
];

/** Control values by hash key, as strings. */
export type UrlState = Record<string, string>;

const KEYS = new Set(URL_FIELDS.map((f) => f.key));

/** The hash for a state, without the '#': key=value pairs in URL_FIELDS order; commas stay readable. */
export function encodeState(state: UrlState): string {
  return URL_FIELDS.filter((f) => state[f.key] !== undefined)
    .map((f) => `${f.key}=${encodeURIComponent(state[f.key]!).replace(/%2C/gi, ',')}`)
    .join('&');
}

/** The known keys of a hash ('#' optional); `unknown` lists the keys it does not know. */
export function decodeState(hash: string): { state: UrlState; unknown: string[] } {
  const state: UrlState = {};
  const unknown: string[] = [];
  for (const [k, v] of new URLSearchParams(hash.replace(/^#/, ''))) {
    if (KEYS.has(k)) state[k] = v;
    else unknown.push(k);
  }
  return { state, unknown };
}

/** The features value: known names in the page's order, or undefined when it names one that is not a feature. */
export function parseFeatureList(v: string): string[] | undefined {
  const names = v === '' ? [] : v.split(',');
  return names.every(isFeatureName) ? orderedFeatures(names) : undefined;
}

// ---- the controls ----------------------------------------------------------------------

/** Every control's current value. */
export function readControls(): UrlState {
  const state: UrlState = {};
  for (const f of URL_FIELDS) {
    if (f.kind === 'features') state[f.key] = FEATURE_NAMES.filter((n) => byId<HTMLInputElement>(`feature-${n}`).checked).join(',');
    else if (f.kind === 'checkbox') state[f.key] = byId<HTMLInputElement>(f.id).checked ? '1' : '0';
    else state[f.key] = byId<HTMLInputElement | HTMLSelectElement>(f.id).value;
  }
  return state;
}

/** Whether a control accepts a value: a select only one of its enabled options, a number input a number. */
function accepts(el: HTMLInputElement | HTMLSelectElement, v: string): boolean {
  if (el instanceof HTMLSelectElement) return Array.from(el.options).some((o) => o.value === v && !o.disabled);
  if (el.type === 'number' || el.type === 'range') return v.trim() !== '' && Number.isFinite(Number(v));
  return true;
}

/**
 * Puts a state into the controls, except the data set (the caller switches
 * to it first, so its defaults and loss choices are in place). Returns the
 * keys whose values the controls could not take; those keep their values.
 */
export function applyControls(state: UrlState): string[] {
  const rejected: string[] = [];
  for (const f of URL_FIELDS) {
    const v = state[f.key];
    if (v === undefined || f.key === 'dataset') continue;
    if (f.kind === 'features') {
      const chosen = parseFeatureList(v);
      if (!chosen) rejected.push(f.key);
      else for (const n of FEATURE_NAMES) byId<HTMLInputElement>(`feature-${n}`).checked = chosen.includes(n);
    } else if (f.kind === 'checkbox') {
      if (v !== '0' && v !== '1') rejected.push(f.key);
      else byId<HTMLInputElement>(f.id).checked = v === '1';
    } else {
      const el = byId<HTMLInputElement | HTMLSelectElement>(f.id);
      if (accepts(el, v)) el.value = v;
      else rejected.push(f.key);
    }
  }
  return rejected;
}

/** The hash the controls stand for now, without the '#'. */
export const controlsHash = (): string => encodeState(readControls());

/** Rewrites the hash from the controls without a history entry per change (the back button leaves the page, as before). */
export function writeHash(): string {
  const hash = controlsHash();
  if (location.hash.replace(/^#/, '') !== hash) history.replaceState(null, '', `#${hash}`);
  return hash;
}
