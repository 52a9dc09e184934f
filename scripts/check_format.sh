#!/usr/bin/env bash
# Checks that every C++ file of the repository is formatted as .clang-format says (Google style,
# 100 columns): lists each file clang-format would change, exits 1 if there is any. Fix with
#   clang-format -i $(git ls-files '*.cc' '*.h')
# Usage: check_format.sh [SOURCE_DIR]. The CTest style.format runs it (label unit).
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
formatter="${CLANG_FORMAT:-clang-format}"
command -v "$formatter" >/dev/null 2>&1 || {
  echo "check_format: $formatter not found; install Debian's clang-format (scripts/install_deps.sh does)" >&2
  exit 2
}
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cc' '*.h' '*.cpp' '*.hpp')
else
  mapfile -t files < <(find . -name '*.cc' -o -name '*.h' -o -name '*.cpp' -o -name '*.hpp' | sort)
fi
bad=0
for f in "${files[@]}"; do
  if ! "$formatter" --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "$f: not formatted as .clang-format says (clang-format -i $f)"
    bad=$((bad + 1))
  fi
done
echo "check_format: ${#files[@]} files, $bad not formatted ($("$formatter" --version))" >&2
[ "$bad" -eq 0 ]
