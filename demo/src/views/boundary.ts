// For the sets drawn on the page: the model's answer over the plane (the
// decision boundary, or for a number to predict its surface) with the data
// over it, or on the curve the fitted line through the points; and one small
// heatmap per hidden neuron showing where it fires.
//
// The model sees features of a point (x₁², sin x₁, …), not always the point:
// every grid point goes through the same feature map as the data did.
import type { Sequential } from '../../../src/index.js';
import { tensor } from '../../../src/index.js';
import type { LabelledSet, Prepared } from '../data.js';
import { mapFeatures, type FeatureName } from '../features.js';
import { CLASS_COLORS, diverging, paintField } from './colors.js';

/** Grid cells per side for the boundary (predicted on the model's backend) and for each neuron (on the CPU). */
const GRID = 64;
const NEURON_GRID = 28;
const NEURON_PX = 56;
const MAX_NEURONS_SHOWN = 16;
/** Points along the curve's line where the fitted curve is evaluated. */
const CURVE_STEPS = 240;
const LINE = '#1f2933';

/** Points of a square grid over [−extent, extent]², row by row from the top. */
function gridPoints(n: number, extent: number): Float32Array {
  const xy = new Float32Array(n * n * 2);
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      const i = row * n + col;
      xy[2 * i] = -extent + ((col + 0.5) / n) * 2 * extent;
      xy[2 * i + 1] = extent - ((row + 0.5) / n) * 2 * extent;
    }
  }
  return xy;
}

/** n evenly spaced points over [−extent, extent], left to right. */
function linePoints(n: number, extent: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => -extent + ((i + 0.5) / n) * 2 * extent);
}

/** What the canvas shows: class shading, a regression surface, or a fitted curve. */
export type BoundaryMode = 'boundary' | 'surface' | 'curve';

