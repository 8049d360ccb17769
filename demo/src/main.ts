// The page: wires the controls to a training Session and the views.
//
// Every action that rebuilds or trains goes through one queue, so a click
// during training never races the model it replaces; pausing is the
// exception, since it must reach the run that is in progress.
import { backendFor, defaultBackend, firstGpuRun, probeWebGpu, reasonAfterCompare, type GpuProbe } from './backends.js';
import { comparePlan, timeOn, type CompareRun } from './compare.js';
import { mnistData, toyData } from './data.js';
import { byId, fmt, fmtRate, setText } from './dom.js';
import { DEFAULTS, isMnist, kindOf, lossChoices, MNIST_NETWORKS, readSettings, type DataKind, type DatasetName, type MnistNetwork } from './settings.js';
import { applyHashOnLoad, showWeightNorm, syncPlayground, wirePlayground } from './playground.js';
import { writeHash } from './url-state.js';
import { rememberLast, wirePersistence, type ModelSource } from './persist.js';
import { Session, type EpochReport } from './session.js';
import { BoundaryView } from './views/boundary.js';
import { Curves } from './views/curves.js';
import { DigitGrid, DrawPad, predictDrawn, renderFeatureMaps, renderFilterImages, renderProbabilities, renderWeightImages } from './views/digits.js';

/** Views are redrawn at most this often while training; the numbers update every epoch. */
const DRAW_EVERY_MS = 120;

const curves = new Curves(byId<HTMLCanvasElement>('loss-chart'), byId<HTMLCanvasElement>('acc-chart'));
const boundary = new BoundaryView(byId<HTMLCanvasElement>('boundary'), byId('neurons'), byId('toy-title'));
const digitGrid = new DigitGrid(byId('digit-grid'));
const pad = new DrawPad(byId<HTMLCanvasElement>('draw'));

let session: Session | undefined;
let gpuAvailable = false;
let probe: GpuProbe | undefined;
let comparing = false;
let lastDraw = 0;
let drawn: Float32Array | undefined;

// ---- errors and status ------------------------------------------------------------------

function showError(e: unknown): void {
  const el = byId('error');
  el.textContent = e instanceof Error ? e.message : String(e);
  el.hidden = false;
  console.error(e);
}

function clearError(): void {
  const el = byId('error');
  el.hidden = true;
  el.textContent = '';
}

window.addEventListener('error', (e) => showError(e.error ?? e.message));
window.addEventListener('unhandledrejection', (e) => showError(e.reason));

function setStatus(text: string): void {
  setText('status', text);
  document.body.dataset.status = text.split(' ')[0]!.replace(/…$/, '');
}

function updateButtons(): void {
  const running = session?.isRunning ?? false;
  byId<HTMLButtonElement>('train').disabled = running || comparing;
  byId<HTMLButtonElement>('step').disabled = running || comparing;
  byId<HTMLButtonElement>('pause').disabled = !running;
  byId<HTMLButtonElement>('compare').disabled = running || comparing || !gpuAvailable;
}

// ---- one queue for everything that replaces or trains the model -------------------------

let queue: Promise<void> = Promise.resolve();

function serial(action: () => Promise<void>): Promise<void> {
  queue = queue.then(action).catch((e: unknown) => {
    showError(e);
    setStatus('stopped by an error');
  }).finally(updateButtons);
  return queue;
}

// ---- building a model --------------------------------------------------------------------

function setValue(id: string, v: string): void {
  byId<HTMLInputElement | HTMLSelectElement>(id).value = v;
}

/** Switching between the plane and the digits swaps in settings that suit each. */
function applyDefaults(kind: DataKind): void {
  const d = DEFAULTS[kind];
  setValue('layers', d.layers);
  setValue('activation', d.activation);
  setValue('lr', d.lr);
  setValue('batch-size', d.batch);
  setValue('epochs', d.epochs);
  setValue('architecture', 'mlp');
  const size = byId<HTMLInputElement>('train-size');
  size.min = String(d.trainSize.min);
  size.max = String(d.trainSize.max);
  size.step = String(d.trainSize.step);
  size.value = String(d.trainSize.value);
  populateLosses(kind === 'mnist' ? 'mnist' : kind === 'regression' ? 'curve' : 'spiral', d.loss);
  syncLabels();
}

function populateLosses(dataset: DatasetName, preferred: string): void {
  const select = byId<HTMLSelectElement>('loss-fn');
  const keep = select.value || preferred;
  select.replaceChildren(
    ...lossChoices(dataset).map(({ value, label }) => {
      const o = document.createElement('option');
      o.value = value;
      o.textContent = label;
      return o;
    }),
  );
  select.value = Array.from(select.options).some((o) => o.value === keep) ? keep : preferred;
}

