"""PyTorch anchors: cuBLAS matmul, eager training, training replayed from CUDA graphs.

What each measures, to match our rows (bench/workloads.mjs):
- matmul: C = A·B (or Aᵀ·B, A·Bᵀ) of uniform [-1, 1] fp32 matrices on the device;
  one warm-up product, its 64 sampled entries checked against float64, then the
  median of timed products, each timed from a synchronize to a synchronize.
- training: the model the job describes, Glorot-uniform kernels and zero biases,
  Adam with the job's hyperparameters, a fresh shuffle every epoch, all the data
  on the device before the clock starts (as our fit uploads it before its first
  epoch). An epoch ends when its mean loss has been read back (`.item()`), as
  our fit and TF.js's read theirs back at every epoch end.
- eager: each step gathers its batch by index on the device, runs forward,
  backward and `optimizer.step()`.
- CUDA graph: the whole step (the gather through a static index tensor, forward,
  loss, backward, Adam with capturable=True, adding the loss to the epoch's sum)
  is captured once per batch size and replayed; a step copies its batch's indices
  into the static tensor and replays. Capture needs warm-up steps first (Adam's
  state, cuBLAS/cuDNN handles and workspaces): the first three steps of the first
  epoch (one for the remainder batch size) run eagerly on the capture stream, and
  count as the training steps they are.

The softmax (or sigmoid) output layer is folded into the loss, as cross-entropy
from logits: the fused form every framework's fit uses.
"""

import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from anchor_job import FP32_PROBE_N, FP32_PROBE_VALUE, batches, epoch_speed, fp32_probe_result, matmul_error, median, samples, timed_run_count

ACTIVATIONS = {'relu': nn.ReLU, 'tanh': nn.Tanh, 'sigmoid': nn.Sigmoid}
# Eager warm-up steps before a graph is captured: PyTorch's examples use three for
# the first capture; a later batch size finds Adam's state and the handles made.
FIRST_WARMUP_STEPS = 3
LATER_WARMUP_STEPS = 1
EVAL_BATCH = 1024


def run(job, arrays, anchor_ids, out, log, cpu=False):
    device = torch.device('cpu' if cpu else 'cuda')
    # fp32 as our kernels compute it: no TF32 in cuBLAS or cuDNN.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision('highest')
    # Convolution algorithms chosen by timing, once per shape (the warm-up epoch pays for it).
    torch.backends.cudnn.benchmark = True
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    a = torch.full((FP32_PROBE_N, FP32_PROBE_N), FP32_PROBE_VALUE, device=device)
    out['fp32Matmul'] = {'anchor': 'pytorch-eager', **fp32_probe_result((a @ torch.ones_like(a))[0, 0].item())}
    del a

    def attempt(anchor, key, fn):
        try:
            m = fn()
            m.update(anchor=anchor, key=key)
            out['measurements'].append(m)
            log(f'{key} · {anchor}: {m["value"]:.6g} {m["unit"]}')
        except Exception as e:
            out['failures'].append({'anchor': anchor, 'key': key, 'error': f'{type(e).__name__}: {e}'.split('\n')[0]})
            log(f'{key} · {anchor}: failed: {type(e).__name__}: {e}')
        finally:
            if device.type == 'cuda':
                torch.cuda.empty_cache()

    if 'pytorch-eager' in anchor_ids and job.get('matmul'):
        for case in job['matmul']['cases']:
            attempt('pytorch-eager', case['key'], lambda: matmul(job, case, device, sync))
    for entry in job.get('training', []):
        for anchor in anchor_ids:
            graphed = anchor == 'pytorch-graph'
            attempt(anchor, entry['key'], lambda: train(job, entry, arrays, device, sync, graphed))


# ---- matmul --------------------------------------------------------------------------------------

