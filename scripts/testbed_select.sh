#!/usr/bin/env bash
# Issue #17: which shifted datasets (configs/datasets/*.yaml with shift_of) are downstream tasks
# where prompts matter on the embedded default model. Per task: `bbpt zeroshot` with each
# hand-crafted template of configs/datasets/<task>.yaml on the test split, and white-box CoOp
# (configs/methods/coop.yaml defaults, 200 epochs) on 16 shots without augmentation (views=0),
# seeds 1-3; then the table of docs/results.md (analysis/testbed_select.py). A task qualifies when
# CoOp's mean is at least 10 points above the best template and that is well above chance.
#   bash scripts/testbed_select.sh [TASK...]       (default: the 16 tasks below, in this order)
# Environment: BBPT_SELECT_DIR (default sweeps/testbed_select), BBPT_SELECT_JOBS (CoOp runs at a
# time, default 2), BBPT_SELECT_MODEL (default the embedded default model), XDG_CACHE_HOME.
# Rerunning skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."
bbpt=build/src/cli/bbpt
dir="${BBPT_SELECT_DIR:-sweeps/testbed_select}"
jobs="${BBPT_SELECT_JOBS:-2}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/bbpt"
model="${BBPT_SELECT_MODEL:-$cache/models/bbpt-clip-default.pt}"
tasks=(fmnist-invert mnist-invert cifar10-invert fmnist-rotate90 mnist-rotate90 cifar10-rotate90
       fmnist-recolour mnist-recolour fmnist-noise mnist-noise cifar10-noise fmnist-lowcontrast
       cifar10-lowcontrast fmnist-blur mnist-blur flowers12)
if [ $# -gt 0 ]; then tasks=("$@"); fi
bases=$(printf '%s\n' "${tasks[@]}" | sed 's/-.*//' | sort -u)
"$bbpt" --cache-dir "$cache" data prepare --only $bases "${tasks[@]}" >/dev/null
mkdir -p "$dir/zeroshot" "$dir/trials"
for task in "${tasks[@]}"; do
  out="$dir/zeroshot/$task.json"
  [ -f "$out" ] || "$bbpt" --cache-dir "$cache" --threads 1 zeroshot --model "$model" \
    --dataset "$task" --json --out "$out" >/dev/null
  echo "zeroshot $task: $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%.2f%%" % (100*r["best_accuracy"]), r["best_template"])' "$out")"
done
export SELECT_DIR="$dir" SELECT_BBPT="$bbpt" SELECT_CACHE="$cache" SELECT_MODEL="$model"
for task in "${tasks[@]}"; do
  for seed in 1 2 3; do echo "$task $seed"; done
done | xargs -P "$jobs" -L 1 bash -c '
  run="$SELECT_DIR/trials/coop-$0-seed$1"
  if [ ! -f "$run/result.json" ]; then
    "$SELECT_BBPT" --cache-dir "$SELECT_CACHE" --threads 1 run --config configs/methods/coop.yaml \
      --model "$SELECT_MODEL" --dataset "$0" --seed "$1" --shots 16 --set views=0 --out "$run" \
      --progress-every 0 >"$run.log" 2>&1 || echo "coop $0 seed $1 failed: see $run.log"
  fi
  tail -1 "$run.log"'
python3 analysis/testbed_select.py "$dir"
