// Loss and accuracy per epoch, training and validation, as Chart.js line
// charts. Points are appended as epochs finish; redraws are cheap ('none'
// skips the animation) and the decimation plugin keeps long runs light.
// The points live in our own arrays, handed to Chart.js on each draw:
// once decimation has run, a dataset's `data` is the thinned copy, and
// pushing onto it would lose points.
import {
  CategoryScale,
  Chart,
  Decimation,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
  type Point,
} from 'chart.js';
import type { EpochLogs } from '../../../src/index.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip, Decimation);

const TRAIN = '#0877bd';
const VAL = '#e8590c';

type Series = ChartDataset<'line', Point[]>;

function series(label: string, color: string, dashed: boolean): Series {
  return {
    label,
    data: [],
    borderColor: color,
    backgroundColor: color,
    borderWidth: 2,
    borderDash: dashed ? [6, 4] : [],
    // Dots while there are few epochs (a line needs two), a plain line after.
    pointRadius: (ctx) => ((ctx.dataset.data as Point[]).length <= 40 ? 2.5 : 0),
    tension: 0,
  };
}

function lineChart(canvas: HTMLCanvasElement, yTitle: string, yMax?: number): Chart<'line', Point[]> {
  return new Chart<'line', Point[]>(canvas, {
    type: 'line',
    data: { datasets: [series('training', TRAIN, false), series('validation', VAL, true)] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 14 } },
        decimation: { enabled: true, algorithm: 'lttb', samples: 400 },
      },
      scales: {
        x: { type: 'linear', title: { display: true, text: 'epoch' }, min: 0, ticks: { precision: 0 } },
        y: { title: { display: true, text: yTitle }, min: 0, ...(yMax !== undefined ? { max: yMax } : {}) },
      },
    },
  });
}

export class Curves {
  private readonly loss: Chart<'line', Point[]>;
  private readonly accuracy: Chart<'line', Point[]>;
  /** training loss, validation loss, training accuracy, validation accuracy */
  private points: Point[][] = [[], [], [], []];

  constructor(lossCanvas: HTMLCanvasElement, accCanvas: HTMLCanvasElement) {
    this.loss = lineChart(lossCanvas, 'loss');
    this.accuracy = lineChart(accCanvas, 'accuracy', 1);
  }

  clear(): void {
    this.points = [[], [], [], []];
    this.draw();
  }

  add(epoch: number, logs: EpochLogs): void {
    [logs.loss, logs.val_loss, logs.accuracy, logs.val_accuracy].forEach((y, i) => {
      if (y !== undefined && Number.isFinite(y)) this.points[i]!.push({ x: epoch, y });
    });
  }

  draw(): void {
    const [loss, valLoss, acc, valAcc] = this.points;
    this.loss.data.datasets[0]!.data = loss!;
    this.loss.data.datasets[1]!.data = valLoss!;
    this.accuracy.data.datasets[0]!.data = acc!;
    this.accuracy.data.datasets[1]!.data = valAcc!;
    this.loss.update('none');
    this.accuracy.update('none');
  }
}
