// Saving and loading the page's model: a download in the TensorFlow.js layers
// format (model.json + weights.bin, through model.save('downloads://…')), the
// same files picked back in (through loadModel's file list), and the last
// trained model kept in IndexedDB with the controls it trained under, so a
// reload can bring it back. A loaded model keeps its weights: the controls are
// set to describe it, and it must fit the chosen data set before anything trains.
import {
  formatLayers,
  getBackend,
  loadModel,
  outputLayerFor,
  tensor,
  toArtifacts,
  type Backend,
  type LayerSpec,
  type LossName,
  type ModelArtifacts,
  type PickedFile,
  type Sequential,
} from '../../src/index.js';
import { taskOf, type Prepared } from './data.js';
import { byId, setText } from './dom.js';
import type { Session } from './session.js';
import { readSettings } from './settings.js';

/** Where the last trained model lives (TensorFlow.js's IndexedDB layout), and the controls it trained under. */
export const LAST_MODEL = 'indexeddb://webgpu-train-demo-last';
const LAST_CONTROLS = 'webgpu-train-demo-last-controls';

/** Builds the session's model from a loaded one instead of new weights: checked against the data first. */
export type ModelSource = (backend: Backend, data: Prepared, dataset: string) => Promise<Sequential>;

/** What main.ts lends this module. */
export interface PageHooks {
  session(): Session | undefined;
  serial(action: () => Promise<void>): Promise<void>;
  /** Rebuilds the session from the controls, with `load` supplying the model when given. */
  reset(load?: ModelSource): Promise<void>;
  setStatus(text: string): void;
  showError(e: unknown): void;
  clearError(): void;
  /** Selects a data set as the visitor would: the controls that suit it are filled in. */
  switchDataset(name: string): void;
  syncLabels(): void;
}

// ---- from a model to the page's controls ------------------------------------------------

const PAGE_ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'linear'];
const PAGE_OPTIMIZERS = ['adam', 'sgd', 'momentum'] as const;

export interface ModelControls {
  layers: string;
  /** The hidden layers' one activation, when they share one the page offers. */
  activation?: string;
  loss: LossName;
  optimizer: (typeof PAGE_OPTIMIZERS)[number];
  learningRate?: number;
  /** What the page could not take over as saved. */
  notes: string[];
}

const first = (v: unknown): number => (Array.isArray(v) ? Number(v[0]) : Number(v));