function syncLabels(): void {
  setText('noise-value', Number(byId<HTMLInputElement>('noise').value).toFixed(2));
  setText('train-size-value', byId<HTMLInputElement>('train-size').value);
  const mini = byId<HTMLSelectElement>('mode').value === 'minibatch';
  byId<HTMLInputElement>('batch-size').disabled = !mini;
  byId('controls').querySelector('.batch-size')!.classList.toggle('off', !mini);
  const mnist = byId<HTMLSelectElement>('dataset').value === 'mnist';
  document.querySelectorAll<HTMLElement>('.toy-only').forEach((el) => (el.hidden = mnist));
  document.querySelectorAll<HTMLElement>('.mnist-only').forEach((el) => (el.hidden = !mnist));
  syncPlayground();
}

function describeModel(s: Session): string {
  const layers = [s.model.inputShape.join('×'), ...s.model.layerInfo().map((l) => l.description)];
  return `${layers.join(' → ')} · ${s.model.countParams().toLocaleString('en-US')} parameters (weights to learn)`;
}

function describeData(s: Session): string {
  const p = s.prepared;
  const step = s.batchSize;
  const steps = Math.ceil(p.train.size / step);
  const data =
    p.kind === 'mnist'
      ? `${p.train.size.toLocaleString('en-US')} of the 8,000 training digits; ${p.validation.size.toLocaleString('en-US')} held out for validation.`
      : `${p.train.size + p.validation.size} points drawn: ${p.train.size} to train on, ${p.validation.size} held out to test (validation).`;
  return `${data} ${steps} gradient step${steps === 1 ? '' : 's'} per epoch (batch of ${step}).`;
}

function clearNumbers(): void {
  setText('epoch', '0');
  setText('loss', '–');
  setText('accuracy', '–');
  setText('epochs-per-s', '–');
  setText('samples-per-s', '–');
  setText('weight-norm', '–');
  setText('val-loss', '–');
}

async function reset(load?: ModelSource): Promise<void> {
  const old = session;
  session = undefined;
  await old?.dispose();
  clearError();
  clearNumbers();
  curves.clear();
  syncLabels();
  const s = readSettings();
  writeHash();
  if (s.backend === 'webgpu' && !gpuAvailable) throw new Error('WebGPU is not available in this browser; choose the CPU backend.');
  setStatus(isMnist(s) ? 'loading digits…' : 'building…');
  const data = isMnist(s) ? await mnistData(s) : toyData(s);
  const backend = await backendFor(s.backend);
  const next = new Session(s, data, backend, load ? await load(backend, data, s.dataset) : undefined);
  session = next;
  setText('backend-name', s.backend === 'webgpu' ? 'WebGPU' : 'CPU');
  setText('model-hint', describeModel(next));
  setText('data-hint', describeData(next));
  if (data.kind === 'toy') boundary.setData(data);
  else digitGrid.setData(data.validation);
  await drawViews(next);
  setStatus('ready');
}

// ---- training ----------------------------------------------------------------------------

async function drawViews(s: Session): Promise<void> {
  lastDraw = performance.now();
  curves.draw();
  const [kernel] = await s.model.getWeights();
  showWeightNorm(kernel);
  if (s.prepared.kind === 'toy') {
    await boundary.render(s.model);
    return;
  }
  await digitGrid.render(s.model);
  const first = s.model.layerInfo()[0]!;
  const conv = first.className === 'Conv2D';
  setText('first-layer-title', conv ? 'What the first-layer filters look for' : 'What the first-layer neurons look for');
  byId('first-layer-hint').innerHTML = conv
    ? `Each square is one ${(first.config.kernel_size as number[]).join('×')} filter slid over the whole image: <span class="c1">blue</span> where ink raises its output, <span class="c0">orange</span> where ink lowers it. Together they pick out strokes and edges wherever they are.`
    : 'Each square is one hidden neuron\'s 784 input weights drawn as an image: <span class="c1">blue</span> pixels push it up, <span class="c0">orange</span> pull it down.';
  if (conv) renderFilterImages(byId('weight-images'), kernel!, s.model.weightSpecs()[0]!.shape);
  else renderWeightImages(byId('weight-images'), kernel!, first.outputShape[0]!);
  if (drawn) renderProbabilities(byId('probs'), await predictDrawn(s.model, drawn));
  await drawFeatureMaps(s);
}

/** A CNN's feature maps of the drawn digit, or of the first held-out one until something is drawn. */
async function drawFeatureMaps(s: Session): Promise<void> {
  const hasConv = s.model.layerInfo().some((l) => l.className === 'Conv2D');
  byId('maps-section').hidden = !hasConv;
  if (!hasConv) return;
  setText('maps-source', drawn ? 'your drawing' : 'the first held-out digit');
  await renderFeatureMaps(byId('feature-maps'), s.model, drawn ?? s.prepared.validation.x.subarray(0, s.prepared.features));
}

