// For MNIST: a grid of held-out digits with the model's answers, a pad to
// draw a digit on and see the ten probabilities, the first layer's weights
// drawn as images (28×28 per dense neuron, kh×kw per conv filter), and a
// CNN's feature maps of one digit.
import { MNIST_PIXELS, tensor, type Sequential } from '../../../src/index.js';
import type { LabelledSet } from '../data.js';
import { paintField } from './colors.js';

const GRID_DIGITS = 48;
const MAX_WEIGHT_IMAGES = 32;

function argmax(row: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (row[from + k]! > row[from + best]!) best = k;
  return best;
}

/** The model's class probabilities for `rows` images (flat rows suit both an MLP and a CNN). One-unit outputs never occur for MNIST. */
async function probabilities(model: Sequential, x: Float32Array, rows: number): Promise<Float32Array> {
  const out = await model.predict(tensor(x, [rows, MNIST_PIXELS]));
  const p = await out.data();
  out.dispose();
  return p;
}

function drawDigit(canvas: HTMLCanvasElement, pixels: ArrayLike<number>): void {
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < MNIST_PIXELS; i++) {
    const v = 255 - Math.round(pixels[i]! * 255); // dark ink on white
    img.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

export class DigitGrid {
  private cells: { label: HTMLElement; cell: HTMLElement }[] = [];
  private set: LabelledSet | undefined;

  constructor(private readonly root: HTMLElement) {}

  setData(set: LabelledSet): void {
    this.set = set;
    this.root.replaceChildren();
    this.cells = [];
    for (let i = 0; i < Math.min(GRID_DIGITS, set.size); i++) {
      const cell = document.createElement('figure');
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = 28;
      drawDigit(canvas, set.x.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS));
      const label = document.createElement('figcaption');
      label.textContent = '?';
      cell.append(canvas, label);
      this.root.append(cell);
      this.cells.push({ label, cell });
    }
  }

  async render(model: Sequential): Promise<void> {
    if (!this.set || this.cells.length === 0) return;
    const n = this.cells.length;
    const p = await probabilities(model, this.set.x.subarray(0, n * MNIST_PIXELS), n);
    const classes = model.outputSize;
    this.cells.forEach(({ label, cell }, i) => {
      const guess = argmax(p, i * classes, classes);
      const truth = this.set!.labels[i]!;
      const wrong = guess !== truth;
      cell.classList.toggle('wrong', wrong);
      label.innerHTML = wrong ? `${guess} <small>(is ${truth})</small>` : `${guess}`;
    });
  }
}

/** The first layer's kernel columns as images: what pattern of ink each hidden neuron looks for. */
export function renderWeightImages(root: HTMLElement, kernel: Float32Array, units: number): void {
  const shown = Math.min(units, MAX_WEIGHT_IMAGES);
  if (root.children.length !== shown) {
    root.replaceChildren();
    for (let u = 0; u < shown; u++) {
      const c = document.createElement('canvas');
      c.width = c.height = 56;
      c.title = `neuron ${u + 1}`;
      root.append(c);
    }
  }
  root.querySelectorAll('canvas').forEach((canvas, u) => {
    const field = new Float32Array(MNIST_PIXELS);
    let max = 1e-6;
    for (let i = 0; i < MNIST_PIXELS; i++) max = Math.max(max, Math.abs((field[i] = kernel[i * units + u]!)));
    for (let i = 0; i < MNIST_PIXELS; i++) field[i] = field[i]! / max;
    paintField(canvas, field, 28, 28);
  });
}

/**
 * A drawing pad. What is drawn is turned into an MNIST-style input the way
 * the real digits were made: the ink's bounding box scaled to fit 20×20 and
 * placed in a 28×28 frame with its centre of mass in the middle.
 */
