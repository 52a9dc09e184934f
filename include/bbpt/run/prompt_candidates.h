// SPDX-License-Identifier: MIT
// The gate every LLM-proposed prompt passes before it costs a CLIP query (LLM-OPT, IPO, GLOV):
// the class placeholder present exactly once, at most 77 CLIP tokens once filled with the longest
// class name (SOT and EOT included), no stray braces, not too long, not a duplicate of a prompt
// already evaluated or proposed. A reject carries its reason for the trial's log.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bbpt/tokenizer/clip_tokenizer.h"

namespace bbpt::run {

struct CandidateLimits {
  int64_t max_tokens = 77;  // CLIP's context length
  int64_t max_chars = 500;  // IPO's filter
};

class CandidateGate {
 public:
  CandidateGate(const tokenizer::ClipTokenizer& tokenizer,
                std::vector<std::string> class_names,
                CandidateLimits limits = {});
  /// The reason `text` (a template with "{}") is refused, or nullopt when it may be evaluated;
  /// an accepted text is remembered, so the same text is refused the next time.
  std::optional<std::string> admit(const std::string& text);
  /// Marks a prompt as seen (the initial pool, a checkpoint's history).
  void remember(const std::string& text) { seen_.insert(text); }

 private:
  const tokenizer::ClipTokenizer& tokenizer_;
  std::vector<std::string> class_names_;
  CandidateLimits limits_;
  std::set<std::string> seen_;
};

/// Trims spaces, tabs, newlines and surrounding quotes or backticks.
std::string trim_prompt(const std::string& text);

/// Every occurrence of `placeholder` (e.g. "<CLASS>", "<category>") replaced by "{}".
std::string with_braces(const std::string& text, const std::string& placeholder);

}  // namespace bbpt::run
