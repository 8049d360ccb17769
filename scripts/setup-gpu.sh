#!/usr/bin/env bash
# Installs what a Debian/Ubuntu machine without a GPU needs for a WebGPU
# adapter: Mesa's llvmpipe, reached by Dawn (npm 'webgpu') through EGL and
# OpenGL ES. Run as root. On a machine with a GPU and its driver, skip this.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "setup-gpu.sh: run as root (sudo bash scripts/setup-gpu.sh)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  mesa-vulkan-drivers libvulkan1 libegl1 libegl-mesa0 libgles2 >/dev/null
echo "setup-gpu.sh: Mesa software drivers installed (llvmpipe)."
