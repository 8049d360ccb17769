// For the 2-D sets: the decision-boundary heatmap with the data over it, and
// one small heatmap per hidden neuron showing where in the plane it fires.
import type { Sequential } from '../../../src/index.js';
import { tensor } from '../../../src/index.js';
import type { LabelledSet, Prepared } from '../data.js';
import { CLASS_COLORS, paintField } from './colors.js';

/** Grid cells per side for the boundary (predicted on the model's backend) and for each neuron (on the CPU). */
const GRID = 64;
const NEURON_GRID = 28;
const NEURON_PX = 56;
const MAX_NEURONS_SHOWN = 16;

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

export class BoundaryView {
  private extent = 1.5;
  private data: Prepared | undefined;
  private grid = gridPoints(GRID, this.extent);
  private neuronGrid = gridPoints(NEURON_GRID, this.extent);
  showValidation = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly neurons: HTMLElement,
  ) {}

  setData(data: Prepared): void {
    this.data = data;
    // Frame every point, with a margin, whatever the noise.
    let m = 1;
    for (const set of [data.train, data.validation]) for (const v of set.x) m = Math.max(m, Math.abs(v));
    this.extent = Math.ceil(m * 1.1 * 10) / 10;
    this.grid = gridPoints(GRID, this.extent);
    this.neuronGrid = gridPoints(NEURON_GRID, this.extent);
    this.clearNeurons();
  }

  private clearNeurons(): void {
    this.neurons.replaceChildren();
    delete this.neurons.dataset.shape;
  }

  /** Redraws both views from the model's current weights. */
  async render(model: Sequential): Promise<void> {
    const out = await model.predict(tensor(this.grid, [GRID * GRID, 2]));
    const p = await out.data();
    out.dispose();
    // P(class 1): the sigmoid unit, or the second softmax unit.
    const cols = model.outputSize;
    const field = new Float32Array(GRID * GRID);
    for (let i = 0; i < field.length; i++) field[i] = 2 * (cols === 1 ? p[i]! : p[i * cols + 1]!) - 1;
    paintField(this.canvas, field, GRID, GRID, 0.35);
    this.drawPoints();
    await this.renderNeurons(model);
  }

  private toPx(x: number, y: number): [number, number] {
    const { width, height } = this.canvas;
    return [((x + this.extent) / (2 * this.extent)) * width, ((this.extent - y) / (2 * this.extent)) * height];
  }

  private drawPoints(): void {
    if (!this.data) return;
    const ctx = this.canvas.getContext('2d')!;
    const draw = (set: LabelledSet, filled: boolean): void => {
      for (let i = 0; i < set.size; i++) {
        const [px, py] = this.toPx(set.x[2 * i]!, set.x[2 * i + 1]!);
        const color = CLASS_COLORS[set.labels[i]! ? 1 : 0];
        ctx.beginPath();
        ctx.arc(px, py, filled ? 3.5 : 3, 0, 2 * Math.PI);
        if (filled) {
          ctx.fillStyle = color;
          ctx.fill();
          ctx.strokeStyle = 'white';
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

  private async renderNeurons(model: Sequential): Promise<void> {
    const info = model.layerInfo();
    const hidden = info.length - 1;
    if (hidden === 0) {
      this.clearNeurons();
      this.neurons.textContent = 'No hidden layers: the model is a single layer, and its boundary can only be a straight line.';
      return;
    }
    // Every layer's output over the grid, from the model itself.
    const outputs = await model.predictLayers(tensor(this.neuronGrid, [NEURON_GRID * NEURON_GRID, 2]));
    const outs = await Promise.all(outputs.slice(0, hidden).map((t) => t.data()));
    for (const t of outputs) t.dispose();
    const layers = info.slice(0, hidden).map((l) => ({ units: l.outputShape[0]!, activation: l.activation }));
    const rows = this.ensureNeuronCanvases(layers.map((l) => l.units));
    outs.forEach((out, l) => {
      const units = layers[l]!.units;
      const center = layers[l]!.activation === 'sigmoid' ? 0.5 : 0;
      rows[l]!.forEach((canvas, u) => {
        const field = new Float32Array(NEURON_GRID * NEURON_GRID);
        let max = 1e-6;
        for (let i = 0; i < field.length; i++) max = Math.max(max, Math.abs((field[i] = out[i * units + u]! - center)));
        for (let i = 0; i < field.length; i++) field[i] = field[i]! / max;
        paintField(canvas, field, NEURON_GRID, NEURON_GRID);
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
