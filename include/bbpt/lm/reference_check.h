// SPDX-License-Identifier: MIT
// Compares a loaded LlamaModel with a reference file, as `bbpt lm check` does: the Hugging Face
// fixture's reference.json (forward logits, hidden-state means, GLOV's steering vector and greedy
// continuations under guidance) or llama2.c run.c's greedy ids (the aidreams fixture).
#pragma once

#include <string>
#include <vector>

#include "bbpt/lm/llama_model.h"

namespace bbpt::lm {

struct LmCheckResult {
  std::string name;
  bool passed = false;
  double rel_err = 0;  ///< max |ours - ref| / max |ref| for numeric checks; 0 for exact ones
  std::string detail;  ///< what differed, e.g. the first differing position
};

struct LmCheckOptions {
  double tolerance = 1e-4;  ///< relative error allowed on logits, hidden states and the vector
};

/// Runs every model-side check the reference holds. The ids the references give (prompt ids,
/// padded templates) are used as they are, so these checks do not depend on a tokenizer.
std::vector<LmCheckResult> check_model_against_reference(const LlamaModel& model, const std::string& reference_path,
                                                         const LmCheckOptions& options = {});

}  // namespace bbpt::lm
