// "Compare": the same training, from the same seed, on the CPU reference and
// on WebGPU, with nothing drawn, timed epoch by epoch. The first epoch pays
// for uploading the data and recording the step (and on the GPU, compiling
// shaders), so the rate is taken over the epochs after it.
import type { BackendName } from '../../src/index.js';
import { backendFor } from './backends.js';
import type { Prepared } from './data.js';
import { batchSizeFor, type Settings } from './settings.js';
import { buildModel, tensorsFor, Yielder } from './session.js';

export interface CompareRun {
  backend: BackendName;
  epochsPerSec: number;
  samplesPerSec: number;
  finalLoss: number;
}

export interface ComparePlan {
  epochs: number;
  samples: number;
}

/** Enough epochs to time on a software adapter, few enough to wait for. */
export function comparePlan(s: Settings, data: Prepared): ComparePlan {
  if (data.kind === 'mnist') return { epochs: 3, samples: Math.min(2000, data.train.size) };
  return { epochs: Math.max(4, Math.min(s.epochs, 30)), samples: data.train.size };
}

function subset(data: Prepared, samples: number): Prepared {
  const f = data.features;
  const t = data.train;
  // A regression set's targets come along: they, not the labels, are what its model fits.
  return { ...data, train: { x: t.x.subarray(0, samples * f), labels: t.labels.subarray(0, samples), size: samples, ...(t.targets ? { targets: t.targets.subarray(0, samples) } : {}) } };
}

export async function timeOn(name: BackendName, s: Settings, full: Prepared, plan: ComparePlan): Promise<CompareRun> {
  const data = subset(full, plan.samples);
  const model = buildModel(s, data, await backendFor(name));
  const t = tensorsFor(s, data);
  const yielder = new Yielder();
  const stamps: number[] = [];
  let finalLoss = NaN;
  try {
    const history = await model.fit(t.x, t.y, {
      epochs: plan.epochs,
      batchSize: batchSizeFor(s, data.train.size),
      callbacks: {
        ...(name === 'cpu' ? { onBatchEnd: () => yielder.maybe() } : {}),
        onEpochEnd: () => {
          stamps.push(performance.now());
        },
      },
    });
    finalLoss = history.loss[history.loss.length - 1] ?? NaN;
  } finally {
    model.dispose();
    for (const x of Object.values(t)) x.dispose();
  }
  const span = stamps[stamps.length - 1]! - stamps[0]!;
  const epochsPerSec = ((stamps.length - 1) * 1000) / span;
  return { backend: name, epochsPerSec, samplesPerSec: epochsPerSec * data.train.size, finalLoss };
}
