#!/usr/bin/env bash
# Configures and builds bbpt into build/ (Release, Ninja, 2 jobs unless BBPT_JOBS is set). The NCCL
# collective backend is built when NCCL is installed with CUDA ($NCCL_HOME, default /usr/local/cuda);
# BBPT_WITH_NCCL=OFF turns it off. Arguments name targets to build (e.g. `bbpt`); none builds all,
# the tests included. Sources compile in unity batches (BBPT_UNITY_BUILD, CMakeLists.txt); when editing one
# source at a time, BBPT_CMAKE_ARGS=-DBBPT_UNITY_BUILD=OFF recompiles only that source.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
nccl_home="${NCCL_HOME:-/usr/local/cuda}"
with_nccl="${BBPT_WITH_NCCL:-}"
if [ -z "$with_nccl" ]; then
  if [ -f "$nccl_home/include/nccl.h" ]; then with_nccl=ON; else with_nccl=OFF; fi
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBBPT_WITH_NCCL="$with_nccl" \
  -DNCCL_HOME="$nccl_home" ${BBPT_CMAKE_ARGS:-} >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build -j "${BBPT_JOBS:-2}" ${targets[@]+"${targets[@]}"}
