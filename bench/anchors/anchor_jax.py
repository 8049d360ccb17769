"""The JAX anchor: training with one jit-compiled epoch, its steps in lax.scan.

As the PyTorch anchors (anchor_torch.py): the same model, initialisation, Adam,
data and timing. The epoch is one jitted function of (parameters, Adam state,
random key, all samples, all targets): it draws the epoch's permutation, scans
the train step over the full batches (each gathers its batch by index, takes the
loss and its gradient, and updates with Adam), runs the remainder batch after
the scan, and returns the mean loss, which the host reads back (`float(...)`)
to end the epoch. The first epoch compiles it; a fit of the Keras example after
the warm-up fit reuses the compiled function (same shapes).

Matmuls and convolutions run at precision 'highest' (fp32; JAX's default on
NVIDIA GPUs is TF32). Adam is optax's when optax imports, else the same update
written in jax.numpy.
"""

import math
import time

import numpy as np
import jax
import jax.numpy as jnp
from jax import lax

from anchor_job import FP32_PROBE_N, FP32_PROBE_VALUE, epoch_speed, fp32_probe_result, median, samples

try:
    import optax
except ImportError:
    optax = None

jax.config.update('jax_default_matmul_precision', 'highest')

ACTIVATIONS = {'relu': jax.nn.relu, 'tanh': jnp.tanh, 'sigmoid': jax.nn.sigmoid, 'linear': lambda x: x}
EVAL_BATCH = 1024


def run(job, arrays, anchor_ids, out, log, cpu=False):
    a = jnp.full((FP32_PROBE_N, FP32_PROBE_N), FP32_PROBE_VALUE, jnp.float32)
    out['fp32Matmul'] = {'anchor': 'jax-jit', **fp32_probe_result(jax.jit(jnp.matmul)(a, jnp.ones_like(a))[0, 0])}
    for entry in job.get('training', []):
        key = entry['key']
        try:
            m = train(job, entry, arrays)
            m.update(anchor='jax-jit', key=key)
            out['measurements'].append(m)
            log(f'{key} · jax-jit: {m["value"]:.6g} {m["unit"]}')
        except Exception as e:
            out['failures'].append({'anchor': 'jax-jit', 'key': key, 'error': f'{type(e).__name__}: {e}'.split('\n')[0]})
            log(f'{key} · jax-jit: failed: {type(e).__name__}: {e}')


# ---- the model -----------------------------------------------------------------------------------

def glorot(key, shape, fan_in, fan_out):
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return jax.random.uniform(key, shape, jnp.float32, -limit, limit)


