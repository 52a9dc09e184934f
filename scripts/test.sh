#!/usr/bin/env bash
# The test command: installs dependencies, builds, prepares the embedded datasets, and runs every
# CTest label that needs no GPU (unit, golden, slow). Extra arguments go to ctest, e.g.
# `bash scripts/test.sh -L golden`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bash scripts/prepare_data.sh
cd build
ctest --output-on-failure -j "${BBPT_JOBS:-2}" "$@"
