#!/usr/bin/env bash
# Issue #17: which shifted datasets are downstream tasks where prompts matter on the embedded
# default model. For every task of jobs/testbed_select.yaml: `bbpt zeroshot` with each hand-crafted
# template of configs/datasets/<task>.yaml (test split), and white-box CoOp (configs/methods/coop.yaml,
# 16 shots, views 0, seeds 1-3) through the sweep; then the table of docs/results.md.
#   bash scripts/testbed_select.sh [TASK...]     (default: every dataset of the sweep file)
# Environment: BBPT_SELECT_DIR (default sweeps/testbed_select), BBPT_SELECT_JOBS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
bbpt=build/src/cli/bbpt
dir="${BBPT_SELECT_DIR:-sweeps/testbed_select}"
jobs="${BBPT_SELECT_JOBS:-2}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/bbpt"
model="$cache/models/bbpt-clip-default.pt"
if [ $# -gt 0 ]; then
  tasks=("$@")
else
  read -r -a tasks <<<"$(python3 -c 'import yaml; print(" ".join(yaml.safe_load(open("jobs/testbed_select.yaml"))["grid"]["dataset"]))')"
fi
"$bbpt" data prepare --only "${tasks[@]}" >/dev/null
mkdir -p "$dir/zeroshot"
for task in "${tasks[@]}"; do
  [ -f "$dir/zeroshot/$task.json" ] || "$bbpt" --threads 1 zeroshot --model "$model" --dataset "$task" \
    --json --out "$dir/zeroshot/$task.json" >/dev/null
  echo "zeroshot $task: $(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(round(100*r['best_accuracy'],2), r['best_template'])" "$dir/zeroshot/$task.json")"
done
"$bbpt" sweep run jobs/testbed_select.yaml -j "$jobs" --dir "$dir"
python3 analysis/testbed_select.py "$dir"
