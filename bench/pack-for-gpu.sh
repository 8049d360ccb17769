#!/usr/bin/env bash
# Packs the benchmark into .device/ for a bare Linux x86-64 machine with a GPU
# (no Node.js, no network): the Node binary, the benchmark as one ESM file,
# Dawn's Linux bindings, TF.js's wasm files, the MNIST digits, the Vulkan
# loader, the PyTorch/JAX anchors (Python source, run by the machine's own
# python3), and run.sh. Compressed with xz; the whole must stay under 60 MiB.
#   bash bench/pack-for-gpu.sh && bash .device/run.sh --smoke
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=.device
limit=$((60 * 1024 * 1024))
node_bin="$(command -v node)"
node_sum="$(sha256sum "$node_bin" | cut -d' ' -f1)"

# xz -9 of the Node binary takes a minute: keep it while the binary is the same.
mkdir -p "$out"
find "$out" -mindepth 1 -maxdepth 1 ! -name node.xz ! -name node.sha256 -exec rm -rf {} +
if [ "$(cat "$out/node.sha256" 2>/dev/null)" != "$node_sum" ]; then
  echo "compressing $node_bin ($(node --version))"
  xz -9 -T0 -c "$node_bin" >"$out/node.xz"
  echo "$node_sum" >"$out/node.sha256"
fi

echo "building dist/ and the bundle"
npx vite build --logLevel error
npx vite build -c bench/vite.config.ts --logLevel error
BENCH_ENTRY=dawn-toggles npx vite build -c bench/vite.config.ts --logLevel error

node bench/pack-mnist.mjs "$out/mnist-digits.bin"
xz -9 -T0 "$out/mnist-digits.bin"

mkdir -p "$out/tfjs-wasm"
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$out/tfjs-wasm/"

webgpu="$out/node_modules/webgpu"
mkdir -p "$webgpu/dist/linux-x64"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/LICENSE.md "$webgpu/"
xz -9 -T0 -c node_modules/webgpu/dist/linux-x64/dawn.node >"$webgpu/dist/linux-x64/dawn.node.xz"

# Loaders a bare GPU box may lack: the Vulkan loader, and glvnd's GL dispatch
# library, which NVIDIA's Vulkan driver (libGLX_nvidia.so.0) needs at
# vkCreateInstance (without it: "Could not get 'vkCreateInstance' via
# 'vk_icdGetInstanceProcAddr'"), plus glvnd's libEGL for Dawn's GL backends.
mkdir -p "$out/lib"
for lib in libvulkan.so.1 libGLdispatch.so.0 libEGL.so.1; do
  src=/usr/lib/x86_64-linux-gnu/$lib
  [ -e "$src" ] || { echo "pack-for-gpu.sh: $src is missing (apt-get install libvulkan1 libglvnd0 libegl1)" >&2; exit 1; }
  cp -L "$src" "$out/lib/$lib"
done
cp -L /usr/lib/x86_64-linux-gnu/libEGL.so.1 "$out/lib/libEGL.so"

# The anchors: bench.mjs finds them in anchors/ beside itself.
mkdir -p "$out/anchors"
cp bench/anchors/*.py "$out/anchors/"

cp bench/device-run.sh "$out/run.sh"
chmod +x "$out/run.sh"

size="$(du -sb "$out" | cut -f1)"
echo "$out: $((size / 1024 / 1024)) MiB"
if [ "$size" -ge "$limit" ]; then
  echo "pack-for-gpu: $out is over 60 MiB" >&2
  exit 1
fi
