#!/usr/bin/env bash
# Configures and builds bbpt into build/ (Release, Ninja, 2 jobs unless BBPT_JOBS is set).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release ${BBPT_CMAKE_ARGS:-} >/dev/null
cmake --build build -j "${BBPT_JOBS:-2}"
