// SPDX-License-Identifier: MIT
#include "bbpt/run/prompt_candidates.h"

#include <algorithm>

#include "bbpt/eval/zero_shot.h"

namespace bbpt::run {

CandidateGate::CandidateGate(const tokenizer::ClipTokenizer& tokenizer,
                             std::vector<std::string> class_names,
                             CandidateLimits limits)
    : tokenizer_(tokenizer), class_names_(std::move(class_names)), limits_(limits) {}

std::optional<std::string> CandidateGate::admit(const std::string& text) {
  if (text.empty()) return "empty";
  if (text.find_first_of("\r\n") != std::string::npos) return "a line break inside the prompt";
  const auto slot = text.find("{}");
  if (slot == std::string::npos) return "no {} class placeholder";
  if (text.find("{}", slot + 2) != std::string::npos) return "more than one {} placeholder";
  std::string rest = text;
  rest.erase(slot, 2);
  if (rest.find_first_of("{}") != std::string::npos)
    return "a stray brace besides the {} placeholder";
  if (static_cast<int64_t>(text.size()) > limits_.max_chars) {
    return "longer than " + std::to_string(limits_.max_chars) + " characters";
  }
  int64_t longest = 0;
  for (const auto& name : class_names_) {
    const auto ids = tokenizer_.encode(eval::fill_template(text, name));
    longest = std::max<int64_t>(longest, static_cast<int64_t>(ids.size()) + 2);  // + SOT and EOT
  }
  if (longest > limits_.max_tokens) {
    return std::to_string(longest) + " CLIP tokens with the longest class name (limit " +
           std::to_string(limits_.max_tokens) + ")";
  }
  if (!seen_.insert(text).second) return "a duplicate of a prompt already proposed";
  return std::nullopt;
}

std::string trim_prompt(const std::string& text) {
  const std::string junk = " \t\r\n\"'`";
  const auto first = text.find_first_not_of(junk);
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(junk);
  return text.substr(first, last - first + 1);
}

std::string with_braces(const std::string& text, const std::string& placeholder) {
  std::string out = text;
  for (size_t at = out.find(placeholder); at != std::string::npos;
       at = out.find(placeholder, at + 2)) {
    out.replace(at, placeholder.size(), "{}");
  }
  return out;
}

}  // namespace bbpt::run
