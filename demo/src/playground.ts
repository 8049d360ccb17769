// The TensorFlow-Playground parts of the page: the settings kept in the link,
// presets, the train/test ratio and feature controls, discretized output and
// the first layer's weight norm. main.ts owns the model and the queue; this
// module only touches controls and calls back through PlaygroundHooks.
import { byId, setText } from './dom.js';
import { isPresetName, PRESETS } from './presets.js';
import { isMnist, isPlane, isRegression, type DatasetName } from './settings.js';
import { applyControls, controlsHash, decodeState, writeHash, type UrlState } from './url-state.js';
import type { BoundaryView } from './views/boundary.js';

export interface PlaygroundHooks {
  boundary: BoundaryView;
  /** Selects a data set as the visitor would (its kind's defaults filled in). */
  switchDataset(name: string): void;
  syncLabels(): void;
  /** Redraws the views from the current model, when one is idle. */
  redraw(): void;
  /** Rebuilds the model from the controls; `because` names what changed. */
  restart(because: string): void;
}

/** Puts a state (a link's hash, a preset) into the controls: the data set first, then the rest. Returns the keys it could not use. */
function applyState(state: UrlState, hooks: Pick<PlaygroundHooks, 'switchDataset' | 'syncLabels' | 'boundary'>): string[] {
  const rejected: string[] = [];
  const dataset = state.dataset;
  if (dataset !== undefined) {
    const known = Array.from(byId<HTMLSelectElement>('dataset').options).some((o) => o.value === dataset);
    if (known) hooks.switchDataset(dataset);
    else rejected.push('dataset');
  }
  rejected.push(...applyControls(state));
  hooks.boundary.discretize = byId<HTMLInputElement>('discretize').checked;
  hooks.syncLabels();
  return rejected;
}

/** Says which of a link's values the page could not use, beside the link button (a visitor's typo is not an error of the page). */
function reportRejected(keys: string[], unknown: string[]): void {
  const parts = [...keys.map((k) => `${k} (not a value this page offers)`), ...unknown.map((k) => `${k} (not a setting)`)];
  setText('copy-link-result', parts.length ? `The link's ${parts.join(', ')} left as it was.` : '');
}

/** Applies the page's hash, if any, to the controls: called once at start, after the default backend is chosen, so a link's backend wins. */
export function applyHashOnLoad(hooks: Pick<PlaygroundHooks, 'switchDataset' | 'syncLabels' | 'boundary'>): void {
  if (location.hash.length <= 1) return;
  const { state, unknown } = decodeState(location.hash);
  reportRejected(applyState(state, hooks), unknown);
}

/** Labels and visibility that follow the data set and the ratio. */
export function syncPlayground(): void {
  const dataset = byId<HTMLSelectElement>('dataset').value as DatasetName;
  const ratio = Number(byId<HTMLInputElement>('train-ratio').value);
  setText('train-ratio-value', `${ratio}% / ${100 - ratio}%`);
  // For the drawn sets the slider counts train and test points together; for the digits, the training digits alone.
  const sizeLabel = byId('train-size').closest('label')!.firstChild!;
  sizeLabel.textContent = isMnist({ dataset }) ? 'training samples ' : 'points ';
  const plane = isPlane({ dataset });
  document.querySelectorAll<HTMLElement>('.plane-only').forEach((el) => (el.hidden = !plane));
  const regularized = byId<HTMLSelectElement>('regularization').value !== 'none';
  byId<HTMLSelectElement>('regularization-rate').disabled = !regularized;
  byId('controls').querySelector('.reg-rate')!.classList.toggle('off', !regularized);
  // A number to predict has no accuracy: its chart is hidden, and the stat stays '–'. Nor classes to name in the legend.
  const regression = isRegression({ dataset });
  byId('acc-panel').hidden = regression;
  document.querySelectorAll<HTMLElement>('.legend .c0, .legend .c1').forEach((el) => (el.hidden = regression));
}

/** √Σw² of the first layer's kernel: L2 pulls it down, and the page shows by how much. */
export function showWeightNorm(kernel: Float32Array | undefined): void {
  let sum = 0;
  for (const v of kernel ?? []) sum += v * v;
  setText('weight-norm', kernel ? Math.sqrt(sum).toFixed(4) : '–');
}

async function copyLink(): Promise<void> {
  const href = `${location.origin}${location.pathname}${location.search}#${writeHash()}`;
  const out = byId('copy-link-result');
  try {
    await navigator.clipboard.writeText(href);
    out.textContent = 'copied';
  } catch {
    // No clipboard (an insecure page, a denied permission): the link to copy by hand, selected.
    const field = document.createElement('input');
    field.readOnly = true;
    field.value = href;
    field.dataset.testid = 'copy-link-text';
    out.replaceChildren('copy this link: ', field);
    field.select();
  }
}

export function wirePlayground(hooks: PlaygroundHooks): void {
  const form = byId<HTMLFormElement>('controls');
  const preset = byId<HTMLSelectElement>('preset');
  // On the select itself, so the preset's values are in place before the form's handler rebuilds the model.
  preset.addEventListener('change', () => {
    if (isPresetName(preset.value)) applyState(PRESETS[preset.value], hooks);
  });
  form.addEventListener('input', (e) => {
    if ((e.target as HTMLElement).id === 'train-ratio') syncPlayground();
  });
  // After the form's own handler: the hash records the controls as that left them.
  form.addEventListener('change', (e) => {
    if ((e.target as HTMLElement).id !== 'preset') preset.value = '';
    hooks.syncLabels();
    writeHash();
  });
  byId<HTMLInputElement>('discretize').addEventListener('change', (e) => {
    hooks.boundary.discretize = (e.target as HTMLInputElement).checked;
    writeHash();
    hooks.redraw();
  });
  byId('copy-link').addEventListener('click', () => void copyLink());
  // A hash typed or pasted into the address bar: the run it describes.
  let last = location.hash;
  window.addEventListener('hashchange', () => {
    if (location.hash === last || location.hash.replace(/^#/, '') === controlsHash()) return;
    last = location.hash;
    const { state, unknown } = decodeState(location.hash);
    reportRejected(applyState(state, hooks), unknown);
    hooks.restart('the link');
  });
}
