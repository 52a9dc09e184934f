// SPDX-License-Identifier: MIT
// GLOV (Mirza et al.; algorithms.md 9) without its embedding-space guidance: each step sends a
// system message and a user meta-prompt with the dataset, its description and the best and worst
// k = min(5, floor(|history| / 2)) templates of the whole history with integer accuracies
// ("i: <template> --- Accuracy: 63"), samples_per_step times (10). A reply is cleaned of newlines
// and the word "assistant", the text after its last ':' is kept and <category> becomes {}; a step
// with fewer than 5 usable templates is counted as failed. The learned prompt is the ensemble of
// the top-3 templates by training accuracy.
//
// Left out: the guidance itself adds alpha * (e(P+) - e(P-)) to the hidden state of layer 17 of a
// local Llama at every decoding step. It needs the LLM's hidden states, which an OpenAI-compatible
// endpoint does not expose; this is GLOV "without guidance" (the paper's lov_templates_clip).
#include <sstream>

#include "bbpt/core/error.h"
#include "llm_search.h"
#include "method_factory.h"

namespace bbpt::run {
namespace {

class GlovMethod : public LlmSearchMethod {
 public:
  GlovMethod(const CommonOptions& common, RunConfig& config, TrialContext& context)
      : LlmSearchMethod(common, config, context, "glov") {
    samples_ = config.get_int("samples_per_step", 10);
    top_bottom_ = config.get_int("top_bottom", 5);
    ensemble_ = config.get_int("ensemble_size", 3);
    min_parsed_ = config.get_int("min_templates_per_step", 5);
    description_ = config.get_string("dataset_description", "");
    BBPT_CHECK(samples_ >= 1 && top_bottom_ >= 1 && ensemble_ >= 1, ConfigError,
               config.source() << ": samples_per_step, top_bottom and ensemble_size must be >= 1");
    if (description_.empty()) {
      std::ostringstream d;
      const auto& names = context.description.class_names;
      d << "images of " << names.size() << " classes, such as";
      for (size_t i = 0; i < std::min<size_t>(names.size(), 5); ++i) d << (i ? ", " : " ") << names[i];
      d << ".";
      description_ = d.str();
    }
  }

 protected:
  std::vector<std::string> initial_prompts() override { return {"a photo of a {}."}; }

  std::vector<std::string> final_prompts() const override {
    std::vector<std::string> out;
    for (const auto& p : ranked()) {
      if (static_cast<int64_t>(out.size()) == ensemble_) break;
      out.push_back(p.text);
    }
    return out;
  }

  std::vector<std::string> propose() override {
    const auto r = ranked();
    const size_t k = std::min<size_t>(static_cast<size_t>(top_bottom_), r.size() / 2);
    std::ostringstream u;
    const auto shown = [](const std::string& t) {
      std::string s = t;
      const auto slot = s.find("{}");
      if (slot != std::string::npos) s.replace(slot, 2, "<category>");
      return s;
    };
    if (k == 0) {
      u << "Your task is to give one new prompt template for zero-shot image classification with CLIP, in the "
           "same format as the one below, so that the <category> placeholder can be replaced by each class name. "
           "The goal is a higher accuracy. Be creative.\nDataset: "
        << dataset_name_ << "\nDescription: " << description_ << "\nPrompt: " << shown(r.front().text)
        << "\nAccuracy: " << static_cast<int>(100.0 * r.front().score.accuracy) << "\n";
    } else {
      u << "Your task is to give one new prompt template for zero-shot image classification with CLIP, in the "
           "same format as the templates below, so that the <category> placeholder can be replaced by each class "
           "name. The goal is a higher accuracy than all of them. Below are the top-"
        << k << " and worst-" << k << " templates with their accuracies from the last " << steps_done()
        << " runs.\nDataset: " << dataset_name_ << "\nDescription: " << description_ << "\nBest Templates:\n";
      for (size_t i = 0; i < k; ++i) {
        u << i + 1 << ": " << shown(r[i].text) << " --- Accuracy: " << static_cast<int>(100.0 * r[i].score.accuracy)
          << "\n";
      }
      u << "Worst Templates:\n";
      for (size_t i = 0; i < k; ++i) {
        const auto& p = r[r.size() - 1 - i];
        u << i + 1 << ": " << shown(p.text) << " --- Accuracy: " << static_cast<int>(100.0 * p.score.accuracy)
          << "\n";
      }
    }
    u << "Reply with only the prompt.";
    const std::vector<llm::ChatMessage> messages = {
        {"system",
         "You are a helpful AI assistant. Your task is to find the best prompt templates to embed the class "
         "names of a dataset for zero-shot image classification with CLIP."},
        {"user", u.str()}};
    std::vector<std::string> out;
    for (const auto& reply : ask(messages, samples_)) {
      for (const auto& text : reply) {
        std::string t;
        for (const char c : text) t += (c == '\n' || c == '\r') ? ' ' : c;
        for (auto at = t.find("assistant"); at != std::string::npos; at = t.find("assistant")) t.erase(at, 9);
        const auto colon = t.rfind(':');
        if (colon != std::string::npos) t = t.substr(colon + 1);
        t = trim_prompt(t);
        if (t.find("<category>") == std::string::npos) {
          reject(text, "no <category> placeholder");
          continue;
        }
        out.push_back(with_braces(t, "<category>"));
      }
    }
    if (static_cast<int64_t>(out.size()) < min_parsed_) {
      reject("", "failed step: " + std::to_string(out.size()) + " usable templates of " + std::to_string(samples_) +
                     " samples (fewer than " + std::to_string(min_parsed_) + ")");
    }
    return out;
  }

 private:
  int64_t samples_ = 10, top_bottom_ = 5, ensemble_ = 3, min_parsed_ = 5;
  std::string description_;
};

}  // namespace

std::unique_ptr<Method> make_glov_method(const CommonOptions& common, RunConfig& config, TrialContext& context) {
  return std::make_unique<GlovMethod>(common, config, context);
}

}  // namespace bbpt::run
