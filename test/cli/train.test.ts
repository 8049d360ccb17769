// The command line's main paths: training with --json, saving in the
// TensorFlow.js layers format that TensorFlow.js itself loads (and loading
// what TensorFlow.js saved), safetensors export, predict, compare, help,
// Ctrl-C, SIGTERM and a closed standard output during training and saving;
// default save names that never collide; the task the labels make.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { OPTIONS } from '../../src/cli/options.js';
import { isDawnLine } from '../../src/cli/supervisor.js';
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
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Temporary names a save leaves in `folder` (there must be none). */
const temporaries = (folder: string) => readdirSync(folder).filter((f) => f.includes('.tmp-'));
/** The JSON objects of a --json run's standard output. */
const jsonLines = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l));

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
    for (const o of objects.slice(0, 3)) for (const k of ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'seconds', 'samples_per_second']) expect(typeof o[k]).toBe('number');
    expect(objects[3].summary.saved).toBe(modelDir);
    expect(objects[3].summary.backend).toBe(backend);
    expect(objects[3].summary.validation_accuracy).toBeGreaterThanOrEqual(0);
    // One key style throughout, Keras's (val_loss): snake_case at every depth.
    const keys = (v: unknown): string[] => (v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => [k, ...keys(x)]) : []);
    expect(objects.flatMap(keys).filter((k) => !/^[a-z0-9]+(_[a-z0-9]+)*$/.test(k))).toEqual([]);
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

  it("the safetensors file is the torch.nn.Sequential's state_dict: Linear weights [out, in], the Keras kernels transposed", () => {
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(tensorsFile)));
    expect(tensors.map((t) => [t.name, t.shape])).toEqual([
      ['0.weight', [8, 2]],
      ['0.bias', [8]],
      ['2.weight', [1, 8]],
      ['2.bias', [1]],
    ]);
    expect(metadata).toMatchObject({ format: 'pt', layout: 'pytorch', torch_modules: 'Linear(2, 8), ReLU(), Linear(8, 1), Sigmoid()' });
    const bin = readFileSync(join(modelDir, 'weights.bin'));
    const keras = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
    // weights.bin: kernel 1 [2, 8], bias 1 [8], kernel 2 [8, 1], bias 2 [1].
    const w0 = tensors[0]!.values;
    for (let u = 0; u < 8; u++) for (let j = 0; j < 2; j++) expect(w0[u * 2 + j]).toBe(keras[j * 8 + u]);
    expect(Array.from(tensors[1]!.values)).toEqual(Array.from(keras.subarray(16, 24)));
    expect(Array.from(tensors[2]!.values)).toEqual(Array.from(keras.subarray(24, 32)));
    expect(Array.from(tensors[3]!.values)).toEqual(Array.from(keras.subarray(32, 33)));
  });

  it('--safetensors-layout keras keeps Keras names and layouts, and says so', async () => {
    const file = join(dir, 'keras.safetensors');
    const r = await runCli(['--load', modelDir, '--data', 'xor', '--epochs', '1', '--no-save', '--export', 'safetensors', file, '--safetensors-layout', 'keras', '--backend', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(file)));
    expect(tensors.map((t) => [t.name, t.shape])).toEqual([
      ['dense_1.kernel', [2, 8]],
      ['dense_1.bias', [8]],
      ['dense_2.kernel', [8, 1]],
      ['dense_2.bias', [1]],
    ]);
    expect(metadata).toMatchObject({ format: 'keras', layout: 'keras' });
    const bad = await runCli(['--data', 'xor', '--no-save', '--safetensors-layout', 'keras']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('webgpu-train: --safetensors-layout is the layout of --export safetensors FILE; give --export too');
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
    // Where the model goes is said before training starts, not only after.
    const announced = r.stdout.indexOf(`save: ${modelDir} (when training ends)`);
    expect(announced).toBeGreaterThanOrEqual(0);
    expect(announced).toBeLessThan(r.stdout.indexOf('epoch 1/2'));
  });

  it('Ctrl-C stops after the current epoch, saves the model, says so, and exits 130', async () => {
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
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('stopping after this epoch');
    const objects = jsonLines(r.stdout);
    const epochs = objects.filter((o) => o.epoch !== undefined);
    expect(epochs.length).toBeGreaterThanOrEqual(2);
    expect(epochs.length).toBeLessThan(10);
    const summary = objects.at(-1).summary;
    expect(summary).toMatchObject({ stopped: true, stopped_by: 'SIGINT', epochs: epochs.length, saved: saveDir });
    expect(r.stderr).toMatch(new RegExp(`stopped by Ctrl-C \\(SIGINT\\) after ${epochs.length} of 500 epochs`));
    expect(readdirSync(saveDir).sort()).toEqual(['model.json', 'weights.bin']);
  });

  it('SIGTERM is an interrupt too: stop after the epoch, save, say so, exit 143', async () => {
    const saveDir = join(dir, 'terminated');
    let sent = false;
    const r = await runCli(['--data', 'spiral', '--samples', '2000', '--epochs', '500', '--save', saveDir, '--backend', backend], {
      onStdout: (chunk, kill) => {
        if (!sent && chunk.includes('epoch   2/500')) {
          sent = true;
          kill('SIGTERM');
        }
      },
    });
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toContain('SIGTERM: stopping after this epoch');
    expect(r.stdout).toMatch(/^stopped by SIGTERM after \d+ of 500 epochs$/m);
    expect(r.stdout).toContain(`saved: ${saveDir}`);
    expect(readdirSync(saveDir).sort()).toEqual(['model.json', 'weights.bin']);
  });

  // A model large enough that saving it takes a moment: the signals below land around the save.
  const bigModel = ['--data', 'xor', '--samples', '60', '--layers', '1500,1500', '--epochs', '1', '--json', '--backend', backend];

  it('Ctrl-C once training is over lets the save finish, then exits 130', async () => {
    const folder = join(dir, 'late-signal');
    mkdirSync(folder);
    const saveDir = join(folder, 'model');
    let sent = false;
    const r = await runCli([...bigModel, '--save', saveDir], {
      onStdout: (chunk, kill) => {
        if (!sent && chunk.includes('"epoch":1')) {
          sent = true;
          kill('SIGINT');
        }
      },
    });
    expect(r.code, r.stderr).toBe(130);
    expect(readdirSync(saveDir).sort()).toEqual(['model.json', 'weights.bin']);
    expect(statSync(join(saveDir, 'weights.bin')).size).toBe((2 * 1500 + 1500 + 1500 * 1500 + 1500 + 1500 + 1) * 4);
    expect(jsonLines(r.stdout).at(-1).summary).toMatchObject({ stopped: true, stopped_by: 'SIGINT', saved: saveDir });
    expect(temporaries(folder)).toEqual([]);
  });

  it('a second Ctrl-C around the save quits at once, leaving no temporary and no half-written model', async () => {
    const folder = join(dir, 'double-signal');
    mkdirSync(folder);
    const saveDir = join(folder, 'model');
    let sent = false;
    const r = await runCli([...bigModel, '--save', saveDir, '--export', 'safetensors', join(folder, 'w.safetensors')], {
      onStdout: (chunk, kill) => {
        if (!sent && chunk.includes('"epoch":1')) {
          sent = true;
          kill('SIGINT');
          setTimeout(() => kill('SIGINT'), 5);
        }
      },
    });
    expect(r.code, r.stderr).toBe(130);
    // Either the save was done before the second signal was seen, or there is no save at all: never a part of one.
    if (existsSync(saveDir)) expect(readdirSync(saveDir).sort()).toEqual(['model.json', 'weights.bin']);
    expect(temporaries(folder)).toEqual([]);
    expect(readdirSync(folder).every((f) => f === 'model' || f === 'w.safetensors')).toBe(true);
  });

  it('a closed standard output (| head -1) stops the run quietly, like an interrupt: saved, exit 141, no stack trace', async () => {
    const saveDir = join(dir, 'piped');
    let closed = false;
    const r = await runCli(['--data', 'spiral', '--samples', '2000', '--epochs', '500', '--save', saveDir, '--backend', backend], {
      onStdout: (_chunk, _kill, closeStdout) => {
        if (!closed) {
          closed = true;
          closeStdout();
        }
      },
    });
    expect(r.code, r.stderr).toBe(141);
    expect(r.stderr).toBe('');
    expect(readdirSync(saveDir).sort()).toEqual(['model.json', 'weights.bin']);
  });

  it('default save names never collide: taken names get -2, -3, before training and at save time', async () => {
    const cwd = join(dir, 'defaults');
    mkdirSync(join(cwd, 'models'), { recursive: true });
    // Every name the next half minute could give, taken (as by runs started in the same second).
    const stamp = (t: number) => new Date(t).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const taken = new Set<string>();
    for (let t = Date.now() - 2000; t < Date.now() + 30_000; t += 500) taken.add(`xor-${stamp(t)}`);
    for (const name of taken) {
      mkdirSync(join(cwd, 'models', name));
      writeFileSync(join(cwd, 'models', name, 'other-run.txt'), 'theirs');
    }
    const r = await runCli(['--data', 'xor', '--epochs', '1', '--json', '--backend', backend], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const saved = jsonLines(r.stdout).at(-1).summary.saved as string;
    expect(saved).toMatch(/models\/xor-\d{8}-\d{6}-2$/);
    expect(taken.has(saved.split('/').at(-1)!.slice(0, -2))).toBe(true);
    for (const name of taken) expect(readdirSync(join(cwd, 'models', name))).toEqual(['other-run.txt']);

    // Taken while this run trains: saved under the next free name instead of failing.
    let text = '';
    let name: string | undefined;
    const late = await runCli(['--data', 'spiral', '--samples', '2000', '--epochs', '500', '--backend', backend], {
      cwd,
      onStdout: (chunk, kill) => {
        text += chunk;
        const m = /^save: (\S+) \(when training ends\)$/m.exec(text);
        if (!name && m && /^epoch +2\/500/m.test(text)) {
          name = m[1]!;
          mkdirSync(join(cwd, name));
          writeFileSync(join(cwd, name, 'other-run.txt'), 'theirs');
          kill('SIGINT');
        }
      },
    });
    expect(late.code, late.stderr).toBe(130);
    expect(name).toMatch(/^models\/spiral-\d{8}-\d{6}$/);
    expect(late.stdout).toContain(`saved: ${join(cwd, `${name}-2`)} `);
    expect(readdirSync(join(cwd, name!))).toEqual(['other-run.txt']);
    expect(readdirSync(join(cwd, `${name}-2`)).sort()).toEqual(['model.json', 'weights.bin']);
  });

  it('saving removes temporaries that crashed runs left in the folder, and only those', async () => {
    const folder = join(dir, 'stale');
    mkdirSync(folder);
    // No process has pid 999999999 (Linux's largest is 4194304); this test's own pid is alive.
    mkdirSync(join(folder, '.model.tmp-999999999-abc123'));
    writeFileSync(join(folder, '.model.tmp-999999999-abc123', 'weights.bin'), 'half');
    writeFileSync(join(folder, '.w.safetensors.tmp-999999999-k2x'), 'half');
    mkdirSync(join(folder, `.other.tmp-${process.pid}-abc123`));
    writeFileSync(join(folder, '.notes.tmp-mine'), 'not ours');
    writeFileSync(join(folder, 'notes.txt'), 'mine');
    // A replaced model whose replacement never arrived comes back under its name.
    mkdirSync(join(folder, '.previous.tmp-999999999-abc123.old'));
    writeFileSync(join(folder, '.previous.tmp-999999999-abc123.old', 'model.json'), '{}');
    const r = await runCli(['--data', 'xor', '--epochs', '1', '--save', join(folder, 'model'), '--backend', backend]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(folder).sort()).toEqual(['.notes.tmp-mine', `.other.tmp-${process.pid}-abc123`, 'model', 'notes.txt', 'previous']);
    expect(readdirSync(join(folder, 'previous'))).toEqual(['model.json']);
  });

  it('an export that fails after training (its path became a directory) names it and leaves no temporary', async () => {
    const folder = join(dir, 'export-fails');
    mkdirSync(folder);
    const target = join(folder, 'w.safetensors');
    let done = false;
    const r = await runCli(['--data', 'spiral', '--samples', '2000', '--epochs', '500', '--no-save', '--export', 'safetensors', target, '--backend', backend], {
      onStdout: (chunk, kill) => {
        if (!done && /^epoch +2\/500/m.test(chunk)) {
          done = true;
          mkdirSync(target);
          kill('SIGINT');
        }
      },
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^webgpu-train: --export: .*w\.safetensors is a directory; give a file name$/);
    expect(readdirSync(folder)).toEqual(['w.safetensors']);
    expect(readdirSync(target)).toEqual([]);
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

describe('the task the labels make', () => {
  const csv = (name: string, labels: number[]) => {
    const path = join(dir, name);
    writeFileSync(path, `a,b,label\n${labels.map((l, i) => `${Math.sin(i)},${Math.cos(i * 1.3)},${l}`).join('\n')}\n`);
    return path;
  };

  it('continuous labels are regression: said in the header, and no accuracy anywhere', async () => {
    const data = csv('regression.csv', Array.from({ length: 40 }, (_, i) => (i % 2 ? -1.2 : 3.4) * (i / 39)));
    const plain = await runCli(['--data', data, '--epochs', '2', '--no-save', '--backend', backend]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^task: regression \(labels from -1\.2 to 3\.\d+\)$/m);
    expect(plain.stdout).toMatch(/^epoch 1\/2 · loss \d+\.\d{4} · val_loss \d+\.\d{4} · /m);
    expect(plain.stdout).toMatch(/^validation loss: \d+\.\d{4} \(8 samples/m);
    expect(plain.stdout).not.toMatch(/acc/);
    const json = await runCli(['--data', data, '--epochs', '2', '--no-save', '--json', '--backend', backend]);
    expect(json.code, json.stderr).toBe(0);
    const objects = jsonLines(json.stdout);
    for (const o of objects.slice(0, 2)) expect(Object.keys(o).filter((k) => k.includes('acc'))).toEqual([]);
    expect(objects[2].summary).toMatchObject({ task: 'regression' });
    expect(Object.keys(objects[2].summary).filter((k) => k.includes('acc'))).toEqual([]);
    expect(typeof objects[2].summary.validation_loss).toBe('number');
  });

  it('labels 1 and 2 are 3 classes, the empty class 0 named; labels with -1 are regression', async () => {
    const r = await runCli(['--data', csv('one-two.csv', Array.from({ length: 20 }, (_, i) => 1 + (i % 2))), '--epochs', '1', '--no-save', '--backend', backend]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^task: 3 classes \(labels 0–2; class 0 has no sample\)$/m);
    expect(r.stdout).toMatch(/→ 3 softmax /);
    expect(r.stdout).toMatch(/validation accuracy: \d+\.\d\d%/);
    const signs = await runCli(['--data', csv('signs.csv', Array.from({ length: 20 }, (_, i) => (i % 2 ? 1 : -1))), '--epochs', '1', '--no-save', '--backend', backend]);
    expect(signs.code, signs.stderr).toBe(0);
    expect(signs.stdout).toMatch(/^task: regression \(labels from -1 to 1\)$/m);
    expect(signs.stdout).toMatch(/→ 1 linear /);
  });

  it('--task says what the labels are: multiclass on 0/1 labels, regression on class numbers', async () => {
    const multi = await runCli(['--data', 'xor', '--task', 'multiclass', '--epochs', '1', '--no-save', '--backend', backend]);
    expect(multi.code, multi.stderr).toBe(0);
    expect(multi.stdout).toMatch(/^task: 2 classes \(labels 0–1\), as --task says$/m);
    expect(multi.stdout).toMatch(/→ 2 softmax .* · sparseCategoricalCrossentropy/);
    const reg = await runCli(['--data', csv('counts.csv', Array.from({ length: 20 }, (_, i) => i % 4)), '--task', 'regression', '--epochs', '1', '--no-save', '--backend', backend]);
    expect(reg.code, reg.stderr).toBe(0);
    expect(reg.stdout).toMatch(/^task: regression \(labels from 0 to 3\), as --task says$/m);
    expect(reg.stdout).toMatch(/→ 1 linear .* · meanSquaredError/);
    const binary = await runCli(['--data', 'moons', '--epochs', '1', '--no-save', '--backend', backend]);
    expect(binary.stdout).toMatch(/^task: binary \(labels 0 and 1\)$/m);
  });

  it('--load and --predict without --data only predict: the width from the model, no data set loaded', async () => {
    const modelDir = join(dir, 'two-inputs');
    const trained = await runCli(['--data', 'xor', '--epochs', '2', '--save', modelDir, '--backend', backend]);
    expect(trained.code, trained.stderr).toBe(0);
    const out = join(dir, 'predict-only.csv');
    const r = await runCli(['--load', modelDir, '--predict', join(dir, 'points.csv'), '--output', out, '--backend', backend]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^data: none \(only predicting\)$/m);
    expect(r.stdout).toMatch(/^task: binary \(from the model's sigmoid output\)$/m);
    expect(r.stdout).not.toMatch(/MNIST|accuracy|loss \d/);
    expect(readPredictions(out)).toHaveLength(points.length);
  });
});

describe('standard error', () => {
  it("holds only our lines on WebGPU: Dawn's adapter-probe warnings are kept out (WEBGPU_TRAIN_DAWN_LOG=1 shows them)", async (ctx) => {
    if (backend !== 'webgpu') return ctx.skip('no WebGPU adapter here');
    const args = ['--data', 'xor', '--epochs', '1', '--no-save', '--json', '--backend', 'webgpu'];
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(/^backend: webgpu · adapter: /);
    expect(lines.filter(isDawnLine)).toEqual([]);
    // The same run with Dawn's lines shown: the software adapter's probe prints some, so the check above can fail.
    const raw = await runCli(args, { env: { WEBGPU_TRAIN_DAWN_LOG: '1' } });
    expect(raw.code).toBe(0);
    const dawn = raw.stderr.split('\n').filter(isDawnLine);
    console.log(`Dawn's lines kept out of standard error: ${dawn.length} (${dawn[0] ?? 'none'})`);
    if (gpuRequired) expect(dawn.length).toBeGreaterThan(0);
  });
});

describe('--normalize', () => {
  // A ring of class-1 points around class 0, its two features on scales six orders of magnitude apart.
  const ring = (n: number, seed: number) => {
    const rng = (() => {
      let state = seed;
      return () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    })();
    return Array.from({ length: n }, () => {
      const [a, b] = [rng() * 1.8, rng() * 1.8];
      return [a * 1000 + 5000, b * 0.001 - 3, a * a + b * b > 1.1 ? 1 : 0] as const;
    });
  };
  const data = join(dir, 'scaled.csv');
  const rows = join(dir, 'scaled-rows.csv');
  const model = join(dir, 'scaled-model');
  const test = ring(200, 11);
  const accuracy = (r: { stdout: string }) => Number(/validation accuracy: (\d+\.\d+)%/.exec(r.stdout)![1]);

  it('standardizes features with the training rows, saves the statistics, and --load applies them to --predict rows', async () => {
    writeFileSync(data, `a,b,label\n${ring(500, 7).map((r) => r.join(',')).join('\n')}\n`);
    writeFileSync(rows, `a,b\n${test.map(([a, b]) => `${a},${b}`).join('\n')}\n`);
    const args = ['--data', data, '--layers', '16,16', '--epochs', '80', '--lr', '0.01', '--backend', backend];
    const [raw, scaled] = await Promise.all([runCli([...args, '--no-save']), runCli([...args, '--normalize', '--save', model])]);
    expect(raw.code, raw.stderr).toBe(0);
    expect(scaled.code, scaled.stderr).toBe(0);
    console.log(`[cli] features 6 orders of magnitude apart: validation accuracy ${accuracy(raw)}% as they are, ${accuracy(scaled)}% with --normalize`);
    expect(scaled.stdout).toMatch(/^normalize: each feature standardized with the mean and standard deviation of the 400 training rows \(saved with the model\)$/m);
    expect(accuracy(scaled)).toBeGreaterThan(90);
    expect(accuracy(scaled)).toBeGreaterThan(accuracy(raw) + 15);

    const meta = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8')).userDefinedMetadata;
    expect(meta.webgpuTrain.training.loss).toBe('binaryCrossentropy');
    const [meanA, meanB] = meta.normalization.mean as number[];
    const [stdA, stdB] = meta.normalization.std as number[];
    expect(Math.abs(meanA! - 5000)).toBeLessThan(150);
    expect(Math.abs(meanB! + 3)).toBeLessThan(1.5e-4);
    expect(stdA! / 1000).toBeGreaterThan(0.8);
    expect(stdB! / 0.001).toBeGreaterThan(0.8);

    // Raw rows in, the model's statistics applied: the predicted classes match the ring.
    const out = join(dir, 'scaled-predictions.csv');
    const p = await runCli(['--load', model, '--predict', rows, '--output', out, '--backend', backend]);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/^normalize: each feature standardized with the statistics saved with the loaded model$/m);
    const predicted = readFileSync(out, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
    const right = predicted.filter((c, i) => c === test[i]![2]).length / test.length;
    console.log(`[cli] --load applies the saved statistics: ${(right * 100).toFixed(1)}% of ${test.length} new raw rows classified right`);
    expect(right).toBeGreaterThan(0.9);
    // TensorFlow.js loads the file with its metadata.
    const json = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8'));
    const bytes = readFileSync(join(model, 'weights.bin'));
    const theirs = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), userDefinedMetadata: json.userDefinedMetadata }));
    expect(theirs.getUserDefinedMetadata()).toMatchObject({ normalization: { mean: meta.normalization.mean } });
  });

  it('refuses --normalize on a loaded model trained without it, and statistics of the wrong width', async () => {
    const plain = join(dir, 'plain-model');
    const t = await runCli(['--data', 'xor', '--epochs', '1', '--save', plain, '--backend', backend]);
    expect(t.code, t.stderr).toBe(0);
    const r = await runCli(['--data', 'xor', '--load', plain, '--normalize', '--backend', backend]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^webgpu-train: --normalize: the model in .*plain-model was trained on features as they are \(it holds no normalization statistics\); drop --normalize to use it$/);
    const json = JSON.parse(readFileSync(join(plain, 'model.json'), 'utf8'));
    json.userDefinedMetadata.normalization = { mean: [0, 0, 0], std: [1, 1, 1] };
    writeFileSync(join(plain, 'model.json'), JSON.stringify(json));
    const bad = await runCli(['--data', 'xor', '--load', plain, '--backend', backend]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^webgpu-train: --load: .*plain-model\/model\.json: userDefinedMetadata\.normalization must hold 'mean' and 'std', 2 finite numbers each \(std > 0\)$/);
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
    // Every choice of every enumerated option is listed, 'linear' among the activations.
    const line = (name: string) => r.stdout.split('\n').find((l) => l.startsWith(`  --${name} `))!;
    for (const [name, spec] of Object.entries(OPTIONS)) for (const choice of spec.choices ?? []) expect(line(name)).toMatch(new RegExp(`\\b${choice}\\b`));
    expect(line('activation')).toMatch(/: linear, relu, sigmoid, tanh \(default: relu\)$/);
    for (const data of ['mnist', 'xor', 'circles', 'spiral', 'moons', 'gaussians']) expect(line('data')).toContain(data);
  });

  it("the README's spiral example learns the two arms (86–89% held-out)", async () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const line = readme.split('\n').find((l) => l.startsWith('npm run train -- --data spiral'))!;
    const args = line.replace('npm run train -- ', '').replace(/#.*$/, '').trim().split(/\s+/);
    const r = await runCli([...args, '--no-save', '--backend', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    const acc = Number(/validation accuracy: (\d+\.\d+)%/.exec(r.stdout)![1]);
    console.log(`[cli] README spiral example (${args.join(' ')}) on cpu: ${acc}% held-out`);
    expect(acc).toBeGreaterThanOrEqual(85);
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

