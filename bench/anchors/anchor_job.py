"""The job the benchmark hands to the anchors, and what every anchor shares.

`npm run bench` (bench/anchors/anchors.mjs) writes a folder with `job.json` and
one raw little-endian file per array: the very digits, labels and Keras samples
our engine and TF.js trained on in the same run, so the anchors train on the same
numbers and need not rebuild the fixed MNIST split. job.json:

    {
      "format": 1,
      "seed": 1,
      "arrays": {NAME: {"file": "NAME.bin", "dtype": "float32" | "uint8", "shape": [rows, ...]}},
      "optimizer": {"name": "adam", "learningRate", "beta1", "beta2", "epsilon"},
      "matmul": {"runs", "minRuns", "timedSeconds", "cases": [{"key", "n", "form": "A·B" | "Aᵀ·B" | "A·Bᵀ"}]},
      "training": [{
        "key", "name", "mode": "epochs" | "fits",
        "inputShape": [784] | [28, 28, 1]  (one sample, NHWC for images, as in our engine),
        "layers": [{"type": "dense" | "conv2d" | "maxPooling2d" | "averagePooling2d" | "flatten" | "dropout", ...}],
        "loss": "categoricalCrossentropy" | "binaryCrossentropy",
        "batchSize", "params" (the trainable parameter count the model must have),
        "train": {"x": NAME, "labels": NAME} or {"x": NAME, "y": NAME}, with "rows",
        "test": the same, or null,
        "mode" epochs: "warmupEpochs", "timedEpochs";  mode fits: "epochs", "runs"
      }]
    }

`layers` is every layer of the model as our library builds it (the output layer
included), from bench/model.mjs. Only numpy is needed here, so that `--dry-run`
checks a job on a machine without torch or jax.
"""

import json
import math
import os
import statistics

import numpy as np

FORMAT = 1
DTYPES = {'float32': np.float32, 'uint8': np.uint8}
FORMS = ('A·B', 'Aᵀ·B', 'A·Bᵀ')
LAYER_TYPES = ('dense', 'conv2d', 'maxPooling2d', 'averagePooling2d', 'flatten', 'dropout')
LOSSES = {'categoricalCrossentropy': 'softmax', 'binaryCrossentropy': 'sigmoid'}


class JobError(Exception):
    """A job this script cannot read: a message for the benchmark's log."""


def load_job(path):
    """job.json and its arrays (numpy, read-only views of the files), checked."""
    folder = os.path.dirname(os.path.abspath(path))
    with open(path, encoding='utf-8') as f:
        job = json.load(f)
    if job.get('format') != FORMAT:
        raise JobError(f'{path}: format {job.get("format")!r}, this script reads format {FORMAT}')
    arrays = {}
    for name, spec in job.get('arrays', {}).items():
        dtype = DTYPES.get(spec['dtype'])
        if dtype is None:
            raise JobError(f'array {name}: dtype {spec["dtype"]!r} is not one of {", ".join(DTYPES)}')
        values = np.fromfile(os.path.join(folder, spec['file']), dtype=dtype)
        count = math.prod(spec['shape'])
        if values.size != count:
            raise JobError(f'array {name}: {values.size} values in {spec["file"]}, shape {spec["shape"]} needs {count}')
        arrays[name] = values.reshape(spec['shape'])
    for case in job.get('matmul', {}).get('cases', []):
        if case['form'] not in FORMS:
            raise JobError(f'matmul {case["key"]}: form {case["form"]!r} is not one of {", ".join(FORMS)}')
    for entry in job.get('training', []):
        check_entry(entry, arrays)
    return job, arrays


def check_entry(entry, arrays):
    key = entry['key']
    if entry['mode'] not in ('epochs', 'fits'):
        raise JobError(f'{key}: mode {entry["mode"]!r}')
    if entry['loss'] not in LOSSES:
        raise JobError(f'{key}: loss {entry["loss"]!r} is not one of {", ".join(LOSSES)}')
    for layer in entry['layers']:
        if layer['type'] not in LAYER_TYPES:
            raise JobError(f'{key}: no anchor builds a {layer["type"]} layer')
    output = entry['layers'][-1]
    if output['type'] != 'dense' or output.get('activation') != LOSSES[entry['loss']]:
        # The output activation is folded into the loss (logits in, as fused kernels take them).
        raise JobError(f'{key}: {entry["loss"]} needs a dense {LOSSES[entry["loss"]]} output layer, not {output}')
    for part in ('train', 'test'):
        s = entry.get(part)
        if not s:
            continue
        for field in ('x', 'labels', 'y'):
            if field in s and s[field] not in arrays:
                raise JobError(f'{key}: {part}.{field} names no array ({s[field]!r})')
        x = arrays[s['x']]
        if s['rows'] > x.shape[0] or list(x.shape[1:]) != [math.prod(entry['inputShape'])]:
            raise JobError(f'{key}: {part} needs {s["rows"]} samples of {entry["inputShape"]}, {s["x"]} is {list(x.shape)}')


def samples(entry, part, arrays):
    """(x [rows, *inputShape] float32, target) of the entry's train or test set, as numpy.

    The target is the class index (int32) for categorical cross-entropy, and the
    0/1 column [rows, 1] (float32) for binary cross-entropy.
    """
    s = entry[part]
    rows = s['rows']
    x = np.ascontiguousarray(arrays[s['x']][:rows]).reshape([rows, *entry['inputShape']])
    if 'labels' in s:
        target = arrays[s['labels']][:rows].astype(np.int32)
    else:
        target = np.ascontiguousarray(arrays[s['y']][:rows], dtype=np.float32).reshape(rows, -1)
    return x, target


