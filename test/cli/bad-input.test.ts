// Bad command-line input: one line on stderr saying what is wrong, exit code
// 2, no stack trace, nothing written.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'webgpu-train-cli-'));
const file = (name: string, text: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

beforeAll(() => {
  buildCli();
  file('ragged.csv', 'a,b,label\n1,2,0\n3,4\n');
  file('nan.csv', 'a,b,label\n1,2,0\n3,x,1\n');
  file('good.csv', 'a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n0,1,0\n');
  file('predict3.csv', 'a,b,c\n1,2,3\n');
  file('prices.csv', 'a,b,price\n1,2,0.5\n3,4,1.25\n5,6,2.5\n7,8,0.75\n');
  mkdirSync(join(dir, 'notjson'));
  file('notjson/model.json', '{ this is not json');
  mkdirSync(join(dir, 'conv'));
  file('conv/model.json', JSON.stringify({ modelTopology: { class_name: 'Sequential', config: { layers: [{ class_name: 'LSTM', config: { name: 'lstm', units: 4, batch_input_shape: [null, 5, 2] } }] } }, weightsManifest: [] }));
  mkdirSync(join(dir, 'short'));
  file('short/model.json', JSON.stringify({
    modelTopology: { class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { name: 'd', units: 1, activation: 'sigmoid', use_bias: true, batch_input_shape: [null, 2] } }] } },
    weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'd/kernel', shape: [2, 1], dtype: 'float32' }, { name: 'd/bias', shape: [1], dtype: 'float32' }] }],
  }));
  file('short/weights.bin', new Uint8Array(8));
  mkdirSync(join(dir, 'full'));
  file('full/keep.txt', 'precious');
  // A previous model with a file of the user's beside it: --force must not take the file with it.
  mkdirSync(join(dir, 'modelplus'));
  file('modelplus/model.json', JSON.stringify({ modelTopology: { class_name: 'Sequential' }, weightsManifest: [{ paths: ['weights.bin'], weights: [] }] }));
  file('modelplus/weights.bin', new Uint8Array(12));
  file('modelplus/notes.txt', 'mine');
  // Model directories whose manifests point elsewhere: outside, at a device, at the directory itself.
  const dense = (paths: string[], extra: object = {}) =>
    JSON.stringify({
      modelTopology: { class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { name: 'd', units: 1, activation: 'sigmoid', use_bias: true, batch_input_shape: [null, 2] } }] } },
      weightsManifest: [{ paths, weights: [{ name: 'd/kernel', shape: [2, 1], dtype: 'float32' }, { name: 'd/bias', shape: [1], dtype: 'float32' }] }],
      ...extra,
    });
  for (const [name, paths] of [['escape', ['../short/weights.bin']], ['zero', ['../../../../../../dev/zero']], ['absolute', ['/dev/zero']], ['itself', ['.']], ['device', ['weights.bin']], ['huge', ['weights.bin']]] as const) {
    mkdirSync(join(dir, name));
    file(`${name}/model.json`, dense([...paths]));
  }
  symlinkSync('/dev/zero', join(dir, 'device/weights.bin'));
  // 3 GB on paper, no space on disk: reading it whole would fail (or take the memory); its size alone says it is wrong.
  file('huge/weights.bin', '');
  truncateSync(join(dir, 'huge/weights.bin'), 3 * 2 ** 30);
  mkdirSync(join(dir, 'bogus'));
  file('bogus/model.json', dense(['weights.bin'], { userDefinedMetadata: { webgpuTrain: { training: { loss: 'bogusLoss', optimizer: { kind: 'adam' } } } } }));
  file('bogus/weights.bin', new Uint8Array(12));
  file('three.csv', 'a,b,label\n1,2,0\n3,4,1\n5,6,2\n7,8,1\n');
  file('hex.csv', 'a,b,label\n1,2,0\n3,0x10,1\n');
  file('binary.csv', 'a,b,label\n1,0b101,0\n3,4,1\n');
  file('infinity.csv', 'a,b,label\n1,2,0\n3,Infinity,1\n');
  file('empty-cell.csv', 'a,b,label\n1,2,0\n3,,1\n');
  file('too-large.csv', 'a,b,label\n1,2,0\n3,1e39,1\n');
  file('unnamed.csv', 'a,,label\n1,2,0\n3,4,1\n');
  file('twice.csv', 'a,a,label\n1,2,0\n3,4,1\n');
  file('points.csv', 'a,b\n1,2\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CASES: [string, string[], RegExp][] = [
  ['an unknown flag, with the closest known one', ['--epochz', '3'], /^webgpu-train: unknown option --epochz; did you mean --epochs\? \(see --help\)$/],
  ['a singular for a plural', ['--epoch', '3'], /^webgpu-train: unknown option --epoch; did you mean --epochs\? \(see --help\)$/],
  ['a flag like no other', ['--colour', 'red'], /^webgpu-train: unknown option --colour \(see --help\)$/],
  ['a mistyped command', ['trian'], /^webgpu-train: unknown command 'trian'; commands: train, compare, help; did you mean train\?$/],
  ['a mistyped choice', ['--activation', 'sigmod'], /^webgpu-train: --activation: 'sigmod' is not one of linear, relu, sigmoid, tanh; did you mean sigmoid\?$/],
  ['an unknown command', ['fly'], /^webgpu-train: unknown command 'fly'; commands: train, compare, help$/],
  ['a missing value', ['--epochs'], /^webgpu-train: --epochs needs a value \(N\)$/],
  ['a value that is a flag', ['--lr', '--epochs', '2'], /^webgpu-train: --lr needs a value \(RATE\)$/],
  ['a malformed number', ['--lr', 'fast'], /^webgpu-train: --lr: 'fast' is not a number$/],
  ['a zero count', ['--epochs', '0'], /^webgpu-train: --epochs: must be at least 1, got 0$/],
  ['a negative count', ['--batch-size', '-4'], /^webgpu-train: --batch-size: must be at least 1, got -4$/],
  ['a fractional count', ['--epochs', '2.5'], /^webgpu-train: --epochs: '2.5' is not a whole number$/],
  ['a bad layer list', ['--layers', '64,x'], /^webgpu-train: --layers: 'x' is not a layer; write N \(dense\), convFxK\[sS\]\[same\], maxpoolN.*$/],
  ['an unknown activation in a layer list', ['--layers', '64:gelu'], /^webgpu-train: --layers: '64:gelu': unknown activation 'gelu'; valid: linear, relu, sigmoid, tanh, softmax$/],
  ['convolutions on data that are not images', ['--data', 'xor', '--layers', 'conv8x3,16'], /^webgpu-train: --layers: convolution and pooling need images, but xor has 2 features per sample$/],
  ['a kernel larger than its input', ['--layers', 'conv8x3,maxpool2,conv8x3,maxpool2,conv8x9'], /^webgpu-train: conv2d 'conv2d_3': a 9×9 kernel does not fit in its 5×5 input with padding 'valid' \(use padding 'same' or a smaller kernel\)$/],
  ['a layer too large to hold', ['--data', 'xor', '--layers', '1000000000'], /^webgpu-train: sequential: layer 'dense_1' needs a kernel of shape \[2, 1000000000\]: 2,000,000,000 values \(7\.5 GiB\), over the cpu backend's limit of 2\.0 GiB per tensor$/],
  ['two layers whose product is too large', ['--data', 'xor', '--layers', '100000,100000'], /^webgpu-train: sequential: layer 'dense_2' needs a kernel of shape \[100000, 100000\]/],
  ['a preset and a loaded model', ['--model', 'cnn', '--load', join(dir, 'short')], /^webgpu-train: --layers and --model build a new model; --load loads one: give one or the other$/],
  ['an unknown preset', ['--model', 'resnet'], /^webgpu-train: --model: 'resnet' is not one of mlp, cnn$/],
  ['a bad choice', ['--optimizer', 'nadam'], /^webgpu-train: --optimizer: 'nadam' is not one of sgd, momentum, adam, adamw, rmsprop; did you mean adam\?$/],
  ['a zero learning rate', ['--lr', '0'], /^webgpu-train: --lr: the learning rate must be greater than 0, got 0$/],
  ['conflicting batch options', ['--mode', 'sgd', '--batch-size', '8'], /^webgpu-train: --mode sgd fixes the batch size \(1\)/],
  ['an unknown data set', ['--data', 'cifar'], /^webgpu-train: --data: 'cifar' is not a data set name \(mnist, xor, circles, spiral, moons, gaussians\) or a \.csv file$/],
  ['a mistyped data set', ['--data', 'spirl'], /^webgpu-train: --data: 'spirl' is not a data set name .* or a \.csv file; did you mean spiral\?$/],
  ['an unreadable file', ['--data', join(dir, 'missing.csv')], /^webgpu-train: --data: cannot read .*missing\.csv: ENOENT$/],
  ['a ragged CSV row', ['--data', join(dir, 'ragged.csv')], /^webgpu-train: .*ragged\.csv line 3: 2 values, but the header has 3 columns$/],
  ['a non-number in the CSV', ['--data', join(dir, 'nan.csv')], /^webgpu-train: .*nan\.csv line 3, column 2 \('b'\): 'x' is not a number$/],
  ['an unknown label column', ['--data', join(dir, 'good.csv'), '--label', 'price'], /no column named 'price' \(columns: a, b, label\)$/],
  ['model.json that is not JSON', ['--data', 'xor', '--load', join(dir, 'notjson')], /^webgpu-train: .*notjson\/model\.json: not valid JSON/],
  ['a model with a layer class we do not have', ['--data', 'xor', '--load', join(dir, 'conv')], /^webgpu-train: .*conv\/model\.json: layer 1 \('lstm'\) is a LSTM; supported: Dense, Conv2D, MaxPooling2D, AveragePooling2D, Flatten, Dropout$/],
  ['a weights file of the wrong size', ['--data', 'xor', '--load', join(dir, 'short')], /^webgpu-train: .*short\/model\.json: the weights files hold 8 bytes, the model needs 12 \(3 float32 values\)$/],
  ['a model directory that does not exist', ['--data', 'xor', '--load', join(dir, 'nothing')], /^webgpu-train: load: .*nothing\/model\.json does not exist$/],
  ['saving over a non-empty directory', ['--data', 'xor', '--epochs', '1', '--save', join(dir, 'full')], /^webgpu-train: --save: .*full exists and is not empty \(use --force to replace it\)$/],
  ['predict rows with the wrong width', ['--data', 'xor', '--epochs', '1', '--no-save', '--predict', join(dir, 'predict3.csv')], /^webgpu-train: --predict: .*predict3\.csv has 3 feature columns, the model takes 2$/],
  // Output paths, checked before any training.
  ['a --save folder that cannot be created', ['--data', 'xor', '--save', '/proc/m'], /^webgpu-train: --save: cannot create \/proc\/m: \/proc is not writable \(ENOENT\)$/],
  ['a --save folder under a file', ['--data', 'xor', '--save', join(dir, 'good.csv', 'm')], /^webgpu-train: --save: .*good\.csv\/m: .*good\.csv is not a directory$/],
  ['--save of the current directory, even with --force', ['--data', 'xor', '--save', '.', '--force'], /^webgpu-train: --save: \. is the current directory; a model is saved into a folder of its own \(e\.g\. model\)$/],
  ['--force over a directory that holds no model', ['--data', 'xor', '--save', join(dir, 'full'), '--force'], /^webgpu-train: --save: .*full holds files that are not part of a saved model \(keep\.txt\); --force replaces only a previous model \(model\.json and the weights it lists\)$/],
  ['--force over a model with a file of the user beside it', ['--data', 'xor', '--save', join(dir, 'modelplus'), '--force'], /^webgpu-train: --save: .*modelplus holds files that are not part of a saved model \(notes\.txt\); --force replaces only a previous model/],
  ['--export to a directory', ['--data', 'xor', '--no-save', '--export', 'safetensors', join(dir, 'full')], /^webgpu-train: --export: .*full is a directory; give a file name$/],
  ['--export over an existing file', ['--data', 'xor', '--no-save', '--export', 'safetensors', join(dir, 'good.csv')], /^webgpu-train: --export: .*good\.csv exists \(use --force to replace it\)$/],
  ['--export where nothing can be written', ['--data', 'xor', '--no-save', '--export', 'safetensors', '/proc/w.safetensors'], /^webgpu-train: --export: cannot create \/proc\/w\.safetensors: \/proc is not writable \(ENOENT\)$/],
  ['--output to a directory', ['--data', 'xor', '--no-save', '--predict', join(dir, 'points.csv'), '--output', join(dir, 'full')], /^webgpu-train: --output: .*full is a directory; give a file name$/],
  ['--output over an existing file', ['--data', 'xor', '--no-save', '--predict', join(dir, 'points.csv'), '--output', join(dir, 'good.csv')], /^webgpu-train: --output: .*good\.csv exists \(use --force to replace it\)$/],
  // Weight paths in a manifest: inside the model directory, regular files, the right size before reading.
  ['a weights path leading outside the model directory', ['--data', 'xor', '--load', join(dir, 'escape')], /^webgpu-train: .*escape\/model\.json: weights path '\.\.\/short\/weights\.bin' leads outside the model directory .*escape$/],
  ['a weights path climbing to /dev/zero', ['--data', 'xor', '--load', join(dir, 'zero')], /^webgpu-train: .*zero\/model\.json: weights path '(\.\.\/)+dev\/zero' leads outside the model directory/],
  ['an absolute weights path', ['--data', 'xor', '--load', join(dir, 'absolute')], /^webgpu-train: .*absolute\/model\.json: weights path '\/dev\/zero' is absolute; weight paths are relative to the model directory$/],
  ['a weights path naming the model directory', ['--data', 'xor', '--load', join(dir, 'itself')], /^webgpu-train: .*itself\/model\.json: weights path '\.' is the model directory itself, not a file$/],
  ['a weights file that is a device', ['--data', 'xor', '--load', join(dir, 'device')], /^webgpu-train: .*device\/model\.json: weights path 'weights\.bin' is not a regular file$/],
  ['a weights file far too large, refused by its size', ['--data', 'xor', '--load', join(dir, 'huge')], /^webgpu-train: .*huge\/model\.json: the weights files hold 3221225472 bytes, the model needs 12 \(3 float32 values\)$/],
  ['an unknown loss in the training metadata', ['--data', 'xor', '--load', join(dir, 'bogus')], /^webgpu-train: .*bogus\/model\.json: userDefinedMetadata\.webgpuTrain\.training\.loss is "bogusLoss", not a known loss \(meanSquaredError, binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy\)$/],
  // Labels and tasks.
  ['--label for a built-in data set', ['--data', 'xor', '--label', 'y'], /^webgpu-train: --label: xor is a built-in data set with its own labels; --label names a column of a CSV file \(--data FILE\.csv\)$/],
  ['an unknown --task', ['--data', 'xor', '--task', 'ranking'], /^webgpu-train: --task: 'ranking' is not one of binary, multiclass, regression$/],
  ['--task binary on labels that are not 0 and 1', ['--data', join(dir, 'three.csv'), '--task', 'binary'], /^webgpu-train: --task binary needs labels 0 and 1, but .*three\.csv has the label 2 \(sample 3\)$/],
  ['--task multiclass on fractional labels', ['--data', join(dir, 'prices.csv'), '--task', 'multiclass'], /^webgpu-train: --task multiclass needs whole-number labels from 0, but .*prices\.csv has the label 0\.5 \(sample 1\)$/],
  // CSV numbers as people write them, and named columns.
  ['a hexadecimal number in the CSV', ['--data', join(dir, 'hex.csv')], /^webgpu-train: .*hex\.csv line 3, column 2 \('b'\): '0x10' is not a number$/],
  ['a binary literal in the CSV', ['--data', join(dir, 'binary.csv')], /^webgpu-train: .*binary\.csv line 2, column 2 \('b'\): '0b101' is not a number$/],
  ['Infinity in the CSV', ['--data', join(dir, 'infinity.csv')], /^webgpu-train: .*infinity\.csv line 3, column 2 \('b'\): 'Infinity' is not a number$/],
  ['an empty cell in the CSV', ['--data', join(dir, 'empty-cell.csv')], /^webgpu-train: .*empty-cell\.csv line 3, column 2 \('b'\): an empty cell is not a number$/],
  ['a number beyond float32 in the CSV', ['--data', join(dir, 'too-large.csv')], /^webgpu-train: .*too-large\.csv line 3, column 2 \('b'\): '1e39' is out of the float32 range$/],
  ['a CSV column without a name', ['--data', join(dir, 'unnamed.csv')], /^webgpu-train: .*unnamed\.csv line 1, column 2: the header gives this column no name$/],
  ['a CSV header naming a column twice', ['--data', join(dir, 'twice.csv')], /^webgpu-train: .*twice\.csv line 1, column 2: the header names 'a' twice \(columns 1 and 2\)$/],
  ['labels that do not suit the loss', ['--data', join(dir, 'prices.csv'), '--loss', 'categoricalCrossentropy'], /^webgpu-train: --loss categoricalCrossentropy needs integer class labels, but .*prices\.csv has continuous labels \(use meanSquaredError\)$/],
  ['targets outside [0, 1] for binary cross-entropy', ['--data', join(dir, 'prices.csv'), '--loss', 'binaryCrossentropy'], /^webgpu-train: fit: binaryCrossentropy needs targets in \[0, 1\], but sample 1 has 1.25$/],
];

describe('bad command-line input', () => {
  for (const [what, args, message] of CASES) {
    it(what, async () => {
      const before = readdirSync(dir).sort();
      // Run inside the scratch folder: a default --save would land there, and fail the check below.
      const r = await runCli([...args, '--backend', 'cpu'], { cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/\bat .*\.(js|ts):\d+/);
      expect(readdirSync(dir).sort()).toEqual(before);
      expect(readdirSync(join(dir, 'full'))).toEqual(['keep.txt']);
      expect(readdirSync(join(dir, 'modelplus')).sort()).toEqual(['model.json', 'notes.txt', 'weights.bin']);
    });
  }

  it('the default --save where nothing can be written: refused before training, with the way out', async () => {
    // /proc takes no new entries, even from root (who ignores permission bits).
    const r = await runCli(['--data', 'xor', '--backend', 'cpu'], { cwd: '/proc' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim()).toMatch(/^webgpu-train: --save: cannot create models\/xor-\d{8}-\d{6}: \/proc is not writable \(ENOENT\) \(the default --save; give --save DIR or --no-save\)$/);
    expect(r.stdout).not.toMatch(/^epoch/m);
  });
});
