// Bad command-line input: one line on stderr saying what is wrong, exit code
// 2, no stack trace, nothing written.
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
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
});

const CASES: [string, string[], RegExp][] = [
  ['an unknown flag', ['--epochz', '3'], /^webgpu-train: unknown option --epochz \(see --help\)$/],
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
  ['a bad choice', ['--optimizer', 'nadam'], /^webgpu-train: --optimizer: 'nadam' is not one of sgd, momentum, adam, adamw, rmsprop$/],
  ['a zero learning rate', ['--lr', '0'], /^webgpu-train: --lr: the learning rate must be greater than 0, got 0$/],
  ['conflicting batch options', ['--mode', 'sgd', '--batch-size', '8'], /^webgpu-train: --mode sgd fixes the batch size \(1\)/],
  ['an unknown data set', ['--data', 'cifar'], /^webgpu-train: --data: 'cifar' is not a data set name/],
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
    });
  }
});
