// The command line speaks CNN: conv stacks in --layers, a CNN saved in the
// TensorFlow.js layers format that TensorFlow.js loads and predicts the same
// with, and a CNN saved by TensorFlow.js that we load; and one model builder
// for every entry point (a 3-class CSV with squared error gets 3 outputs);
// safetensors export of the same weights, in PyTorch's layout: an NCHW
// forward pass written here from those tensors alone, the way the equivalent
// torch.nn.Sequential computes, predicts what our model predicted.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/datasets/mnist-node.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { buildCli, runCli } from './helpers.js';
import { hasGpu } from '../helpers/gpu.js';

const dir = mkdtempSync(join(tmpdir(), 'webgpu-train-cli-'));
let backend: 'webgpu' | 'cpu' = 'cpu';
/** Five held-out digits, as a CSV of 784 pixel columns. */
let digits: number[][] = [];

beforeAll(async () => {
  buildCli();
  backend = (await hasGpu()) ? 'webgpu' : 'cpu';
  await tf.setBackend('cpu');
  const { test } = loadMnist();
  digits = Array.from({ length: 5 }, (_, i) => Array.from(test.x.subarray(i * 784, (i + 1) * 784)));
  writeFileSync(join(dir, 'digits.csv'), `${Array.from({ length: 784 }, (_, i) => `p${i}`).join(',')}\n${digits.map((d) => d.join(',')).join('\n')}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** class,p0,…,p9 rows of a --predict output: the probabilities. */
function probabilities(file: string): number[][] {
  return readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').slice(1).map(Number));
}

async function tfjsLoad(modelDir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8'));
  const group = json.weightsManifest[0];
  const bytes = readFileSync(join(modelDir, group.paths[0]));
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: group.weights, weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }),
  );
}

type Maps = number[][][]; // [channel][row][column]
const byName = (tensors: { name: string; values: Float32Array }[]) => new Map(tensors.map((t) => [t.name, t.values]));

/** torch.nn.Conv2d with weight [out, in, k, k], stride 1, zero padding `pad`, then ReLU. */
function conv2dRelu(x: Maps, w: Float32Array, b: Float32Array, k: number, pad: number): Maps {
  const [cin, h, wd] = [x.length, x[0]!.length, x[0]![0]!.length];
  const cout = b.length;
  const [oh, ow] = [h + 2 * pad - k + 1, wd + 2 * pad - k + 1];
  return Array.from({ length: cout }, (_, o) =>
    Array.from({ length: oh }, (_, i) =>
      Array.from({ length: ow }, (_, j) => {
        let s = b[o]!;
        for (let c = 0; c < cin; c++)
          for (let u = 0; u < k; u++)
            for (let v = 0; v < k; v++) {
              const [y, z] = [i + u - pad, j + v - pad];
              if (y >= 0 && y < h && z >= 0 && z < wd) s += w[((o * cin + c) * k + u) * k + v]! * x[c]![y]![z]!;
            }
        return Math.max(s, 0);
      }),
    ),
  );
}

/** MaxPool2d(2) or AvgPool2d(2). */
const pool2 = (x: Maps, kind: 'max' | 'avg'): Maps =>
  x.map((m) =>
    Array.from({ length: Math.floor(m.length / 2) }, (_, i) =>
      Array.from({ length: Math.floor(m[0]!.length / 2) }, (_, j) => {
        const v = [m[2 * i]![2 * j]!, m[2 * i]![2 * j + 1]!, m[2 * i + 1]![2 * j]!, m[2 * i + 1]![2 * j + 1]!];
        return kind === 'max' ? Math.max(...v) : v.reduce((a, b) => a + b, 0) / 4;
      }),
    ),
  );

/** torch.nn.Linear: weight [out, in]. */
const linear = (x: number[], w: Float32Array, b: Float32Array) => Array.from(b, (bias, o) => x.reduce((s, v, j) => s + v * w[o * x.length + j]!, bias));

function closeTo(ours: number[][], theirs: Float32Array, classes: number, what: string): void {
  let worst = 0;
  ours.forEach((row, r) => row.forEach((p, k) => (worst = Math.max(worst, Math.abs(p - theirs[r * classes + k]!)))));
  console.log(`${what}: largest |ours − theirs| over ${ours.length}×${classes} probabilities: ${worst.toExponential(2)}`);
  // --predict prints 6 decimals; the models agree far closer than that.
  expect(worst).toBeLessThan(1e-5);
}

describe('the command line and convolutional networks', () => {
  it('trains a conv stack from --layers, saves it, and TensorFlow.js loads it and predicts the same', async () => {
    const modelDir = join(dir, 'cnn');
    const tensorsFile = join(dir, 'cnn.safetensors');
    const r = await runCli(['--layers', 'conv4x3,maxpool2,conv4x3same,avgpool2,16', '--epochs', '1', '--save', modelDir, '--export', 'safetensors', tensorsFile, '--backend', backend]);
    expect(r.code, r.stderr).toBe(0);
    // safetensors in PyTorch's layout: the state_dict of the equivalent nn.Sequential.
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(tensorsFile)));
    expect(tensors.map((t) => [t.name, t.shape])).toEqual([
      ['0.weight', [4, 1, 3, 3]],
      ['0.bias', [4]],
      ['3.weight', [4, 4, 3, 3]],
      ['3.bias', [4]],
      ['7.weight', [16, 144]],
      ['7.bias', [16]],
      ['9.weight', [10, 16]],
      ['9.bias', [10]],
    ]);
    expect(metadata.torch_modules).toBe(
      "Conv2d(1, 4, (3, 3), stride=(1, 1), padding='valid'), ReLU(), MaxPool2d([2,2]), Conv2d(4, 4, (3, 3), stride=(1, 1), padding='same'), ReLU(), AvgPool2d([2,2]), Flatten(), Linear(144, 16), ReLU(), Linear(16, 10), Softmax(dim=1)",
    );
    expect(r.stdout).toContain('model: 28×28×1 → conv 4 3×3 relu → maxpool 2×2 → conv 4 3×3 same relu → avgpool 2×2 → flatten → 16 relu → 10 softmax');
    const out = join(dir, 'cnn.csv');
    const p = await runCli(['--load', modelDir, '--predict', join(dir, 'digits.csv'), '--output', out, '--backend', backend]);
    expect(p.code, p.stderr).toBe(0);
    // That Sequential, run in NCHW from the exported tensors alone, predicts what we did.
    const t = byName(tensors);
    const torch = digits.map((d) => {
      const image: Maps = [Array.from({ length: 28 }, (_, i) => d.slice(i * 28, (i + 1) * 28))];
      const a = pool2(conv2dRelu(image, t.get('0.weight')!, t.get('0.bias')!, 3, 0), 'max');
      const flat = pool2(conv2dRelu(a, t.get('3.weight')!, t.get('3.bias')!, 3, 1), 'avg').flat(2);
      const logits = linear(linear(flat, t.get('7.weight')!, t.get('7.bias')!).map((v) => Math.max(v, 0)), t.get('9.weight')!, t.get('9.bias')!);
      const m = Math.max(...logits);
      const e = logits.map((v) => Math.exp(v - m));
      return e.map((v) => v / e.reduce((x, y) => x + y, 0));
    });
    closeTo(probabilities(out), Float32Array.from(torch.flat()), 10, 'the exported PyTorch-layout weights, run as torch.nn.Sequential in NCHW');
    const model = await tfjsLoad(modelDir);
    expect(model.layers.map((l) => l.getClassName())).toEqual(['Conv2D', 'MaxPooling2D', 'Conv2D', 'AveragePooling2D', 'Flatten', 'Dense', 'Dense']);
    const theirs = (await (model.predict(tf.tensor4d(digits.flat(), [5, 28, 28, 1])) as tf.Tensor).data()) as Float32Array;
    closeTo(probabilities(out), theirs, 10, 'our CNN in TensorFlow.js');
  });

  it('loads a CNN that TensorFlow.js saved (conv, both poolings, flatten, dropout, dense) and predicts the same', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 8, kernelSize: [3, 3], strides: 2, padding: 'same', activation: 'tanh' }),
        tf.layers.averagePooling2d({ poolSize: 2, padding: 'same' }),
        tf.layers.flatten(),
        tf.layers.dropout({ rate: 0.3 }),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    const tfjsDir = join(dir, 'from-tfjs');
    mkdirSync(tfjsDir);
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        writeFileSync(join(tfjsDir, 'group1-shard1of1.bin'), new Uint8Array(a.weightData as ArrayBuffer));
        writeFileSync(
          join(tfjsDir, 'model.json'),
          JSON.stringify({ format: 'layers-model', generatedBy: 'TensorFlow.js', convertedBy: null, modelTopology: a.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs }] }),
        );
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const out = join(dir, 'from-tfjs.csv');
    // --data mnist: evaluated on the held-out digits too (without --data, --load with --predict only predicts).
    const r = await runCli(['--data', 'mnist', '--load', tfjsDir, '--predict', join(dir, 'digits.csv'), '--output', out, '--backend', backend]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/held-out accuracy: \d+\.\d\d%/);
    const theirs = (await (model.predict(tf.tensor4d(digits.flat(), [5, 28, 28, 1])) as tf.Tensor).data()) as Float32Array;
    closeTo(probabilities(out), theirs, 10, "TensorFlow.js's CNN in ours");
  });

  it('squared error on a 3-class CSV builds 3 softmax outputs on one-hot targets, and predicts class 2', async () => {
    // Three clusters in the plane, one per class.
    const rows: string[] = [];
    const centres = [[-2, 0], [2, 0], [0, 3]];
    for (let i = 0; i < 90; i++) {
      const k = i % 3;
      const [cx, cy] = centres[k]!;
      rows.push(`${cx! + Math.sin(i) * 0.3},${cy! + Math.cos(i * 1.7) * 0.3},${k}`);
    }
    writeFileSync(join(dir, 'three.csv'), `a,b,label\n${rows.join('\n')}\n`);
    writeFileSync(join(dir, 'three-points.csv'), 'a,b\n-2,0\n2,0\n0,3\n');
    const out = join(dir, 'three-out.csv');
    const r = await runCli(['--data', join(dir, 'three.csv'), '--loss', 'meanSquaredError', '--epochs', '60', '--lr', '0.01', '--no-save', '--predict', join(dir, 'three-points.csv'), '--output', out, '--backend', backend]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/model: 2 → 16 relu → 16 relu → 3 softmax /);
    const classes = readFileSync(out, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]));
    expect(classes).toEqual([0, 1, 2]);
  });
});