export class DrawPad {
  private drawing = false;
  private inked = false;
  private last: [number, number] | undefined;
  onChange: (pixels: Float32Array | undefined) => void = () => {};

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.clear();
    canvas.addEventListener('pointerdown', (e) => {
      this.drawing = true;
      canvas.setPointerCapture(e.pointerId);
      this.last = this.pos(e);
      this.stroke(this.last);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (this.drawing) this.stroke(this.pos(e));
    });
    const end = (): void => {
      if (!this.drawing) return;
      this.drawing = false;
      this.last = undefined;
      this.onChange(this.pixels());
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  clear(): void {
    const ctx = this.canvas.getContext('2d', { willReadFrequently: true })!;
    ctx.fillStyle = 'black';
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.inked = false;
    this.onChange(undefined);
  }

  private pos(e: PointerEvent): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * this.canvas.width, ((e.clientY - r.top) / r.height) * this.canvas.height];
  }

  private stroke(to: [number, number]): void {
    const ctx = this.canvas.getContext('2d', { willReadFrequently: true })!;
    ctx.strokeStyle = 'white';
    ctx.lineWidth = this.canvas.width / 12;
    ctx.lineCap = ctx.lineJoin = 'round';
    ctx.beginPath();
    const from = this.last ?? to;
    ctx.moveTo(from[0], from[1]);
    ctx.lineTo(to[0] + 0.01, to[1]);
    ctx.stroke();
    this.last = to;
    this.inked = true;
  }

  /** The drawing as 784 values in [0, 1], or undefined when the pad is empty. */
  pixels(): Float32Array | undefined {
    if (!this.inked) return undefined;
    const { width, height } = this.canvas;
    const src = this.canvas.getContext('2d', { willReadFrequently: true })!.getImageData(0, 0, width, height).data;
    let [x0, y0, x1, y1] = [width, height, -1, -1];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (src[4 * (y * width + x)]! > 32) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
      }
    }
    if (x1 < 0) return undefined;
    const w = x1 - x0 + 1;
    const h = y1 - y0 + 1;
    const scale = 20 / Math.max(w, h);
    const box = document.createElement('canvas');
    box.width = box.height = 28;
    const bctx = box.getContext('2d', { willReadFrequently: true })!;
    bctx.imageSmoothingQuality = 'high';
    // First pass: the box centred geometrically, to find the centre of mass.
    const place = (dx: number, dy: number): Uint8ClampedArray => {
      bctx.fillStyle = 'black';
      bctx.fillRect(0, 0, 28, 28);
      bctx.drawImage(this.canvas, x0, y0, w, h, 14 - (w * scale) / 2 + dx, 14 - (h * scale) / 2 + dy, w * scale, h * scale);
      return bctx.getImageData(0, 0, 28, 28).data;
    };
    let img = place(0, 0);
    let [mass, mx, my] = [0, 0, 0];
    for (let i = 0; i < MNIST_PIXELS; i++) {
      const v = img[4 * i]!;
      mass += v;
      mx += v * (i % 28);
      my += v * Math.floor(i / 28);
    }
    if (mass > 0) img = place(13.5 - mx / mass, 13.5 - my / mass);
    const out = new Float32Array(MNIST_PIXELS);
    for (let i = 0; i < MNIST_PIXELS; i++) out[i] = img[4 * i]! / 255;
    return out;
  }
}

/** Ten bars, one per digit, the most likely one highlighted. */
export function renderProbabilities(root: HTMLElement, probs: ArrayLike<number> | undefined): void {
  if (root.children.length !== 10) {
    root.replaceChildren();
    for (let d = 0; d < 10; d++) {
      const row = document.createElement('div');
      row.className = 'prob';
      row.innerHTML = `<span class="digit">${d}</span><span class="bar"><span></span></span><span class="pct"></span>`;
      root.append(row);
    }
  }
  const best = probs ? argmax(probs, 0, 10) : -1;
  Array.from(root.children).forEach((row, d) => {
    const p = probs ? probs[d]! : 0;
    (row.querySelector('.bar > span') as HTMLElement).style.width = `${(p * 100).toFixed(1)}%`;
    row.querySelector('.pct')!.textContent = probs ? `${(p * 100).toFixed(1)}%` : '';
    row.classList.toggle('best', d === best);
  });
}

