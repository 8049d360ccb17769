#!/usr/bin/env python3
"""Anchors for `npm run bench`: the benchmark's workloads in PyTorch and JAX.

    python3 anchors.py --probe                        what can run here, as JSON
    python3 anchors.py JOB.json [--framework torch|jax]  run the job (see anchor_job.py), JSON on stdout
    python3 anchors.py JOB.json --dry-run             read the job and its data (numpy only), print the plan
    python3 anchors.py JOB.json --cpu                 by hand: torch eager and jax on the CPU, labelled so

The benchmark runs this after its own rows, in the same run, with the machine's
python3 (or $BENCH_PYTHON); see bench/README.md. Three anchors:

    pytorch-eager  PyTorch eager: cuBLAS fp32 matmul, training with torch.optim.Adam
    pytorch-graph  PyTorch with one CUDA graph per optimizer step (capturable Adam)
    jax-jit        JAX: one jit-compiled epoch, its steps in lax.scan

TF32 is off in all of them (our kernels compute in fp32). An anchor that cannot
run (no torch, no CUDA device, no jax, no GPU for jax) is reported unavailable
with the reason; the benchmark never runs them on the CPU (a CPU figure beside a
GPU row would mislead): --cpu exists only to check this code by hand where no GPU
is. Progress goes to stderr; stdout carries exactly one JSON object.
"""

import argparse
import json
import os
import platform
import sys
import traceback

# The benchmark runs this from its own folder (or a packed copy): leave no __pycache__ there.
sys.dont_write_bytecode = True
# JAX would otherwise take 75% of the GPU's memory when it starts, beside the
# memory our engine and PyTorch hold in the same run.
os.environ.setdefault('XLA_PYTHON_CLIENT_PREALLOCATE', 'false')

INTERPRETER = os.path.basename(sys.executable) or 'python3'
TORCH_ANCHORS = ('pytorch-eager', 'pytorch-graph')
JAX_ANCHORS = ('jax-jit',)


def log(message):
    print(f'[anchors] {message}', file=sys.stderr, flush=True)


def probe_torch(cpu):
    """({torch, device}, {anchor: unavailable reason or None}, {anchor: label})."""
    try:
        import torch
    except Exception as e:  # ImportError, or a broken install that fails while importing
        reason = f'{INTERPRETER} has no torch' if isinstance(e, ImportError) else f'import torch failed: {e}'
        return {'torch': None}, {a: reason for a in TORCH_ANCHORS}, {}
    version = torch.__version__
    cuda = torch.cuda.is_available()
    info = {'torch': version, 'torchCuda': torch.version.cuda}
    if cuda:
        info['device'] = torch.cuda.get_device_name(0)
        labels = {
            'pytorch-eager': f'PyTorch {version} eager, CUDA {torch.version.cuda}: cuBLAS/cuDNN fp32 (TF32 off), torch.optim.Adam',
            'pytorch-graph': f'PyTorch {version}, one CUDA graph per optimizer step (static batch index, Adam capturable=True)',
        }
        return info, {a: None for a in TORCH_ANCHORS}, labels
    if cpu:
        labels = {'pytorch-eager': f'PyTorch {version} eager ON THE CPU (--cpu)'}
        return info, {'pytorch-eager': None, 'pytorch-graph': 'CUDA graphs need a CUDA device, and --cpu runs on the CPU'}, labels
    reason = f'torch {version} sees no CUDA device'
    return info, {a: reason for a in TORCH_ANCHORS}, {}