def build_model(entry):
    """(init(key) → parameters, forward(parameters, x, key, training) → logits), NHWC as the job's data.

    Parameters are a list with one tuple per layer (empty for layers without
    any); the output activation is left to the loss.
    """
    shape = list(entry['inputShape'])
    inits = []
    layers = []
    last = len(entry['layers']) - 1
    for i, l in enumerate(entry['layers']):
        t = l['type']
        activation = ACTIVATIONS['linear'] if i == last else ACTIVATIONS.get(l.get('activation') or 'linear')
        if activation is None:
            raise ValueError(f'activation {l.get("activation")!r}')
        if t == 'dense':
            if len(shape) != 1:
                raise ValueError(f'dense layer on a {shape} input without a flatten')
            fan_in, units = shape[0], l['units']
            inits.append(lambda k, a=fan_in, b=units: (glorot(k, (a, b), a, b), jnp.zeros((b,), jnp.float32)))
            layers.append(lambda p, x, k, training, f=activation: f(x @ p[0] + p[1]))
            shape = [units]
        elif t == 'conv2d':
            h, w, c = shape
            size, filters = l['kernelSize'], l['filters']
            s = l.get('strides') or 1
            padding = 'SAME' if l.get('padding') == 'same' else 'VALID'
            inits.append(lambda k, z=size, c=c, f=filters: (glorot(k, (z, z, c, f), z * z * c, z * z * f), jnp.zeros((f,), jnp.float32)))
            layers.append(lambda p, x, k, training, s=s, pad=padding, f=activation: f(
                lax.conv_general_dilated(x, p[0], (s, s), pad, dimension_numbers=('NHWC', 'HWIO', 'NHWC')) + p[1]))
            if padding == 'SAME':
                shape = [-(-h // s), -(-w // s), filters]
            else:
                shape = [(h - size) // s + 1, (w - size) // s + 1, filters]
        elif t in ('maxPooling2d', 'averagePooling2d'):
            if (l.get('padding') or 'valid') != 'valid':
                raise ValueError(f'{t}: only valid padding')
            p = l['poolSize']
            s = l.get('strides') or p
            window, strides = (1, p, p, 1), (1, s, s, 1)
            inits.append(lambda k: ())
            if t == 'maxPooling2d':
                layers.append(lambda _, x, k, training, w=window, st=strides: lax.reduce_window(x, -jnp.inf, lax.max, w, st, 'VALID'))
            else:
                layers.append(lambda _, x, k, training, w=window, st=strides, n=p * p: lax.reduce_window(x, 0.0, lax.add, w, st, 'VALID') / n)
            h, w_, c = shape
            shape = [(h - p) // s + 1, (w_ - p) // s + 1, c]
        elif t == 'flatten':
            inits.append(lambda k: ())
            layers.append(lambda _, x, k, training: x.reshape(x.shape[0], -1))
            shape = [math.prod(shape)]
        elif t == 'dropout':
            rate = l['rate']
            inits.append(lambda k: ())
            layers.append(lambda _, x, k, training, r=rate: dropout(x, k, r) if training else x)
        else:
            raise ValueError(f'no JAX layer for {l}')

    def init(key):
        keys = jax.random.split(key, len(inits))
        return [f(k) for f, k in zip(inits, keys)]

    def forward(params, x, key, training):
        keys = jax.random.split(key, len(layers))
        for layer, p, k in zip(layers, params, keys):
            x = layer(p, x, k, training)
        return x

    return init, forward


def dropout(x, key, rate):
    keep = jax.random.bernoulli(key, 1.0 - rate, x.shape)
    return jnp.where(keep, x / (1.0 - rate), 0.0)


def loss_function(entry):
    """Mean cross-entropy from logits: class indices, or 0/1 columns for the binary loss."""
    if entry['loss'] == 'categoricalCrossentropy':
        def categorical(logits, labels):
            logp = jax.nn.log_softmax(logits)
            return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=1))
        return categorical

    def binary(logits, y):
        # log(1 + e^z) - y·z, written to stay finite for large |z|.
        return jnp.mean(jnp.maximum(logits, 0.0) - logits * y + jnp.log1p(jnp.exp(-jnp.abs(logits))))
    return binary


def adam(o):
    """(init(parameters) → state, update(parameters, gradients, state) → (parameters, state))."""
    lr, b1, b2, eps = o['learningRate'], o['beta1'], o['beta2'], o['epsilon']
    if optax is not None:
        tx = optax.adam(lr, b1=b1, b2=b2, eps=eps)

        def update(params, grads, state):
            updates, state = tx.update(grads, state, params)
            return optax.apply_updates(params, updates), state
        return tx.init, update

    tree = jax.tree_util.tree_map

    def init(params):
        zeros = tree(jnp.zeros_like, params)
        return (jnp.zeros((), jnp.float32), zeros, zeros)

    def update(params, grads, state):
        t, m, v = state
        t = t + 1.0
        m = tree(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
        v = tree(lambda v, g: b2 * v + (1 - b2) * g * g, v, grads)
        c1 = 1 - b1 ** t
        c2 = 1 - b2 ** t
        params = tree(lambda p, m, v: p - lr * (m / c1) / (jnp.sqrt(v / c2) + eps), params, m, v)
        return params, (t, m, v)
    return init, update


# ---- training ------------------------------------------------------------------------------------

def make_epoch(entry, forward, loss_fn, update):
    """The jitted epoch for this entry's sample count and batch size."""
    rows = entry['train']['rows']
    batch = entry['batchSize']
    full = rows // batch

    def step(carry, index, x_all, t_all):
        params, state, key, loss_sum = carry
        key, dropout_key = jax.random.split(key)
        xb = jnp.take(x_all, index, axis=0)
        tb = jnp.take(t_all, index, axis=0)
        loss, grads = jax.value_and_grad(lambda p: loss_fn(forward(p, xb, dropout_key, True), tb))(params)
        params, state = update(params, grads, state)
        return params, state, key, loss_sum + loss * index.shape[0]

    @jax.jit
    def epoch(params, state, key, x_all, t_all):
        key, shuffle_key = jax.random.split(key)
        perm = jax.random.permutation(shuffle_key, rows)
        carry = (params, state, key, jnp.zeros((), jnp.float32))
        if full:
            carry, _ = lax.scan(lambda c, index: (step(c, index, x_all, t_all), None), carry,
                                perm[:full * batch].reshape(full, batch))
        if full * batch < rows:
            carry = step(carry, perm[full * batch:], x_all, t_all)
        params, state, key, loss_sum = carry
        return params, state, key, loss_sum / rows

    return epoch


def block(tree):
    for leaf in jax.tree_util.tree_leaves(tree):
        leaf.block_until_ready()


def train(job, entry, arrays):
    init, forward = build_model(entry)
    loss_fn = loss_function(entry)
    opt_init, update = adam(job['optimizer'])
    epoch = make_epoch(entry, forward, loss_fn, update)
    x_np, t_np = samples(entry, 'train', arrays)
    x = jax.device_put(x_np)
    t = jax.device_put(t_np)
    params0 = init(jax.random.PRNGKey(job['seed']))
    count = sum(int(np.prod(leaf.shape)) for leaf in jax.tree_util.tree_leaves(params0))

    def fit(epochs):
        params = init(jax.random.PRNGKey(job['seed']))
        state = opt_init(params)
        key = jax.random.PRNGKey(job['seed'] + 1)
        block((params, state, x, t))
        start = time.perf_counter()
        ends = []
        loss = math.nan
        for _ in range(epochs):
            params, state, key, mean_loss = epoch(params, state, key, x, t)
            loss = float(mean_loss)
            ends.append(time.perf_counter() - start)
        return ends, loss, params

    if entry['mode'] == 'fits':
        fit(entry['epochs'])  # compiles
        walls = []
        loss = math.nan
        for _ in range(entry['runs']):
            ends, loss, _ = fit(entry['epochs'])
            walls.append(ends[-1])
        return {'value': median(walls), 'unit': 's', 'loss': loss, 'params': count}

    ends, loss, params = fit(entry['warmupEpochs'] + entry['timedEpochs'])
    m = {'value': epoch_speed(entry, ends), 'unit': 'samples/s', 'loss': loss, 'params': count,
         'epochSeconds': [b - a for a, b in zip([0.0] + ends, ends)]}
    if entry.get('test'):
        xt, lt = samples(entry, 'test', arrays)
        predict = jax.jit(lambda p, xb: jnp.argmax(forward(p, xb, jax.random.PRNGKey(0), False), axis=1))
        correct = 0
        for i in range(0, xt.shape[0], EVAL_BATCH):
            correct += int(jnp.sum(predict(params, jax.device_put(xt[i:i + EVAL_BATCH])) == jax.device_put(lt[i:i + EVAL_BATCH])))
        m['accuracy'] = correct / xt.shape[0]
    return m