/** The page's controls that describe a model: its hidden layers as text, activation, loss and optimizer. */
export function controlsOf(model: Sequential, where: string): ModelControls {
  const info = model.layerInfo();
  const out = info[info.length - 1]!;
  if (out.className !== 'Dense') throw new Error(`load: ${where}: the last layer is a ${out.className}; the page needs a dense output layer`);
  const hidden = info.slice(0, -1);
  const acts = hidden.filter((l) => l.className === 'Dense' || l.className === 'Conv2D').map((l) => l.activation as string);
  const common = acts.length > 0 && acts.every((a) => a === acts[0]) && PAGE_ACTIVATIONS.includes(acts[0]!) ? acts[0] : undefined;
  const withAct = (a: string) => (a === common ? {} : { activation: a as never });
  const specs: LayerSpec[] = hidden.map((l): LayerSpec => {
    const c = l.config;
    switch (l.className) {
      case 'Dense':
        return { type: 'dense', units: Number(c.units), ...withAct(l.activation) };
      case 'Conv2D': {
        const k = c.kernel_size as number[];
        if (k[0] !== k[1]) throw new Error(`load: ${where}: layer '${l.name}' has a ${k.join('×')} kernel; the page takes square ones`);
        return { type: 'conv2d', filters: Number(c.filters), kernelSize: k[0]!, strides: first(c.strides), padding: c.padding as 'same' | 'valid', ...withAct(l.activation) };
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D':
        return { type: l.className === 'MaxPooling2D' ? 'maxPooling2d' : 'averagePooling2d', poolSize: first(c.pool_size), strides: first(c.strides), padding: c.padding as 'same' | 'valid' };
      case 'Flatten':
        return { type: 'flatten' };
      case 'Dropout':
        return { type: 'dropout', rate: Number(c.rate) };
      default:
        throw new Error(`load: ${where}: the page cannot show a ${l.className} layer ('${l.name}')`);
    }
  });
  const notes: string[] = [];
  const compiled = model.compileConfig;
  const units = out.outputShape[0];
  const loss: LossName =
    compiled?.loss ?? (out.activation === 'sigmoid' && units === 1 ? 'binaryCrossentropy' : out.activation === 'softmax' ? 'categoricalCrossentropy' : 'meanSquaredError');
  let optimizer: ModelControls['optimizer'] = 'adam';
  let learningRate: number | undefined;
  if (compiled) {
    const o = compiled.optimizer;
    if (o.kind === 'adam') optimizer = 'adam';
    else if (o.kind === 'sgd') optimizer = o.momentum > 0 ? 'momentum' : 'sgd';
    else notes.push(`its ${o.kind} optimizer is not offered here; adam trains it on`);
    if (typeof o.learningRate === 'number') learningRate = o.learningRate;
  } else {
    notes.push('the file says nothing about training; adam trains it on');
  }
  return { layers: formatLayers(specs) || '0', ...(common ? { activation: common } : {}), loss, optimizer, ...(learningRate !== undefined ? { learningRate } : {}), notes };
}

/** Throws one line naming the source, the model's input shape and the data set's when the model cannot take this data. */
export function checkFits(model: Sequential, data: Prepared, dataset: string, loss: LossName, where: string): void {
  const shape = model.inputShape;
  const width = shape.reduce((a, b) => a * b, 1);
  if (width !== data.features) {
    const theirs = shape.length === 3 && data.imageShape ? data.imageShape : [data.features];
    const fits = width === 784 ? 'the MNIST digits' : width === 2 ? 'a 2-D data set' : `a data set with ${width} features`;
    throw new Error(`load: ${where}: the model's input shape is [${shape.join(', ')}] but the data set '${dataset}' has input shape [${theirs.join(', ')}]; choose ${fits} first, then load it`);
  }
  const info = model.layerInfo();
  const out = info[info.length - 1]!;
  const want = outputLayerFor(taskOf(data), loss);
  if (out.outputShape[0] !== want.units || out.activation !== want.activation) {
    throw new Error(`load: ${where}: the model ends in ${out.outputShape[0]} ${out.activation} unit(s) but the data set '${dataset}' with ${loss} needs ${want.units} ${want.activation}`);
  }
}

// ---- the controls as a record ------------------------------------------------------------

type ControlValues = Record<string, string | boolean>;

/** Every control of the form by id (not the backend, which stays the page's choice, nor the file picker). */
function readControls(): ControlValues {
  const values: ControlValues = {};
  for (const el of Array.from(byId<HTMLFormElement>('controls').elements)) {
    if (!(el instanceof HTMLInputElement || el instanceof HTMLSelectElement) || !el.id || el.id === 'backend') continue;
    if (el instanceof HTMLInputElement && (el.type === 'file' || el.type === 'button')) continue;
    values[el.id] = el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio') ? el.checked : el.value;
  }
  return values;
}

/** Sets a select to a value, adding the option when the list lacks it (a learning rate the file brought). */
function setSelect(id: string, value: string): void {
  const select = byId<HTMLSelectElement>(id);
  if (!Array.from(select.options).some((o) => o.value === value)) {
    const o = document.createElement('option');
    o.value = o.textContent = value;
    select.append(o);
  }
  select.value = value;
}

function applyControls(values: ControlValues): void {
  for (const [id, v] of Object.entries(values)) {
    const el = document.getElementById(id);
    if (el instanceof HTMLInputElement && typeof v === 'boolean') el.checked = v;
    else if (el instanceof HTMLSelectElement && typeof v === 'string') setSelect(id, v);
    else if (el instanceof HTMLInputElement && typeof v === 'string') el.value = v;
  }
}

/** The model's controls on the page; throws (before anything changes) when the loss is not offered for the data set. */
function applyModelControls(c: ModelControls, where: string): void {
  const loss = byId<HTMLSelectElement>('loss-fn');
  if (!Array.from(loss.options).some((o) => o.value === c.loss)) throw new Error(`load: ${where}: its loss ${c.loss} is not offered for the data set '${byId<HTMLSelectElement>('dataset').value}'`);
  byId<HTMLInputElement>('layers').value = c.layers;
  if (c.activation) byId<HTMLSelectElement>('activation').value = c.activation;
  loss.value = c.loss;
  byId<HTMLSelectElement>('optimizer').value = c.optimizer;
  if (c.learningRate !== undefined) setSelect('lr', String(c.learningRate));
}

// ---- the last trained model in IndexedDB -------------------------------------------------

interface LastRecord {
  controls: ControlValues;
  epochs: number;
  summary: string;
  savedAt: string;
}

function readLast(): LastRecord | undefined {
  try {
    const r = JSON.parse(localStorage.getItem(LAST_CONTROLS) ?? 'null') as LastRecord | null;
    return r && typeof r.controls === 'object' && typeof r.epochs === 'number' ? r : undefined;
  } catch {
    return undefined;
  }
}

const sameSettings = (s: Session): boolean => {
  try {
    return JSON.stringify({ ...readSettings(), epochs: 0, backend: '' }) === JSON.stringify({ ...s.settings, epochs: 0, backend: '' });
  } catch {
    return false;
  }
};

/**
 * Keeps the session's model as the last trained one, with the controls it
 * trained under. Skipped when the controls have moved on since it was built
 * (a rebuild is on its way). Never throws: storage is a convenience.
 */
export async function rememberLast(s: Session): Promise<void> {
  if (!sameSettings(s)) return;
  const hint = byId('persist-hint');
  try {
    await s.model.save(LAST_MODEL);
    const summary = `${s.settings.dataset}, hidden ${byId<HTMLInputElement>('layers').value || 'none'}, ${s.epochs} epoch${s.epochs === 1 ? '' : 's'}`;
    const record: LastRecord = { controls: readControls(), epochs: s.epochs, summary, savedAt: new Date().toISOString() };
    localStorage.setItem(LAST_CONTROLS, JSON.stringify(record));
    hint.textContent = `Kept in this browser as the last model (${summary}): after a reload, "restore last model" brings it back.`;
  } catch (e) {
    hint.textContent = `The last model could not be kept in this browser: ${(e as Error).message}`;
  }
}

// ---- wiring ------------------------------------------------------------------------------

let cpu: Backend | undefined;

async function filesModel(files: PickedFile[]): Promise<{ model: Sequential; where: string }> {
  cpu ??= await getBackend('cpu');
  const where = files.map((f) => f.name).join(' + ');
  return { model: await loadModel(files, { backend: cpu }), where };
}

/** A saved model (artifacts in memory, or a stored one's URL), loaded onto whichever backend the session uses, checked against its data. */
function fromSaved(source: ModelArtifacts | string, loss: LossName, where: string): ModelSource {
  return async (backend, data, dataset) => {
    const m = await loadModel(source, { backend });
    try {
      checkFits(m, data, dataset, loss, where);
    } catch (e) {
      m.dispose();
      throw e;
    }
    return m;
  };
}

export function wirePersistence(page: PageHooks): void {
  const save = byId<HTMLButtonElement>('save-model');
  const input = byId<HTMLInputElement>('load-model');
  const restore = byId<HTMLButtonElement>('restore-model');

  save.addEventListener('click', () => {
    void page.serial(async () => {
      const s = page.session();
      if (!s) throw new Error('save: there is no model yet');
      const name = `webgpu-train-${s.settings.dataset}`;
      const r = await s.model.save(`downloads://${name}`);
      setText('persist-hint', `Downloaded ${r.location} (epoch ${s.epochs}). "load model" takes both files back, here or in another browser; TensorFlow.js's tf.loadLayersModel reads them too.`);
    });
  });

  // The picker lives in the controls form, whose change events rebuild the model: this one only loads.
  input.addEventListener('change', (e) => {
    e.stopPropagation();
    const files = Array.from(input.files ?? []);
    input.value = '';
    if (files.length === 0) return;
    void page.serial(() => loadPicked(page, files));
  });

  restore.addEventListener('click', () => {
    void page.serial(() => restoreLast(page));
  });

  const last = readLast();
  if (last) {
    restore.hidden = false;
    restore.title = `${last.summary}, kept ${new Date(last.savedAt).toLocaleString()}`;
    setText('persist-hint', `This browser keeps the last model trained here (${last.summary}). The page starts fresh; "restore last model" brings that one back with its settings.`);
  }

  // A small read of the model's answers, for checking that a loaded model predicts what the saved one did.
  (window as unknown as { webgpuTrainDemo: unknown }).webgpuTrainDemo = {
    predictions: (rows = 64) => predictions(page, rows),
  };
}

async function loadPicked(page: PageHooks, files: File[]): Promise<void> {
  page.clearError();
  page.setStatus('loading the model…');
  let loaded: { model: Sequential; where: string } | undefined;
  try {
    loaded = await filesModel(files);
    const { model, where } = loaded;
    const controls = controlsOf(model, where);
    const dataset = byId<HTMLSelectElement>('dataset').value;
    const current = page.session();
    // Checked against the data now, so a model that does not fit leaves the page as it was.
    if (current && current.settings.dataset === dataset) checkFits(model, current.prepared, dataset, controls.loss, where);
    applyModelControls(controls, where);
    page.syncLabels();
    const artifacts = await toArtifacts(model);
    await page.reset(fromSaved(artifacts, controls.loss, where));
    const note = controls.notes.length > 0 ? ` (${controls.notes.join('; ')})` : '';
    page.setStatus(`ready — loaded ${where}: its weights, not new ones${note}`);
    setText('persist-hint', `Loaded ${where}: the controls now describe it; training goes on from its weights.`);
  } catch (e) {
    page.showError(e);
    // The model in the page is still the one that was there.
    page.setStatus(page.session() ? 'ready — nothing loaded' : 'stopped by an error');
  } finally {
    loaded?.model.dispose();
  }
}

async function restoreLast(page: PageHooks): Promise<void> {
  const last = readLast();
  if (!last) throw new Error('restore: this browser keeps no last model');
  page.clearError();
  page.setStatus('restoring the last model…');
  const dataset = String(last.controls.dataset ?? byId<HTMLSelectElement>('dataset').value);
  page.switchDataset(dataset);
  applyControls(last.controls);
  page.syncLabels();
  const loss = byId<HTMLSelectElement>('loss-fn').value as LossName;
  await page.reset(fromSaved(LAST_MODEL, loss, LAST_MODEL));
  const s = page.session();
  if (s) {
    s.epochs = last.epochs;
    setText('epoch', String(last.epochs));
  }
  page.setStatus(`ready — restored the last model (${last.summary})`);
  setText('persist-hint', `Restored the last model from this browser (${last.summary}); training goes on from its weights.`);
}

async function predictions(page: PageHooks, rows: number): Promise<number[]> {
  const s = page.session();
  if (!s) throw new Error('no model yet');
  let out: number[] = [];
  await s.withModel(async () => {
    const f = s.prepared.features;
    const n = Math.min(rows, s.prepared.validation.size);
    const x = tensor(s.prepared.validation.x.subarray(0, n * f), [n, f]);
    const y = await s.model.predict(x);
    out = Array.from(await y.data());
    y.dispose();
    x.dispose();
  });
  return out;
}