async function onEpoch(s: Session, r: EpochReport, target: number): Promise<void> {
  setText('epoch', String(r.epoch));
  setText('loss', fmt(r.logs.loss));
  setText('val-loss', fmt(r.logs.val_loss));
  setText('accuracy', fmt(r.logs.accuracy));
  const speed = s.speed();
  setText('epochs-per-s', fmtRate(speed.epochsPerSec));
  setText('samples-per-s', fmtRate(speed.samplesPerSec));
  setStatus(`training… epoch ${r.epoch} of ${target}`);
  curves.add(r.epoch, r.logs);
  if (r.last || performance.now() - lastDraw > DRAW_EVERY_MS) await drawViews(s);
}

/** Trains `epochs` more, or up to the epochs control (another round of it when already there). */
async function train(epochs?: number): Promise<void> {
  if (!session) await reset();
  const s = session!;
  const wanted = Number(byId<HTMLInputElement>('epochs').value);
  if (!Number.isInteger(wanted) || wanted < 1) throw new Error(`epochs: expected a whole number ≥ 1, got '${byId<HTMLInputElement>('epochs').value}'`);
  const more = epochs ?? (s.epochs < wanted ? wanted - s.epochs : wanted);
  const target = s.epochs + more;
  setStatus(firstGpuRun(s.backend.name) ? 'compiling shaders… (the first WebGPU run on this device builds its pipelines before epoch 1)' : `training… epoch ${s.epochs} of ${target}`);
  const run = s.run(more, {
    onEpoch: (r) => onEpoch(s, r, target),
    onProgress: (done, total) => setStatus(`training… epoch ${s.epochs + 1} of ${target}: ${Math.round((100 * done) / total)}%`),
  });
  updateButtons();
  await run;
  if (session !== s) return;
  // "done" only when the epochs control's goal is reached; "+1 epoch" and pause stop part way.
  setStatus(s.epochs >= target && epochs === undefined ? `done (epoch ${s.epochs})` : `paused after epoch ${s.epochs}`);
  await rememberLast(s);
}

// ---- compare -----------------------------------------------------------------------------

async function compare(): Promise<void> {
  if (!session) await reset();
  const s = session!;
  const out = byId('compare-result');
  comparing = true;
  updateButtons();
  try {
    const plan = comparePlan(s.settings, s.prepared);
    const runs: CompareRun[] = [];
    for (const name of ['cpu', 'webgpu'] as const) {
      out.textContent = `timing ${plan.epochs} epochs on ${name === 'cpu' ? 'the CPU' : 'WebGPU'}…`;
      setStatus(firstGpuRun(name) ? 'comparing… webgpu: compiling shaders (the first WebGPU run on this device builds its pipelines)' : `comparing… ${name}`);
      runs.push(await timeOn(name, s.settings, s.prepared, plan));
    }
    const [cpu, gpu] = runs as [CompareRun, CompareRun];
    const ratio = gpu.epochsPerSec / cpu.epochsPerSec;
    const verdict =
      ratio >= 1
        ? `WebGPU is ${ratio.toFixed(1)}× faster than the CPU here.`
        : `The CPU is ${(1 / ratio).toFixed(1)}× faster here: this model is too small to keep a GPU busy, and every epoch still pays the GPU's fixed cost. ${
            s.prepared.kind === 'mnist'
              ? 'Try wider layers (e.g. 512,512) or bigger batches (256): more work per dispatch.'
              : 'Try the MNIST digits, or wider layers and bigger batches.'
          }`;
    out.innerHTML = `
      <table>
        <tr><th>backend</th><th>epochs/s</th><th>samples/s</th><th>final loss</th></tr>
        ${runs.map((r) => `<tr><td>${r.backend === 'cpu' ? 'CPU' : 'WebGPU'}</td><td>${fmtRate(r.epochsPerSec)}</td><td>${fmtRate(r.samplesPerSec)}</td><td>${fmt(r.finalLoss)}</td></tr>`).join('')}
      </table>
      <p>WebGPU ÷ CPU: <strong data-testid="compare-ratio">${ratio.toFixed(2)}×</strong>. ${verdict}</p>
      <p class="hint">${plan.epochs} epochs on ${plan.samples.toLocaleString('en-US')} samples from the same seed; timed over epochs 2–${plan.epochs} (the first also uploads the data and compiles). The same final loss on both says it is the same math.</p>`;
    if (probe?.ok) {
      const what = `${s.settings.dataset}, ${plan.samples.toLocaleString('en-US')} samples, hidden ${byId<HTMLInputElement>('layers').value}`;
      setText('backend-reason', reasonAfterCompare(probe, { ratio, what, adapter: probe.adapter }));
    }
    setStatus('ready');
  } finally {
    comparing = false;
  }
}

