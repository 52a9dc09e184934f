// SPDX-License-Identifier: MIT
// Compares a loaded LlamaModel with a reference file, as `bbpt lm check` does: the Hugging Face
// fixture's reference.json (forward logits, hidden-state means, GLOV's steering vector and greedy
// continuations under guidance) or llama2.c run.c's greedy ids (the aidreams fixture).
#pragma once

#include <string>
#include <vector>

#include "bbpt/lm/llama_model.h"
#include "bbpt/lm/local_llm.h"

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

/// Runs every model-side check the reference holds. The Hugging Face fixture's ids (prompt, padded
/// templates) are used as they are. llama2.c's run.c takes a prompt text, so with `text_encoder`
/// (its tokenizer) each case starts from the encoded text, as run.c did; without it, from the
/// reference's prompt_ids.
std::vector<LmCheckResult> check_model_against_reference(const LlamaModel& model,
                                                         const std::string& reference_path,
                                                         const LmCheckOptions& options = {},
                                                         const LocalLlm* text_encoder = nullptr);

/// The tokenizer-side checks the reference holds: every `tokenizer` string's ids (BOS included)
/// and both `chat` encodings (with and without the generation prompt) of a Hugging Face fixture;
/// each case's prompt ids of a llama2.c reference. Exact, with one allowance for llama2.c
/// references, whose prompt_ids are derived data: when they are a strict prefix of the encoded
/// text and the case's own steps and new ids imply exactly the encoded length (run.c produces
/// steps - P + 1 ids from P prompt ids), the reference dropped prompt ids and the check passes
/// with a detail that says so.
std::vector<LmCheckResult> check_tokenizer_against_reference(const LocalLlm& llm,
                                                             const std::string& reference_path);

}  // namespace bbpt::lm
