#!/usr/bin/env bash
# The method table of docs/results.md: every method x {fmnist, mnist, cifar10} x seeds {1, 2, 3} on
# the embedded default model, 16 shots, 5,000 queries (configs/methods/*.yaml defaults).
# Runs land in $RUNS/<method>/<dataset>/seed<S>; a finished run is skipped and an interrupted one
# resumes, so the script can be stopped and started again at any time. Then prints the table.
#   METHODS="zip bar" SEEDS="1" bash scripts/method_table.sh     # a subset
#   SETS="views=0" RUNS=~/.cache/bbpt/runs/views0 bash scripts/method_table.sh   # an ablation
set -euo pipefail
cd "$(dirname "$0")/.."
bbpt="${BBPT:-build/src/cli/bbpt}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/bbpt"
runs="${RUNS:-$cache/runs/method_table}"
methods="${METHODS:-zeroshot zeroshot-generic zip spsa-gc coop bptvlm bar}"
datasets="${DATASETS:-fmnist mnist cifar10}"
seeds="${SEEDS:-1 2 3}"
sets=()
for s in ${SETS:-}; do sets+=(--set "$s"); done
for method in $methods; do
  for dataset in $datasets; do
    for seed in $seeds; do
      out="$runs/$method/$dataset/seed$seed"
      echo "== $method $dataset seed $seed -> $out"
      "$bbpt" --cache-dir "$cache" run --config "configs/methods/$method.yaml" --dataset "$dataset" \
        --seed "$seed" --shots 16 --out "$out" --progress-every 100 ${sets[@]+"${sets[@]}"} ||
        echo "!! $method $dataset seed $seed failed (see above); continuing"
    done
  done
done
python3 analysis/summarize_runs.py "$runs"
