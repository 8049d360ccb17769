#!/usr/bin/env bash
# Runs the packed benchmark (made by bench/pack-for-gpu.sh) on a Linux x86-64
# machine with nothing installed: no Node.js, no node_modules, no network.
# Options are the benchmark's (bash run.sh --help; bash run.sh dawn --help for
# Dawn's toggle sets side by side instead); results go to $OUT when set,
# else to results/ beside this script; the table is printed. The PyTorch and JAX
# anchors run with the machine's python3 ($BENCH_PYTHON overrides it) when it
# has torch with CUDA or jax on a GPU (--anchors auto|on|off).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/webgpu-train-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

unxz_to() {
  if command -v xz >/dev/null; then
    xz -dc "$1" >"$2"
  elif command -v python3 >/dev/null; then
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  else
    echo "run.sh: need xz or python3 to unpack $1" >&2
    exit 1
  fi
}

# bench.mjs imports 'webgpu' (Dawn's bindings) from node_modules beside it.
cp -r "$here/bench.mjs" "$here/dawn-toggles.mjs" "$here/tfjs-wasm" "$here/node_modules" "$here/anchors" "$work/"
dawn="$work/node_modules/webgpu/dist/linux-x64"
unxz_to "$dawn/dawn.node.xz" "$dawn/dawn.node" && rm "$dawn/dawn.node.xz"
unxz_to "$here/node.xz" "$work/node" && chmod +x "$work/node"
unxz_to "$here/mnist-digits.bin.xz" "$work/mnist-digits.bin"

# Dawn's Vulkan backend needs the Vulkan loader; carried along for machines without one.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1' || ! ldconfig -p 2>/dev/null | grep -q 'libGLdispatch\.so\.0'; then
  export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
export EGL_PLATFORM="${EGL_PLATFORM:-surfaceless}"

"$work/node" --version >&2
# `run.sh dawn [options]`: Dawn's toggle sets side by side (npm run bench:dawn) instead of the benchmark.
if [ "${1:-}" = dawn ]; then
  shift
  "$work/node" "$work/dawn-toggles.mjs" "$@"
  exit $?
fi
"$work/node" "$work/bench.mjs" --mnist-bin "$work/mnist-digits.bin" --out "${OUT:-$here/results}" "$@"
