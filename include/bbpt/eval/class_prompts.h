// SPDX-License-Identifier: MIT
// Class prompts: a template filled with each class name, as CLIP token ids [C, L]. A prompt longer
// than the context (L = 77 tokens, SOT and EOT included) is cut as clip.tokenize(truncate=True)
// does, and said so: one warning per class, naming the class, the template and the token count.
// Hand-crafted templates are kept rather than refused, since one long class name should not make
// a dataset unusable; LLM-proposed candidates are refused instead (run/prompt_candidates.h),
// since the LLM can propose another. docs/data.md ("Long class names").
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "bbpt/tokenizer/clip_tokenizer.h"

namespace bbpt::eval {

/// A class prompt that did not fit the context.
struct TruncatedPrompt {
  /// The class name as given (underscores kept).
  std::string class_name;
  /// The first template that made it too long.
  std::string text_template;
  /// Tokens of the whole prompt, SOT and EOT included (> context_length).
  int64_t num_tokens = 0;
};

/// Tokenizes class prompts and reports truncated ones. Thread-safe.
class ClassPrompts {
 public:
  /// `tokenizer` must outlive this object.
  ClassPrompts(const tokenizer::ClipTokenizer& tokenizer,
               std::vector<std::string> class_names,
               int64_t context_length);

  /// [C, context_length] int64 ids (zero-padded) of text_template filled with each class name
  /// (fill_template). Logs a warning for each class cut here and by no earlier call.
  /// Throws ConfigError when the template has no {} slot.
  torch::Tensor tokenize(const std::string& text_template);

  /// The classes cut so far, each once, in the order they were first cut.
  std::vector<TruncatedPrompt> truncated() const;

  const std::vector<std::string>& class_names() const { return class_names_; }

 private:
  const tokenizer::ClipTokenizer& tokenizer_;
  std::vector<std::string> class_names_;
  int64_t context_length_;
  mutable std::mutex mutex_;
  std::vector<TruncatedPrompt> truncated_;
  std::set<std::string> warned_;
};

/// The warning ClassPrompts logs for `prompt` (one line).
std::string describe_truncation(const TruncatedPrompt& prompt, int64_t context_length);

}  // namespace bbpt::eval
