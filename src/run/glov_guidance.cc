// SPDX-License-Identifier: MIT
// Implements the replay of GLOV's best / second-best bookkeeping.
// ref: GLOV trainers/llama_model.py (the best/second-best update before manipulate_embeddings)
#include "bbpt/run/glov_guidance.h"

namespace bbpt::run {

GuidancePair select_guidance_pair(const std::vector<ScoredTemplate>& history) {
  GuidancePair pair;
  if (history.empty()) return pair;
  double best = history.front().accuracy;
  for (int64_t step = 1; step <= history.back().step; ++step) {
    const ScoredTemplate* top = nullptr;
    for (const auto& t : history) {
      if (t.step <= step && (top == nullptr || t.accuracy > top->accuracy)) top = &t;
    }
    if (top == nullptr || top->accuracy <= best) continue;
    best = top->accuracy;
    const ScoredTemplate* below = nullptr;  // the initial template is always below the new best
    for (const auto& t : history) {
      if (t.step <= step && t.accuracy < best && (below == nullptr || t.accuracy > below->accuracy))
        below = &t;
    }
    if (pair.first_step == 0) pair.first_step = step;
    pair.last_step = step;
    pair.positive = top->text;
    pair.negative = below->text;
  }
  return pair;
}

}  // namespace bbpt::run
