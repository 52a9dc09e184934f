#!/usr/bin/env bash
# The main job. Today (before the embedded default model and the demo sweep land) it shows what
# exists end to end: parity of the CLIP port with the Python reference on both released-layout
# fixtures, then a zero-shot evaluation on Flowers-12 through the feature cache.
# The fixtures have random weights, so the zero-shot accuracy is at chance (1/12); the pretrained
# embedded default model arrives with issue #3 and the demo sweep with issues #6-#7.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bbpt=build/src/cli/bbpt

assets="${BBPT_ASSETS:-$(cd .. && pwd)/shared/assets}"
if [ ! -f "$assets/golden/tiny_vit_openai.pt" ]; then
  echo "bbpt demo: no assets at $assets; set BBPT_ASSETS to the folder holding golden/ and flowers12.tar.gz" >&2
  exit 1
fi
cache="${XDG_CACHE_HOME:-$HOME/.cache}/bbpt"
data="$cache/data"
if [ ! -d "$data/flowers12/test" ]; then
  mkdir -p "$data"
  echo "== extracting flowers12 into $data"
  tar -xzf "$assets/flowers12.tar.gz" -C "$data"
fi

for tower in vit rn; do
  echo "== bbpt model check: tiny_${tower} (OpenAI TorchScript layout) vs the Python reference"
  "$bbpt" model check --model "$assets/golden/tiny_${tower}_openai.pt" \
    --reference "$assets/golden/tiny_${tower}_reference.pt"
done

echo "== bbpt model inspect"
"$bbpt" model inspect "$assets/golden/tiny_vit_openai.pt"

mkdir -p results
echo "== bbpt zeroshot on flowers12/test (fixture with random weights: expect chance, ~8%)"
"$bbpt" zeroshot --model "$assets/golden/tiny_vit_openai.pt" --dataset "$data/flowers12" --split test \
  --template "a photo of a {}, a type of flower." --out results/zeroshot_flowers12_tiny_vit.json
echo "== wrote results/zeroshot_flowers12_tiny_vit.json"
