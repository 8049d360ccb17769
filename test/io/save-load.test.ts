// model.save and loadModel away from the file system: artifacts in memory, a
// save handler object, model.json over HTTP, picked files, and the errors for
// a URL that cannot work here. Every load predicts what the saved model did,
// and TensorFlow.js reads the same artifacts and predicts the same.
import * as tf from '@tensorflow/tfjs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import { conv2d, dense, flatten, l2, loadModel, maxPooling2d, sequential, type ModelArtifacts, type Sequential } from '../../src/index.js';
import { modelJsonOf } from '../../src/io/artifacts.js';
import { Random } from '../../src/random.js';
import { gpuIt } from '../helpers/gpu.js';

const rng = new Random(5);
const x = Array.from({ length: 6 }, () => Array.from({ length: 64 }, () => rng.next()));

function cnn(): Sequential {
  const m = sequential(
    [
      conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }),
      maxPooling2d({ poolSize: 2 }),
      flatten(),
      dense({ units: 4, activation: 'softmax', kernelRegularizer: l2(0.01) }),
    ],
    { seed: 3, backend: new CpuBackend() },
  );
  m.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  return m;
}

const predict = async (m: Sequential) => Array.from(await (await m.predict(x)).data());

/** A server for the files of one saved model, and a count of requests per path. */
let server: http.Server;
let base = '';
const files = new Map<string, Uint8Array>();
beforeAll(async () => {
  await tf.setBackend('cpu');
  server = http.createServer((req, res) => {
    const body = files.get(req.url ?? '');
    if (body) res.writeHead(200).end(body);
    else res.writeHead(404, 'Not Found').end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('save and load without a file system', () => {
  it('a save handler receives TensorFlow.js artifacts; loadModel takes them back, compiled as saved; TF.js predicts the same', async () => {
    const m = cnn();
    const want = await predict(m);
    let saved: ModelArtifacts | undefined;
    const result = await m.save({ save: async (a) => ((saved = a), { location: 'memory', modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', modelTopologyBytes: 0, weightSpecsBytes: 0, weightDataBytes: a.weightData.byteLength } }) });
    expect(result.modelArtifactsInfo.weightDataBytes).toBe((3 * 3 * 1 * 3 + 3 + 27 * 4 + 4) * 4);
    const back = await loadModel(saved!);
    expect(await predict(back)).toEqual(want);
    // Compiled with the saved loss and optimizer: it trains at once.
    expect(back.compileConfig?.loss).toBe('categoricalCrossentropy');
    await back.fit(x, x.map((_, i) => [0, 1, 2, 3].map((c) => (c === i % 4 ? 1 : 0))), { epochs: 1 });

    const theirs = await tf.loadLayersModel(tf.io.fromMemory(saved as never));
    const out = (theirs.predict(tf.tensor(x.flat(), [6, 8, 8, 1])) as tf.Tensor).dataSync();
    const maxDiff = Math.max(...Array.from(out, (v, i) => Math.abs(v - want[i]!)));
    console.log(`[save-load] TF.js on our artifacts: max |Δ| ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThan(1e-6);
  });

  it("user-defined metadata travels in model.json beside the library's own, and TF.js reads it", async () => {
    const m = cnn();
    const meta = { classes: ['a', 'b', 'c', 'd'], normalization: { mean: [0.5], std: [0.25] } };
    m.setUserDefinedMetadata(meta);
    meta.classes.push('changed later'); // the model keeps a copy
    let saved: ModelArtifacts | undefined;
    await m.save({ save: async (a) => ((saved = a), { location: 'memory', modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', modelTopologyBytes: 0, weightSpecsBytes: 0, weightDataBytes: 0 } }) });
    expect(Object.keys(saved!.userDefinedMetadata!).sort()).toEqual(['classes', 'normalization', 'webgpuTrain']);
    const back = await loadModel(saved!);
    expect(back.getUserDefinedMetadata()).toEqual({ classes: ['a', 'b', 'c', 'd'], normalization: { mean: [0.5], std: [0.25] } });
    expect(back.compileConfig?.loss).toBe('categoricalCrossentropy');
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(saved as never));
    expect((theirs.getUserDefinedMetadata() as { classes: string[] }).classes).toEqual(['a', 'b', 'c', 'd']);
    expect(() => m.setUserDefinedMetadata({ webgpuTrain: 1 })).toThrow(/'webgpuTrain' is the library's own/);
    expect(() => m.setUserDefinedMetadata({ n: 1n } as never)).toThrow(/^setUserDefinedMetadata: not JSON-serializable/);
  });

  it('loads model.json over HTTP, the weights resolved against its URL; a missing file is named', async () => {
    const m = cnn();
    const want = await predict(m);
    let a: ModelArtifacts | undefined;
    await m.save({ save: async (x) => ((a = x), { location: '', modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', modelTopologyBytes: 0, weightSpecsBytes: 0, weightDataBytes: 0 } }) });
    files.set('/models/cnn/model.json', new TextEncoder().encode(JSON.stringify(modelJsonOf(a!, './shard/w.bin'))));
    files.set('/models/cnn/shard/w.bin', new Uint8Array(a!.weightData));
    expect(await predict(await loadModel(`${base}/models/cnn/model.json`))).toEqual(want);
    await expect(loadModel(`${base}/models/none/model.json`)).rejects.toThrow(new RegExp(`^load: GET ${base}/models/none/model.json: 404 Not Found$`));
    files.delete('/models/cnn/shard/w.bin');
    await expect(loadModel(`${base}/models/cnn/model.json`)).rejects.toThrow(new RegExp(`^load: GET ${base}/models/cnn/shard/w.bin: 404 Not Found$`));
  });

  it('loads picked files (model.json + weights, as an <input type=file> gives them); names what is missing', async () => {
    const m = cnn();
    const want = await predict(m);
    let a: ModelArtifacts | undefined;
    await m.save({ save: async (x) => ((a = x), { location: '', modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', modelTopologyBytes: 0, weightSpecsBytes: 0, weightDataBytes: 0 } }) });
    const json = new File([JSON.stringify(modelJsonOf(a!, './my-model.weights.bin'))], 'my-model.json');
    const weights = new File([a!.weightData], 'my-model.weights.bin');
    expect(await predict(await loadModel([weights, json]))).toEqual(want);
    await expect(loadModel([json])).rejects.toThrow(/^load: my-model\.json names the weights file 'my-model\.weights\.bin', which is not among the files given \(my-model\.json\)$/);
    await expect(loadModel([weights])).rejects.toThrow(/^load: expected exactly one \.json file \(the model\) among the files given \(my-model\.weights\.bin\), found 0$/);
  });

  it('a URL that cannot work here is refused with one line', async () => {
    const m = cnn();
    await expect(m.save('my-model')).rejects.toThrow(/^save: 'my-model' has no scheme; write file:\/\/my-model \(Node\), or indexeddb:\/\/, localstorage:\/\/, downloads:\/\/ in a browser$/);
    await expect(m.save('s3://bucket/m')).rejects.toThrow(/^save: unknown scheme 's3:\/\/'; valid: file:\/\/, indexeddb:\/\//);
    await expect(m.save('indexeddb://m')).rejects.toThrow(/^save: indexeddb:\/\/ needs a browser with IndexedDB$/);
    await expect(m.save('downloads://m')).rejects.toThrow(/^save: downloads:\/\/ needs a browser page \(document\)$/);
    await expect(m.save(`${base}/m`)).rejects.toThrow(/^save: http:\/\/ cannot save a model; save with file:\/\//);
    await expect(loadModel('localstorage://m')).rejects.toThrow(/^load: localstorage:\/\/ needs a browser with localStorage$/);
    await expect(loadModel(42 as never)).rejects.toThrow(/^load: expected a URL string, a list of files or model artifacts, got number$/);
  });

  gpuIt('a model saved on the CPU loads onto WebGPU and predicts the same', async (gpu) => {
    const m = cnn();
    const want = await predict(m);
    let a: ModelArtifacts | undefined;
    await m.save({ save: async (x) => ((a = x), { location: '', modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', modelTopologyBytes: 0, weightSpecsBytes: 0, weightDataBytes: 0 } }) });
    const got = await predict(await loadModel(a!, { backend: gpu }));
    const maxDiff = Math.max(...got.map((v, i) => Math.abs(v - want[i]!)));
    console.log(`[save-load] webgpu vs cpu after load: max |Δ| ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThan(1e-5);
  });
});