export class BoundaryView {
  private extent = 1.5;
  /** The curve's value range, [low, high], framing every target. */
  private yRange: [number, number] = [-1.2, 1.2];
  private data: Prepared | undefined;
  showValidation = false;
  /** Hard class colours (the sign of the output) instead of shading by probability. */
  discretize = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly neurons: HTMLElement,
    private readonly title?: HTMLElement,
  ) {}

  private get dims(): 1 | 2 {
    return this.data?.space?.dims ?? 2;
  }

  private get features(): readonly FeatureName[] {
    return this.data?.space?.features ?? ['x1', 'x2'];
  }

  get mode(): BoundaryMode {
    if (this.dims === 1) return 'curve';
    return this.data?.regression ? 'surface' : 'boundary';
  }

  setData(data: Prepared): void {
    this.data = data;
    // Frame every point, with a margin, whatever the noise.
    let m = 1;
    for (const set of [data.train, data.validation]) for (const v of pointsOf(set)) m = Math.max(m, Math.abs(v));
    this.extent = Math.ceil(m * 1.1 * 10) / 10;
    if (this.dims === 1) {
      let [lo, hi] = [-1, 1];
      for (const set of [data.train, data.validation]) for (const v of set.targets ?? []) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
      const pad = 0.1 * (hi - lo);
      this.yRange = [lo - pad, hi + pad];
    }
    this.canvas.dataset.view = this.mode;
    if (this.title) this.title.innerHTML = TITLES[this.mode];
    this.clearNeurons();
  }

  private clearNeurons(): void {
    this.neurons.replaceChildren();
    delete this.neurons.dataset.shape;
  }

  /** The model's inputs for points of the plane (or of the line). */
  private inputs(points: Float32Array): { x: Float32Array; width: number } {
    if (this.dims === 1) return { x: points, width: 1 };
    return { x: mapFeatures(points, this.features), width: this.features.length };
  }

  /** Redraws both views from the model's current weights. */
  async render(model: Sequential): Promise<void> {
    if (this.dims === 1) await this.renderCurve(model);
    else await this.renderPlane(model);
    await this.renderNeurons(model);
  }

  private async renderPlane(model: Sequential): Promise<void> {
    const { x, width } = this.inputs(gridPoints(GRID, this.extent));
    const out = await model.predict(tensor(x, [GRID * GRID, width]));
    const p = await out.data();
    out.dispose();
    const cols = model.outputSize;
    const field = new Float32Array(GRID * GRID);
    for (let i = 0; i < field.length; i++) {
      // A surface's value is drawn as it is; a class as P(class 1) (the sigmoid unit, or the second softmax unit) mapped to [−1, 1].
      const v = this.mode === 'surface' ? p[i]! : 2 * (cols === 1 ? p[i]! : p[i * cols + 1]!) - 1;
      field[i] = this.discretize ? (v >= 0 ? 1 : -1) : v;
    }
    paintField(this.canvas, field, GRID, GRID, 0.35, !this.discretize);
    this.drawPoints();
  }

  private toPx(x: number, y: number): [number, number] {
    const { width, height } = this.canvas;
    return [((x + this.extent) / (2 * this.extent)) * width, ((this.extent - y) / (2 * this.extent)) * height];
  }

  /** The curve's (x, value) in canvas pixels. */
  private curvePx(x: number, v: number): [number, number] {
    const { width, height } = this.canvas;
    const [lo, hi] = this.yRange;
    return [((x + this.extent) / (2 * this.extent)) * width, ((hi - v) / (hi - lo)) * height];
  }

  /** A sample's colour: its class, or its value on the diverging scale. */
  private colorOf(set: LabelledSet, i: number): string {
    if (!set.targets) return CLASS_COLORS[set.labels[i]! ? 1 : 0];
    const [r, g, b] = diverging(set.targets[i]!);
    return `rgb(${r}, ${g}, ${b})`;
  }

  private drawPoints(): void {
    if (!this.data) return;
    const ctx = this.canvas.getContext('2d')!;
    const draw = (set: LabelledSet, filled: boolean): void => {
      const points = pointsOf(set);
      for (let i = 0; i < set.size; i++) {
        const [px, py] = this.dims === 1 ? this.curvePx(points[i]!, set.targets![i]!) : this.toPx(points[2 * i]!, points[2 * i + 1]!);
        // On the curve, training and validation points are told apart by colour: the value is the height.
        const color = this.dims === 1 ? CLASS_COLORS[filled ? 1 : 0] : this.colorOf(set, i);
        ctx.beginPath();
        ctx.arc(px, py, filled ? 3.5 : 3, 0, 2 * Math.PI);
        if (filled) {
          ctx.fillStyle = color;
          ctx.fill();
          ctx.strokeStyle = this.data?.regression && this.dims === 2 ? LINE : 'white';
          ctx.lineWidth = 1;
        } else {
          ctx.strokeStyle = color;
          ctx.lineWidth = 1.5;
        }
        ctx.stroke();
      }
    };
    if (this.showValidation) draw(this.data.validation, false);
    draw(this.data.train, true);
  }

  /** The curve: axes, the points, and the model's output along the line. */
  private async renderCurve(model: Sequential): Promise<void> {
    const xs = linePoints(CURVE_STEPS, this.extent);
    const out = await model.predict(tensor(xs, [CURVE_STEPS, 1]));
    const ys = await out.data();
    out.dispose();
    const ctx = this.canvas.getContext('2d')!;
    const { width, height } = this.canvas;
    ctx.fillStyle = 'white';
    ctx.fillRect(0, 0, width, height);
    ctx.strokeStyle = '#d9dee5';
    ctx.lineWidth = 1;
    const [zx, zy] = this.curvePx(0, 0);
    ctx.beginPath();
    ctx.moveTo(0, zy);
    ctx.lineTo(width, zy);
    ctx.moveTo(zx, 0);
    ctx.lineTo(zx, height);
    ctx.stroke();
    this.drawPoints();
    ctx.strokeStyle = LINE;
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    for (let i = 0; i < CURVE_STEPS; i++) {
      const [px, py] = this.curvePx(xs[i]!, ys[i]!);
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    }
    ctx.stroke();
  }

  private async renderNeurons(model: Sequential): Promise<void> {
    const info = model.layerInfo();
    const hidden = info.length - 1;
    if (hidden === 0) {
      this.clearNeurons();
      this.neurons.textContent = 'No hidden layers: the model is a single layer, and its boundary can only be a straight line.';
      return;
    }
    // On the curve each neuron is a strip over the line; in the plane a square over it.
    const [w, h] = this.dims === 1 ? [NEURON_GRID, 1] : [NEURON_GRID, NEURON_GRID];
    const { x, width } = this.inputs(this.dims === 1 ? linePoints(NEURON_GRID, this.extent) : gridPoints(NEURON_GRID, this.extent));
    // Every layer's output over the grid, from the model itself.
    const outputs = await model.predictLayers(tensor(x, [w * h, width]));
    const outs = await Promise.all(outputs.slice(0, hidden).map((t) => t.data()));
    for (const t of outputs) t.dispose();
    const layers = info.slice(0, hidden).map((l) => ({ units: l.outputShape[0]!, activation: l.activation }));
    const rows = this.ensureNeuronCanvases(layers.map((l) => l.units));
    outs.forEach((out, l) => {
      const units = layers[l]!.units;
      const center = layers[l]!.activation === 'sigmoid' ? 0.5 : 0;
      rows[l]!.forEach((canvas, u) => {
        const field = new Float32Array(w * h);
        let max = 1e-6;
        for (let i = 0; i < field.length; i++) max = Math.max(max, Math.abs((field[i] = out[i * units + u]! - center)));
        for (let i = 0; i < field.length; i++) field[i] = field[i]! / max;
        paintField(canvas, field, w, h);
      });
    });
  }

  /** One row of small canvases per hidden layer, made once per model shape. */
  private ensureNeuronCanvases(widths: number[]): HTMLCanvasElement[][] {
    const key = widths.join(',');
    if (this.neurons.dataset.shape !== key) {
      this.clearNeurons();
      this.neurons.dataset.shape = key;
      widths.forEach((units, l) => {
        const row = document.createElement('div');
        row.className = 'neuron-row';
        const label = document.createElement('span');
        label.className = 'neuron-label';
        label.textContent = `layer ${l + 1} · ${units} neuron${units === 1 ? '' : 's'}${units > MAX_NEURONS_SHOWN ? ` (first ${MAX_NEURONS_SHOWN})` : ''}`;
        row.append(label);
        for (let u = 0; u < Math.min(units, MAX_NEURONS_SHOWN); u++) {
          const c = document.createElement('canvas');
          c.width = c.height = NEURON_PX;
          c.title = `layer ${l + 1}, neuron ${u + 1}`;
          row.append(c);
        }
        this.neurons.append(row);
      });
    }
    return Array.from(this.neurons.querySelectorAll('.neuron-row'), (row) => Array.from(row.querySelectorAll('canvas')));
  }
}

/** Where a set's samples lie: their points, or (a set without them) its inputs. */
const pointsOf = (set: LabelledSet): Float32Array => set.points ?? set.x;

const TITLES: Record<BoundaryMode, string> = {
  boundary: 'Decision boundary <small>colour = the model\'s answer at each point · dots = training data · rings = validation data</small>',
  surface: 'Fitted surface <small>colour = the model\'s output at each point (orange −1, blue +1) · dots = training points, coloured by their value</small>',
  curve: 'Fitted curve <small>line = the model\'s output · blue dots = training points · orange rings = validation points</small>',
};
