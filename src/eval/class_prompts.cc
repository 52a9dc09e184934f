// SPDX-License-Identifier: MIT
// Implements class-prompt tokenization with the once-per-class truncation warning.
#include "bbpt/eval/class_prompts.h"

#include <sstream>

#include "bbpt/core/log.h"
#include "bbpt/eval/zero_shot.h"

namespace bbpt::eval {

ClassPrompts::ClassPrompts(const tokenizer::ClipTokenizer& tokenizer,
                           std::vector<std::string> class_names,
                           int64_t context_length)
    : tokenizer_(tokenizer),
      class_names_(std::move(class_names)),
      context_length_(context_length) {}

torch::Tensor ClassPrompts::tokenize(const std::string& text_template) {
  const auto num_classes = static_cast<int64_t>(class_names_.size());
  auto tokens = torch::zeros({num_classes, context_length_}, torch::kLong);
  auto accessor = tokens.accessor<int64_t, 2>();  // [C, L]
  for (int64_t c = 0; c < num_classes; ++c) {
    const std::string& name = class_names_[static_cast<size_t>(c)];
    const std::string text = fill_template(text_template, name);
    const auto num_tokens = static_cast<int64_t>(tokenizer_.encode(text).size()) + 2;  // SOT, EOT
    if (num_tokens > context_length_) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (warned_.insert(name).second) {
        truncated_.push_back({name, text_template, num_tokens});
        BBPT_LOG_WARN(describe_truncation(truncated_.back(), context_length_));
      }
    }
    const auto ids = tokenizer_.tokenize(text, static_cast<int>(context_length_));
    for (size_t j = 0; j < ids.size(); ++j) accessor[c][static_cast<int64_t>(j)] = ids[j];
  }
  return tokens;
}

std::vector<TruncatedPrompt> ClassPrompts::truncated() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return truncated_;
}

std::string describe_truncation(const TruncatedPrompt& prompt, int64_t context_length) {
  std::ostringstream out;
  out << "class '" << prompt.class_name << "' does not fit CLIP's " << context_length
      << "-token context with template '" << prompt.text_template << "': " << prompt.num_tokens
      << " tokens with SOT and EOT; the text encoder sees only the first " << context_length - 1
      << " and EOT (reported once per class). Shorten the class name or the template";
  return out.str();
}

}  // namespace bbpt::eval