export async function predictDrawn(model: Sequential, pixels: Float32Array): Promise<Float32Array> {
  return probabilities(model, pixels, 1);
}

/** A row of small canvases, made once per count (kept across redraws so the page does not flicker). */
function canvases(root: HTMLElement, count: number, px: number, title: (i: number) => string): HTMLCanvasElement[] {
  if (root.children.length !== count) {
    root.replaceChildren();
    for (let i = 0; i < count; i++) {
      const c = document.createElement('canvas');
      c.width = c.height = px;
      c.title = title(i);
      root.append(c);
    }
  }
  return Array.from(root.querySelectorAll('canvas'));
}

/**
 * A first convolution's filters [kh, kw, 1, filters] as small images: the
 * stroke each one responds to (blue where ink raises its output).
 */
export function renderFilterImages(root: HTMLElement, kernel: Float32Array, shape: readonly number[]): void {
  const [kh, kw, channels, filters] = shape as [number, number, number, number];
  const shown = Math.min(filters, MAX_WEIGHT_IMAGES);
  canvases(root, shown, 40, (f) => `filter ${f + 1}`).forEach((canvas, f) => {
    const field = new Float32Array(kh * kw);
    let max = 1e-6;
    for (let i = 0; i < kh * kw; i++) max = Math.max(max, Math.abs((field[i] = kernel[i * channels * filters + f]!)));
    for (let i = 0; i < field.length; i++) field[i] = field[i]! / max;
    paintField(canvas, field, kw, kh);
  });
}

const MAX_MAPS = 16;

/**
 * The feature maps of one digit: for each convolution, its output channels
 * as images (what each filter found where). Empty for a model without any.
 */
export async function renderFeatureMaps(root: HTMLElement, model: Sequential, pixels: Float32Array): Promise<void> {
  const info = model.layerInfo();
  const convs = info.flatMap((l, i) => (l.className === 'Conv2D' ? [i] : []));
  if (convs.length === 0) {
    root.replaceChildren();
    return;
  }
  const outputs = await model.predictLayers(tensor(pixels, [1, ...model.inputShape]));
  const values = await Promise.all(convs.map((i) => outputs[i]!.data()));
  for (const t of outputs) t.dispose();
  const key = convs.map((i) => info[i]!.outputShape.join('x')).join(',');
  if (root.dataset.shape !== key) {
    root.replaceChildren();
    root.dataset.shape = key;
    convs.forEach((i) => {
      const [h, w, c] = info[i]!.outputShape as [number, number, number];
      const row = document.createElement('div');
      row.className = 'neuron-row';
      const label = document.createElement('span');
      label.className = 'neuron-label';
      label.textContent = `${info[i]!.name} · ${c} maps of ${h}×${w}${c > MAX_MAPS ? ` (first ${MAX_MAPS})` : ''}`;
      const maps = document.createElement('div');
      maps.className = 'maps';
      row.append(label, maps);
      root.append(row);
    });
  }
  root.querySelectorAll<HTMLElement>('.maps').forEach((maps, n) => {
    const [h, w, c] = info[convs[n]!]!.outputShape as [number, number, number];
    const v = values[n]!;
    canvases(maps, Math.min(c, MAX_MAPS), 48, (k) => `map ${k + 1}`).forEach((canvas, k) => {
      const field = new Float32Array(h * w);
      let max = 1e-6;
      for (let p = 0; p < h * w; p++) max = Math.max(max, Math.abs((field[p] = v[p * c + k]!)));
      for (let p = 0; p < field.length; p++) field[p] = field[p]! / max;
      paintField(canvas, field, w, h);
    });
  });
}