def batches(rows, batch_size):
    """Batch sizes of one epoch: full batches, then the remainder, as our fit runs them."""
    full, rest = divmod(rows, batch_size)
    return [batch_size] * full + ([rest] if rest else [])


def sampled_entries(n):
    """The 64 (row, column) entries of an n×n product our matmul rows check (bench/workloads.mjs)."""
    return [((s * 7919) % n, (s * 104729 + 13) % n) for s in range(64)]


def matmul_error(c, a, b, form):
    """Largest error of the sampled entries of C, relative to Σ|a·b| of each (float64 on the CPU)."""
    n = a.shape[0]
    worst = 0.0
    for i, j in sampled_entries(n):
        x = a[:, i] if form == 'Aᵀ·B' else a[i, :]
        y = b[j, :] if form == 'A·Bᵀ' else b[:, j]
        terms = x.astype(np.float64) * y.astype(np.float64)
        magnitude = float(np.abs(terms).sum()) or 1.0
        worst = max(worst, abs(float(c[i, j]) - float(terms.sum())) / magnitude)
    return worst


# Whether a matmul really computes in fp32: every entry of A·B, for A all 1 + 2⁻¹² and B all
# ones (n×n), is n + n·2⁻¹² exactly in fp32 (n = 1024: 1024.25, every partial sum exact);
# TF32 keeps 10 bits of mantissa, reads 1 + 2⁻¹² as 1, and gives n.
FP32_PROBE_N = 1024
FP32_PROBE_VALUE = 1 + 2 ** -12


def fp32_probe_result(value):
    exact = FP32_PROBE_N * FP32_PROBE_VALUE
    return {'n': FP32_PROBE_N, 'got': float(value), 'fp32': exact, 'exact': float(value) == exact}


def timed_run_count(job, warm_seconds):
    """As our matmul rows: fewer runs (never under minRuns) when they would take over timedSeconds together."""
    m = job['matmul']
    if warm_seconds <= 0:
        return m['runs']
    return max(m['minRuns'], min(m['runs'], math.floor(m['timedSeconds'] / warm_seconds)))


def epoch_speed(entry, epoch_ends):
    """Samples/s over the timed epochs, from the epoch ends (seconds from the fit's start), as our rows."""
    warm = entry['warmupEpochs']
    timed = entry['timedEpochs']
    seconds = epoch_ends[warm + timed - 1] - (epoch_ends[warm - 1] if warm else 0.0)
    return timed * entry['train']['rows'] / seconds


def median(values):
    return statistics.median(values)


def describe_layers(entry):
    """The model as one line: '784 → dense 128 relu → dense 10 softmax'."""
    parts = ['×'.join(str(d) for d in entry['inputShape'])]
    for l in entry['layers']:
        t = l['type']
        if t == 'dense':
            parts.append(f'dense {l["units"]} {l.get("activation") or "linear"}')
        elif t == 'conv2d':
            parts.append(f'conv {l["filters"]} {l["kernelSize"]}×{l["kernelSize"]} {l.get("activation") or "linear"}')
        elif t in ('maxPooling2d', 'averagePooling2d'):
            parts.append(f'{t[:3]}pool {l["poolSize"]}')
        elif t == 'dropout':
            parts.append(f'dropout {l["rate"]}')
        else:
            parts.append(t)
    return ' → '.join(parts)


def plan(job, arrays):
    """What a run of this job would do, one entry per measurement, for --dry-run."""
    out = []
    m = job.get('matmul')
    if m:
        for case in m['cases']:
            out.append({'key': case['key'], 'anchors': ['pytorch-eager'],
                        'what': f'C = {case["form"]} of {case["n"]}×{case["n"]} fp32, median of up to {m["runs"]} timed products'})
    o = job['optimizer']
    for entry in job.get('training', []):
        steps = batches(entry['train']['rows'], entry['batchSize'])
        if entry['mode'] == 'epochs':
            schedule = f'{entry["warmupEpochs"]} warm-up + {entry["timedEpochs"]} timed epochs'
        else:
            schedule = f'{entry["epochs"]} epochs per fit, 1 warm-up fit + median of {entry["runs"]}'
        test = f', held-out {entry["test"]["rows"]}' if entry.get('test') else ''
        out.append({
            'key': entry['key'],
            'anchors': ['pytorch-eager', 'pytorch-graph', 'jax-jit'],
            'what': (f'{describe_layers(entry)} · {entry["loss"]} · {o["name"]} lr {o["learningRate"]} · '
                     f'{entry["train"]["rows"]} samples, batch {entry["batchSize"]} ({len(steps)} steps per epoch'
                     f'{f", the last of {steps[-1]}" if steps[-1] != entry["batchSize"] else ""}) · {schedule}{test}'),
        })
    return out


def describe_arrays(arrays):
    """Shape, dtype and simple statistics of each array, so a dry run shows the data arrived intact."""
    out = {}
    for name, a in arrays.items():
        d = {'dtype': str(a.dtype), 'shape': list(a.shape)}
        if a.size:
            d.update(min=float(a.min()), max=float(a.max()), sum=float(a.astype(np.float64).sum()))
        if a.dtype == np.uint8:
            d['counts'] = np.bincount(a.reshape(-1), minlength=10).tolist()
        out[name] = d
    return out
