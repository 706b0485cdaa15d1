#!/usr/bin/env bash
# Installs every Debian 12 package clipscale needs to build, test and benchmark. Idempotent:
# packages already present are left alone and nothing else on the machine is changed.
#   bash cmake/setup-debian.sh            (as root, or with sudo available)
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libopenblas0-openmp             # LibTorch 1.13 (CPU) + fast fp32 BLAS (never the pthread variant)
  libopenmpi-dev openmpi-bin                   # MPI communicator
  libhdf5-dev hdf5-tools                       # run and sweep files
  libeigen3-dev libceres-dev gnuplot-nox       # fitting (Ceres, Eigen) and fit plots (gnuplot: PNG, SVG)
  libfmt-dev libspdlog-dev libcli11-dev libtomlplusplus-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev zlib1g-dev
  libarchive-dev libturbojpeg0-dev libpng-dev   # tar shards, JPEG and PNG
  librsvg2-dev libcairo2-dev                   # clipscale data iconify: SVG icons rendered in-process
  dataset-fashion-mnist                        # clipscale data fashion-mnist: a real zero-shot task
  python3-torch python3-h5py python3-numpy python3-regex   # cross-checks and the reference benchmark
  slurm-wlm munge                              # a local SLURM cluster for the `slurm` tests (slurm/local/)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# libopenblas0-pthread would outrank the openmp build for libblas.so.3 and fight oneDNN's threads.
if dpkg-query -W -f='${Status}' libopenblas0-pthread 2>/dev/null | grep -q "install ok installed"; then
  echo "setup: warning: libopenblas0-pthread is installed; it takes libblas.so.3 from the openmp build." >&2
  echo "       HINT: apt-get remove libopenblas0-pthread (see README, Performance)." >&2
fi
echo "setup: all packages present"
