// A small model trained in the page and kept in the browser: XOR learned by a
// 2-8-1 network on WebGPU (or on the CPU reference where the browser has no
// WebGPU), saved to IndexedDB, and loaded back after a reload.
// docs/browser.md walks through it.
import { dense, getBackend, loadModel, sequential, type Backend, type Sequential } from 'webgpu-train';

const MODEL_URL = 'indexeddb://xor-model';

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const trainButton = element<HTMLButtonElement>('train');
const loadButton = element<HTMLButtonElement>('load');
const log = (line: string) => {
  element('log').textContent += `${line}\n`;
};

// The four corners of the unit square, labelled by XOR, a few times over.
const corners = [[0, 0], [0, 1], [1, 0], [1, 1]];
const x = Array.from({ length: 64 }, (_, i) => corners[i % 4]!);
const y = x.map(([a, b]) => [a === b ? 0 : 1]);

// WebGPU where the browser has it; otherwise 'auto' falls back to the CPU
// reference backend instead of throwing, and `chosen` says why.
const backend: Backend = await getBackend('auto');
element('backend').textContent =
  backend.name === 'webgpu'
    ? `Training on the GPU: ${backend.adapterName}.`
    : `This browser offers no WebGPU, so training runs on the CPU (slower, same results). ${backend.chosen ?? ''}`;

async function showPredictions(model: Sequential): Promise<void> {
  const predictions = await model.predict(corners);
  const values = await predictions.data();
  predictions.dispose();
  log(corners.map(([a, b], i) => `${a} xor ${b} → ${values[i]!.toFixed(3)}`).join('\n'));
}

async function trainAndSave(): Promise<void> {
  const model = sequential([
    dense({ units: 8, activation: 'tanh', inputShape: [2] }),
    dense({ units: 1, activation: 'sigmoid' }),
  ], { backend, seed: 7 });
  model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
  await model.fit(x, y, {
    epochs: 40,
    batchSize: 16,
    callbacks: {
      // Once per epoch: the page stays responsive while the GPU trains.
      onEpochEnd: (epoch, logs) => {
        if ((epoch + 1) % 10 === 0) log(`epoch ${epoch + 1}: loss ${logs.loss.toFixed(4)}, accuracy ${logs.accuracy?.toFixed(2)}`);
      },
    },
  });
  await showPredictions(model);
  const saved = await model.save(MODEL_URL);
  log(`saved to ${saved.location}: reload the page and load it back`);
  model.dispose();
}

async function loadSaved(): Promise<void> {
  try {
    const model = await loadModel(MODEL_URL, { backend });
    log(`loaded ${MODEL_URL}`);
    await showPredictions(model);
    model.dispose();
  } catch (e) {
    log(`nothing to load yet (${(e as Error).message}): train first`);
  }
}

// Each button runs one task at a time.
function onClick(button: HTMLButtonElement, task: () => Promise<void>): void {
  button.addEventListener('click', () => {
    trainButton.disabled = loadButton.disabled = true;
    task()
      .catch((e: unknown) => log(`error: ${(e as Error).message}`))
      .finally(() => (trainButton.disabled = loadButton.disabled = false));
  });
  button.disabled = false;
}
onClick(trainButton, trainAndSave);
onClick(loadButton, loadSaved);
