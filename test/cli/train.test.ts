// The command line's main paths: training with --json, saving in the
// TensorFlow.js layers format that TensorFlow.js itself loads (and loading
// what TensorFlow.js saved), safetensors export, predict, compare, help,
// and Ctrl-C during training.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { OPTIONS } from '../../src/cli/options.js';
import { buildCli, runCli } from './helpers.js';
import { hasGpu } from '../helpers/gpu.js';
import { gpuRequired } from '../helpers/required.js';

const dir = mkdtempSync(join(tmpdir(), 'webgpu-train-cli-'));
// The GPU where there is one (always under REQUIRE_GPU); the cpu backend otherwise.
let backend: 'webgpu' | 'cpu' = 'cpu';
const points = [[0.5, 0.5], [-0.5, 0.5], [0.9, -0.8], [-0.2, -0.3], [0.05, 0.7]];
const pointsCsv = `x,y\n${points.map((p) => p.join(',')).join('\n')}\n`;

beforeAll(async () => {
  buildCli();
  backend = (await hasGpu()) ? 'webgpu' : 'cpu';
  writeFileSync(join(dir, 'points.csv'), pointsCsv);
  await tf.setBackend('cpu');
});

/** Loads a model directory with TensorFlow.js, through an IO handler reading our files. */
async function tfjsLoad(modelDir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8'));
  const group = json.weightsManifest[0];
  const bytes = readFileSync(join(modelDir, group.paths[0]));
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: group.weights,
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    }),
  );
}

function readPredictions(file: string): number[] {
  return readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]));
}