def matmul(job, case, device, sync):
    n = case['n']
    form = case['form']
    torch.manual_seed(job['seed'])
    a = torch.rand(n, n, device=device) * 2 - 1
    b = torch.rand(n, n, device=device) * 2 - 1
    # The transposes are cuBLAS's own flags: views, no copies.
    left = a.t() if form == 'Aᵀ·B' else a
    right = b.t() if form == 'A·Bᵀ' else b

    def product():
        sync()
        t0 = time.perf_counter()
        c = left @ right
        sync()
        return c, time.perf_counter() - t0

    c, warm = product()
    error = matmul_error(c.cpu().numpy(), a.cpu().numpy(), b.cpu().numpy(), form)
    del c
    count = timed_run_count(job, warm)
    times = []
    for _ in range(count):
        c, seconds = product()
        del c
        times.append(seconds)
    gflop = 2 * n ** 3 / 1e9
    return {'value': gflop / median(times), 'unit': 'GFLOP/s', 'runs': count, 'maxRelativeError': error}


# ---- the model -----------------------------------------------------------------------------------

def build_model(entry):
    """The described model as an nn.Sequential, channels first, without its output activation."""
    shape = list(entry['inputShape'])
    if len(shape) == 3:
        h, w, c = shape
        shape = [c, h, w]
    modules = []
    last = len(entry['layers']) - 1
    for i, l in enumerate(entry['layers']):
        t = l['type']
        if t == 'dense':
            if len(shape) != 1:
                raise ValueError(f'dense layer on a {shape} input without a flatten')
            m = nn.Linear(shape[0], l['units'])
            shape = [l['units']]
        elif t == 'conv2d':
            c, h, w = shape
            k = l['kernelSize']
            s = l.get('strides') or 1
            pad = l.get('padding') or 'valid'
            if pad == 'same' and s != 1:
                raise ValueError('conv2d: padding same with strides > 1 has no PyTorch equivalent here')
            m = nn.Conv2d(c, l['filters'], k, stride=s, padding=0 if pad == 'valid' else 'same')
            oh, ow = (h, w) if pad == 'same' else ((h - k) // s + 1, (w - k) // s + 1)
            shape = [l['filters'], oh, ow]
        elif t in ('maxPooling2d', 'averagePooling2d'):
            if (l.get('padding') or 'valid') != 'valid':
                raise ValueError(f'{t}: only valid padding')
            p = l['poolSize']
            s = l.get('strides') or p
            m = (nn.MaxPool2d if t == 'maxPooling2d' else nn.AvgPool2d)(p, stride=s)
            c, h, w = shape
            shape = [c, (h - p) // s + 1, (w - p) // s + 1]
        elif t == 'flatten':
            m = nn.Flatten()
            shape = [math.prod(shape)]
        elif t == 'dropout':
            m = nn.Dropout(l['rate'])
        else:
            raise ValueError(f'no PyTorch layer for {l}')
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            # Keras's and our defaults: Glorot-uniform kernels (fans include the window), zero biases.
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
        modules.append(m)
        activation = l.get('activation') or 'linear'
        if i < last and activation != 'linear':
            if activation not in ACTIVATIONS:
                raise ValueError(f'activation {activation!r}')
            modules.append(ACTIVATIONS[activation]())
    return nn.Sequential(*modules)


def loss_function(entry):
    if entry['loss'] == 'categoricalCrossentropy':
        return F.cross_entropy
    return F.binary_cross_entropy_with_logits


def to_device(entry, part, arrays, device):
    """The set as device tensors: x channels first for images, the class index as int64."""
    x, target = samples(entry, part, arrays)
    x = torch.from_numpy(x)
    if x.dim() == 4:
        x = x.permute(0, 3, 1, 2)
    target = torch.from_numpy(target)
    if target.dtype == torch.int32:
        target = target.long()
    return x.contiguous().to(device), target.to(device)


# ---- training ------------------------------------------------------------------------------------

class Trainer:
    """One model and its Adam; `step(index)` trains one batch, eagerly or by graph replay."""

    def __init__(self, job, entry, device, x, target, graphed):
        o = job['optimizer']
        self.model = build_model(entry).to(device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=o['learningRate'], betas=(o['beta1'], o['beta2']),
                                          eps=o['epsilon'], capturable=graphed)
        self.loss_fn = loss_function(entry)
        self.x = x
        self.target = target
        self.loss_sum = torch.zeros((), device=device)
        self.graphed = graphed
        self.graphs = {}
        self.warm = {}
        self.stream = torch.cuda.Stream() if graphed else None

    def body(self, index):
        """Gather, forward, loss, backward, Adam, and the loss into the epoch's sum: all on the device."""
        xb = self.x.index_select(0, index)
        tb = self.target.index_select(0, index)
        loss = self.loss_fn(self.model(xb), tb)
        loss.backward()
        self.optimizer.step()
        self.loss_sum.add_(loss.detach() * index.numel())

    def step(self, index):
        if not self.graphed:
            self.optimizer.zero_grad(set_to_none=True)
            self.body(index)
            return
        n = index.numel()
        if n in self.graphs:
            graph, static_index = self.graphs[n]
            static_index.copy_(index)
            graph.replay()
            return
        # Warm-up: this step eagerly, on the stream the capture will use.
        self.stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(self.stream):
            self.optimizer.zero_grad(set_to_none=True)
            self.body(index)
        torch.cuda.current_stream().wait_stream(self.stream)
        self.warm[n] = self.warm.get(n, 0) + 1
        if self.warm[n] >= (LATER_WARMUP_STEPS if self.graphs else FIRST_WARMUP_STEPS):
            self.capture(n)

    def capture(self, n):
        """Records one step of n samples; recording runs nothing, the next step of n replays it."""
        static_index = torch.zeros(n, dtype=torch.long, device=self.x.device)
        graph = torch.cuda.CUDAGraph()
        # No gradients at capture: backward then writes them (into the graph's own memory), never adds.
        self.optimizer.zero_grad(set_to_none=True)
        with torch.cuda.graph(graph, stream=self.stream):
            self.body(static_index)
        torch.cuda.current_stream().wait_stream(self.stream)
        self.graphs[n] = (graph, static_index)

    def epoch(self, rows, batch_size):
        """One shuffled epoch; returns its mean loss, read back, so the epoch's work is done."""
        perm = torch.randperm(rows, device=self.x.device)
        self.loss_sum.zero_()
        start = 0
        for n in batches(rows, batch_size):
            self.step(perm[start:start + n])
            start += n
        return (self.loss_sum / rows).item()

    def accuracy(self, x, target):
        self.model.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, x.shape[0], EVAL_BATCH):
                correct += int((self.model(x[i:i + EVAL_BATCH]).argmax(1) == target[i:i + EVAL_BATCH]).sum().item())
        self.model.train()
        return correct / x.shape[0]


def fit(job, entry, device, sync, graphed, x, target, epochs):
    """One fit from fresh weights: (epoch ends in seconds from its start, final loss, trainer)."""
    torch.manual_seed(job['seed'])
    trainer = Trainer(job, entry, device, x, target, graphed)
    sync()
    start = time.perf_counter()
    ends = []
    loss = math.nan
    for _ in range(epochs):
        loss = trainer.epoch(entry['train']['rows'], entry['batchSize'])
        ends.append(time.perf_counter() - start)
    return ends, loss, trainer


def train(job, entry, arrays, device, sync, graphed):
    x, target = to_device(entry, 'train', arrays, device)
    params = sum(p.numel() for p in build_model(entry).parameters())
    if entry['mode'] == 'fits':
        # The Keras example: one warm-up fit, then the median wall time of whole fits.
        fit(job, entry, device, sync, graphed, x, target, entry['epochs'])
        walls = []
        loss = math.nan
        for _ in range(entry['runs']):
            ends, loss, _ = fit(job, entry, device, sync, graphed, x, target, entry['epochs'])
            walls.append(ends[-1])
        return {'value': median(walls), 'unit': 's', 'loss': loss, 'params': params}
    epochs = entry['warmupEpochs'] + entry['timedEpochs']
    ends, loss, trainer = fit(job, entry, device, sync, graphed, x, target, epochs)
    m = {'value': epoch_speed(entry, ends), 'unit': 'samples/s', 'loss': loss, 'params': params,
         'epochSeconds': [b - a for a, b in zip([0.0] + ends, ends)]}
    if entry.get('test'):
        m['accuracy'] = trainer.accuracy(*to_device(entry, 'test', arrays, device))
    return m
