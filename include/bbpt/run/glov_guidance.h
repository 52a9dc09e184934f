// SPDX-License-Identifier: MIT
// When GLOV's guidance is on and which template pair steers it (algorithms.md 9.4), as the
// official code keeps them: after each step, when the best accuracy of the whole history rises
// above the previous best (initially the accuracy of the initial template), P+ becomes the best
// template and P- the best template of the next lower accuracy level, and guidance is on from then.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bbpt::run {

struct ScoredTemplate {
  std::string text;     ///< with "{}"
  double accuracy = 0;  ///< training accuracy, the fitness
  int64_t step = 0;     ///< the step that evaluated it (1 = the initial template)
};

struct GuidancePair {
  int64_t first_step = 0;  ///< guidance is on after this step (0: never)
  int64_t last_step = 0;   ///< the step after which P+ and P- were last taken
  std::string positive;    ///< P+
  std::string negative;    ///< P-
  bool on() const { return last_step > 0; }
};

/// Replays `history` (in evaluation order, steps ascending; the first entry is the initial
/// template) step by step. Ties at the best accuracy go to the earlier template.
GuidancePair select_guidance_pair(const std::vector<ScoredTemplate>& history);

}  // namespace bbpt::run