describe('webgpu-train train', () => {
  const modelDir = join(dir, 'xor-model');
  const tensorsFile = join(dir, 'xor.safetensors');

  it('trains with --json, saves, exports safetensors', async () => {
    const r = await runCli(['--data', 'xor', '--epochs', '3', '--layers', '8', '--lr', '0.01', '--save', modelDir, '--export', 'safetensors', tensorsFile, '--json', '--backend', backend]);
    expect(r.code, r.stderr).toBe(0);
    const objects = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(objects.slice(0, 3).map((o) => o.epoch)).toEqual([1, 2, 3]);
    for (const o of objects.slice(0, 3)) for (const k of ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'seconds', 'samplesPerSecond']) expect(typeof o[k]).toBe('number');
    expect(objects[3].summary.saved).toBe(modelDir);
    expect(objects[3].summary.backend).toBe(backend);
    expect(r.stderr).toContain(`backend: ${backend}`);
    expect(readdirSync(modelDir).sort()).toEqual(['model.json', 'weights.bin']);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('TensorFlow.js loads the saved model and predicts the same', async () => {
    const out = join(dir, 'ours.csv');
    const r = await runCli(['--data', 'xor', '--load', modelDir, '--predict', join(dir, 'points.csv'), '--output', out, '--backend', backend]);
    expect(r.code, r.stderr).toBe(0);
    const ours = readPredictions(out);
    const model = await tfjsLoad(modelDir);
    const theirs = Array.from(await (model.predict(tf.tensor2d(points)) as tf.Tensor).data());
    expect(model.layers.map((l) => l.getClassName())).toEqual(['Dense', 'Dense']);
    ours.forEach((p, i) => expect(Math.abs(p - theirs[i]!)).toBeLessThan(1e-5));
    console.log(`predictions, ours vs TensorFlow.js: ${ours.map((p, i) => `${p.toFixed(5)}/${theirs[i]!.toFixed(5)}`).join(' ')}`);
  });

  it('the safetensors file holds the same weights under dense_N.kernel / dense_N.bias', () => {
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(tensorsFile)));
    expect(tensors.map((t) => [t.name, t.shape])).toEqual([
      ['dense_1.kernel', [2, 8]],
      ['dense_1.bias', [8]],
      ['dense_2.kernel', [8, 1]],
      ['dense_2.bias', [1]],
    ]);
    expect(metadata.format).toBe('pt');
    const bin = readFileSync(join(modelDir, 'weights.bin'));
    const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
    expect(Array.from(tensors.flatMap((t) => Array.from(t.values)))).toEqual(Array.from(all));
  });

  it('loads a Dense Sequential saved by TensorFlow.js itself', async () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ units: 5, activation: 'tanh', inputShape: [2] }), tf.layers.dense({ units: 1, activation: 'sigmoid' })],
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
    const r = await runCli(['--data', 'xor', '--load', tfjsDir, '--predict', join(dir, 'points.csv'), '--output', out, '--backend', backend]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/all accuracy: \d+\.\d+%/);
    const theirs = Array.from(await (model.predict(tf.tensor2d(points)) as tf.Tensor).data());
    readPredictions(out).forEach((p, i) => expect(Math.abs(p - theirs[i]!)).toBeLessThan(1e-5));
  });

  it('--force replaces a saved model; --load with --epochs trains further', async () => {
    const r = await runCli(['--data', 'xor', '--load', modelDir, '--epochs', '2', '--save', modelDir, '--force', '--backend', backend]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/loaded: .*xor-model, training 2 more epochs/);
    expect(r.stdout).toMatch(/epoch 2\/2 · loss/);
    expect(r.stdout).toContain(`saved: ${modelDir}`);
  });

  it('Ctrl-C stops after the current epoch and saves the model', async () => {
    const saveDir = join(dir, 'interrupted');
    let sent = false;
    const r = await runCli(['--data', 'spiral', '--samples', '2000', '--epochs', '500', '--save', saveDir, '--json', '--backend', backend], {
      onStdout: (chunk, kill) => {
        if (!sent && chunk.includes('"epoch":2')) {
          sent = true;
          kill('SIGINT');
        }
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('stopping after this epoch');
    const epochs = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((o) => o.epoch !== undefined);
    expect(epochs.length).toBeGreaterThanOrEqual(2);
    expect(epochs.length).toBeLessThan(10);
    expect(readdirSync(saveDir).sort()).toEqual(['model.json', 'weights.bin']);
  });

  it('plain lines when the output is not a terminal; the summary says where the model went', async () => {
    const r = await runCli(['--data', 'moons', '--epochs', '2', '--mode', 'batch', '--no-save', '--backend', backend]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/\x1b\[/);
    expect(r.stdout).toMatch(/batch gradient descent \(batch 400\)/);
    expect(r.stdout).toMatch(/^epoch 1\/2 · loss \d\.\d{4} · acc \d\.\d{4} · val_loss .* samples\/s$/m);
    expect(r.stdout).toMatch(/validation accuracy: \d+\.\d\d%/);
  });
});

describe('webgpu-train help and compare', () => {
  it('--help lists every option with its default and gives examples', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const [name, spec] of Object.entries(OPTIONS)) {
      expect(r.stdout).toContain(`--${name}`);
      if (spec.default) expect(r.stdout).toContain(`(default: ${spec.default})`);
    }
    expect(r.stdout).toContain('Examples:');
  });

  it('compare trains on cpu and webgpu and reports losses, weight difference and speed', async () => {
    const r = await runCli(['compare', '--data', 'xor', '--epochs', '3']);
    if (!gpuRequired && r.code === 1 && /no WebGPU adapter/.test(r.stderr)) return;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/epoch\s+cpu loss\s+webgpu loss\s+\|difference\|/);
    const rows = r.stdout.split('\n').filter((l) => /^\s+\d+\s+\d\.\d{6}\s+\d\.\d{6}/.test(l));
    expect(rows).toHaveLength(3);
    const diff = Number(/largest final weight difference: (\S+)/.exec(r.stdout)![1]);
    expect(diff).toBeLessThan(1e-4);
    expect(r.stdout).toMatch(/webgpu is \d+\.\d\d× the speed of cpu/);
    console.log(r.stdout.split('\n').slice(-6).join('\n'));
  });
});