def probe_jax(cpu):
    """As probe_torch, for jax (and optax, used when present)."""
    try:
        import jax
    except Exception as e:
        reason = f'{INTERPRETER} has no jax' if isinstance(e, ImportError) else f'import jax failed: {e}'
        return {'jax': None}, {'jax-jit': reason}, {}
    try:
        import optax
        optax_version = optax.__version__
    except Exception:
        optax_version = None
    adam = f'optax {optax_version} adam' if optax_version else 'adam in jax.numpy (no optax)'
    info = {'jax': jax.__version__, 'optax': optax_version}
    try:
        backend = jax.default_backend()
    except Exception as e:
        return info, {'jax-jit': f'jax {jax.__version__} found no backend: {e}'}, {}
    info['jaxBackend'] = backend
    if backend in ('gpu', 'cuda', 'rocm'):
        info['jaxDevice'] = jax.devices()[0].device_kind
        label = f'JAX {jax.__version__} jit, an epoch in one lax.scan, fp32 (matmul precision highest), {adam}'
        return info, {'jax-jit': None}, {'jax-jit': label}
    if cpu:
        return info, {'jax-jit': None}, {'jax-jit': f'JAX {jax.__version__} jit ON THE CPU (--cpu), {adam}'}
    return info, {'jax-jit': f'jax {jax.__version__} has no GPU backend ({backend} only)'}, {}


def probe(frameworks, cpu):
    """What can run: interpreter, versions, device, and each anchor with its label or why it cannot run."""
    info = {'python': platform.python_version(), 'executable': sys.executable}
    unavailable = {}
    labels = {}
    for name, fn in (('torch', probe_torch), ('jax', probe_jax)):
        if name not in frameworks:
            continue
        i, u, lab = fn(cpu)
        info.update(i)
        unavailable.update(u)
        labels.update(lab)
    anchors = [{'id': a, 'label': labels.get(a), 'unavailable': unavailable[a]}
               for a in TORCH_ANCHORS + JAX_ANCHORS if a in unavailable]
    return {**info, 'anchors': anchors}


def main(argv):
    p = argparse.ArgumentParser(description='PyTorch and JAX anchors of the webgpu-train benchmark.')
    p.add_argument('job', nargs='?', help='job.json written by the benchmark')
    p.add_argument('--probe', action='store_true', help='print what can run here and exit')
    p.add_argument('--dry-run', action='store_true', help='read the job and its data, print the plan; needs numpy only')
    p.add_argument('--framework', choices=('torch', 'jax'), action='append',
                   help='run only these (default both; the benchmark runs each in a process of its own)')
    p.add_argument('--cpu', action='store_true', help='by hand only: run torch eager and jax on the CPU, labelled so')
    args = p.parse_args(argv)
    frameworks = args.framework or ['torch', 'jax']

    if args.probe:
        print(json.dumps(probe(frameworks, args.cpu)))
        return 0
    if not args.job:
        p.error('a job file, or --probe')
    # numpy from here on; --probe runs on a bare interpreter, and says what it lacks.
    from anchor_job import JobError, describe_arrays, load_job, plan
    try:
        job, arrays = load_job(args.job)
    except (JobError, OSError, KeyError, ValueError) as e:
        print(f'anchors.py: {args.job}: {e}', file=sys.stderr)
        return 2
    if args.dry_run:
        print(json.dumps({'dryRun': True, 'arrays': describe_arrays(arrays), 'optimizer': job['optimizer'], 'plan': plan(job, arrays)}))
        return 0

    out = probe(frameworks, args.cpu)
    out.update(measurements=[], failures=[])
    ready = {a['id']: a for a in out['anchors'] if not a['unavailable']}
    for name, ids in (('torch', TORCH_ANCHORS), ('jax', JAX_ANCHORS)):
        run_ids = [a for a in ids if a in ready]
        if name not in frameworks or not run_ids:
            continue
        # Each framework in its own module: importing one never needs the other.
        module = __import__(f'anchor_{name}')
        try:
            module.run(job, arrays, run_ids, out, log, cpu=args.cpu)
        except Exception as e:
            # Whatever failed outside one measurement (setup): those anchors ran nothing more.
            traceback.print_exc(file=sys.stderr)
            for a in run_ids:
                out['failures'].append({'anchor': a, 'key': None, 'error': f'{type(e).__name__}: {e}'})
    print(json.dumps(out))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
