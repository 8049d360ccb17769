// model.save('file://…') and loadModel('file://…') in Node, through the
// library's Node entry: the directory the command line writes, atomic, a
// previous model replaced but nothing else, and TensorFlow.js reading it.
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import { dense, loadModel, sequential, type Sequential } from '../../src/node.js';
import { Random } from '../../src/random.js';

const work = mkdtempSync(join(tmpdir(), 'webgpu-train-save-files-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeAll(async () => void (await tf.setBackend('cpu')));

const rng = new Random(8);
const x = Array.from({ length: 5 }, () => Array.from({ length: 10 }, () => rng.next()));
const model = (seed: number): Sequential => {
  const m = sequential([dense({ units: 16, activation: 'relu', inputShape: [10] }), dense({ units: 1, activation: 'sigmoid' })], { seed, backend: new CpuBackend() });
  m.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
  return m;
};
const predict = async (m: Sequential) => Array.from(await (await m.predict(x)).data());

describe('file:// in Node', () => {
  it('saves model.json + weights.bin, loads them back compiled; TF.js reads the same files', async () => {
    const dir = join(work, 'keras');
    const m = model(1);
    const result = await m.save(`file://${dir}`);
    expect(result.location).toBe(dir);
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const back = await loadModel(`file://${dir}`);
    expect(await predict(back)).toEqual(await predict(m));
    expect(back.compileConfig?.loss).toBe('binaryCrossentropy');
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const weights = readFileSync(join(dir, 'weights.bin'));
    const theirs = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) }),
    );
    const out = (theirs.predict(tf.tensor(x)) as tf.Tensor).dataSync();
    expect(Math.max(...(await predict(m)).map((v, i) => Math.abs(v - out[i]!)))).toBeLessThan(1e-6);
  });

  it('relative file:// paths resolve from the working directory; saving again replaces the model', async () => {
    const dir = join(work, 'again');
    const rel = relative(process.cwd(), dir);
    await model(1).save(`file://${rel}`);
    const second = model(2);
    await second.save(`file://${rel}`);
    expect(await predict(await loadModel(`file://${rel}`))).toEqual(await predict(second));
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    expect(readdirSync(work).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('never replaces a directory holding other files, and names what is wrong', async () => {
    const dir = join(work, 'notes');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await expect(model(1).save(`file://${dir}`)).rejects.toThrow(new RegExp(`^save: file://${dir}: ${dir} holds files that are not part of a saved model \\(notes\\.txt\\)`));
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    await expect(loadModel(`file://${join(work, 'none')}`)).rejects.toThrow(/^load: .*none\/model\.json does not exist$/);
    expect(existsSync(join(work, 'none'))).toBe(false);
  });
});