// ---- wiring ------------------------------------------------------------------------------

/** Stops any run at its next epoch boundary, then rebuilds from the controls; `because` names the control that changed. */
function restart(because?: string): void {
  session?.requestPause();
  // Said at once, so nothing reads the old model's 'ready' as the new one's.
  setStatus('building…');
  void serial(async () => {
    await reset();
    if (because) setStatus(`ready — new model: weights reset because ${because} changed`);
  });
}

/** A control's name as its label shows it: "activation", "learning rate". */
function controlName(el: HTMLElement): string {
  const label = el.closest('label');
  const words = label ? Array.from(label.childNodes).filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent!.trim()).join(' ').trim() : '';
  return words || el.id;
}

/** Selects a data set as the visitor would: switching between the plane and the digits fills in settings that suit each. */
function switchDataset(name: string): void {
  const form = byId<HTMLFormElement>('controls');
  setValue('dataset', name);
  const kind = kindOf(name as DatasetName);
  if (kind !== form.dataset.kind) {
    form.dataset.kind = kind;
    byId<HTMLSelectElement>('loss-fn').value = '';
    applyDefaults(kind);
  }
}

function wire(): void {
  const form = byId<HTMLFormElement>('controls');
  form.addEventListener('submit', (e) => e.preventDefault());
  form.addEventListener('input', (e) => {
    const t = e.target as HTMLElement;
    if (t.id === 'noise' || t.id === 'train-size') syncLabels();
  });
  form.addEventListener('change', (e) => {
    const t = e.target as HTMLElement;
    // The epochs control only sets how far "train" goes; it leaves the model alone.
    if (t.id === 'epochs') return;
    // The network choice fills in its layers (which stay editable).
    if (t.id === 'architecture') setValue('layers', MNIST_NETWORKS[byId<HTMLSelectElement>('architecture').value as MnistNetwork]);
    if (t.id === 'dataset') switchDataset(byId<HTMLSelectElement>('dataset').value as DatasetName);
    restart(controlName(t));
  });
  byId('train').addEventListener('click', () => void serial(() => train()));
  byId('step').addEventListener('click', () => void serial(() => train(1)));
  byId('pause').addEventListener('click', () => session?.requestPause());
  byId('reset').addEventListener('click', () => restart());
  byId('compare').addEventListener('click', () => {
    session?.requestPause();
    void serial(compare);
  });
  byId<HTMLInputElement>('show-val').addEventListener('change', (e) => {
    boundary.showValidation = (e.target as HTMLInputElement).checked;
    if (session && !session.isRunning) void serial(() => drawViews(session!));
  });
  pad.onChange = (pixels) => {
    drawn = pixels;
    const s = session;
    if (!pixels || !s) return renderProbabilities(byId('probs'), undefined);
    s.withModel(async () => {
      renderProbabilities(byId('probs'), await predictDrawn(s.model, pixels));
      await drawFeatureMaps(s);
    }).catch(showError);
  };
  byId('clear-draw').addEventListener('click', () => pad.clear());
}

async function start(): Promise<void> {
  wire();
  renderProbabilities(byId('probs'), undefined);
  const form = byId<HTMLFormElement>('controls');
  form.dataset.kind = 'toy';
  applyDefaults('toy');
  wirePersistence({ session: () => session, serial, reset, setStatus, showError, clearError, switchDataset, syncLabels });
  wirePlayground({
    boundary,
    switchDataset,
    syncLabels,
    redraw: () => {
      if (session && !session.isRunning) void serial(() => drawViews(session!));
    },
    restart,
  });
  setStatus('opening the GPU…');
  probe = await probeWebGpu();
  gpuAvailable = probe.ok;
  const choice = defaultBackend(probe);
  if (probe.ok) {
    setText('adapter', probe.adapter);
    // A software adapter runs the shaders on the CPU cores: the CPU backend is faster there, and the page says so.
    setValue('backend', choice.backend);
    setText('backend-reason', choice.reason);
    byId('backend-reason').hidden = false;
  } else {
    setText('adapter', 'none');
    const notice = byId('no-webgpu');
    notice.textContent = probe.noWebGpu
      ? `This browser has no WebGPU, so nothing here can run on its GPU. ${choice.reason} (${probe.reason})`
      : `WebGPU could not be started: ${probe.reason} ${choice.reason}`;
    notice.hidden = false;
    const option = byId<HTMLSelectElement>('backend').querySelector<HTMLOptionElement>('option[value="webgpu"]')!;
    option.disabled = true;
    option.textContent += ' (not available here)';
    setValue('backend', 'cpu');
    byId('compare').title = 'needs WebGPU';
  }
  // A link's settings, its backend included, over the defaults.
  applyHashOnLoad({ switchDataset, syncLabels, boundary });
  await serial(reset);
}

void start().catch(showError);
