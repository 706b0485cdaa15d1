#!/usr/bin/env bash
# Configures and builds the LibTorch-free clipscale into build-torch-free/ (sweep plan|run|status|
# collect, fit, compare, report, and their tests) — what a login node or a laptop without LibTorch
# builds. -DCMAKE_DISABLE_FIND_PACKAGE_Torch=ON proves it needs no LibTorch even where one is installed.
#   bash cmake/build-torch-free.sh [extra cmake -D options]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${CLIPSCALE_JOBS:-2}
if [ ! -f build-torch-free/build.ninja ]; then
  cmake -S . -B build-torch-free -G Ninja -DCMAKE_BUILD_TYPE=Release -DCLIPSCALE_WITH_TORCH=OFF \
        -DCMAKE_DISABLE_FIND_PACKAGE_Torch=ON "$@"
elif [ $# -gt 0 ]; then
  cmake -S . -B build-torch-free "$@"
fi
cmake --build build-torch-free -j "$jobs"
