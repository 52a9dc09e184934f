// SPDX-License-Identifier: MIT
// GLOV (Mirza et al.; algorithms.md 9): each step sends a
// system message and a user meta-prompt with the dataset, its description and the best and worst
// k = min(5, floor(|history| / 2)) templates of the whole history with integer accuracies
// ("i: <template> --- Accuracy: 63"), samples_per_step times (10). A reply is cleaned of newlines
// and the word "assistant", the text after its last ':' is kept and <category> becomes {}; a step
// with fewer than 5 usable templates is counted as failed. The learned prompt is the ensemble of
// the top-3 templates by training accuracy.
//
// Guidance (llm_backend: local only; an OpenAI-compatible endpoint exposes no hidden states): from
// the first step after a template beats the initial one, every sample is generated with
// alpha * v added after decoder layer `guidance_layer` at the newest position, v = e(P+) - e(P-)
// (lm/local_llm.h). P+ and P- are chosen as run/glov_guidance.h says; v is recomputed from them at
// every step. Guided samples may be guidance_max_tokens long (75 in the official code, 50
// unguided). Without guidance this is the paper's "GLOV w/o guidance" (lov_templates_clip).
#include <optional>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/run/glov_guidance.h"
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
    const std::string guidance = config.get_string("guidance", "auto");
    BBPT_CHECK(guidance == "auto" || guidance == "true" || guidance == "false", ConfigError,
               config.source() << ": guidance is '" << guidance
                               << "', expected auto (on with llm_backend: local), true or false");
    const bool local = llm_settings().backend == LlmBackend::kLocal;
    guidance_ = guidance == "true" || (guidance == "auto" && local);
    BBPT_CHECK(!guidance_ || local, ConfigError,
               config.source()
                   << ": guidance: true needs the LLM's hidden states: set llm_backend: local and "
                      "llm_model_path (an OpenAI-compatible endpoint does not expose them)");
    source_ = config.source();
    guidance_layer_ = config.get_int("guidance_layer", guidance_layer_);
    guidance_alpha_ = config.get_double("guidance_alpha", guidance_alpha_);
    guidance_schedule_ =
        lm::parse_guidance_schedule(config.get_string("guidance_schedule", "constant"),
                                    config.source() + ": guidance_schedule");
    guidance_max_tokens_ = config.get_int("guidance_max_tokens", guidance_max_tokens_);
    BBPT_CHECK(guidance_layer_ >= 0 && guidance_max_tokens_ >= 1, ConfigError,
               config.source() << ": guidance_layer (= " << guidance_layer_
                               << ") must be >= 0 and guidance_max_tokens (= "
                               << guidance_max_tokens_ << ") >= 1");
    if (description_.empty()) {
      std::ostringstream d;
      const auto& names = context.description.class_names;
      d << "images of " << names.size() << " classes, such as";
      for (size_t i = 0; i < std::min<size_t>(names.size(), 5); ++i)
        d << (i ? ", " : " ") << names[i];
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
      u << "Your task is to give one new prompt template for zero-shot image classification with "
           "CLIP, in the "
           "same format as the one below, so that the <category> placeholder can be replaced by "
           "each class name. "
           "The goal is a higher accuracy. Be creative.\nDataset: "
        << dataset_name_ << "\nDescription: " << description_
        << "\nPrompt: " << shown(r.front().text)
        << "\nAccuracy: " << static_cast<int>(100.0 * r.front().score.accuracy) << "\n";
    } else {
      u << "Your task is to give one new prompt template for zero-shot image classification with "
           "CLIP, in the "
           "same format as the templates below, so that the <category> placeholder can be replaced "
           "by each class "
           "name. The goal is a higher accuracy than all of them. Below are the top-"
        << k << " and worst-" << k << " templates with their accuracies from the last "
        << steps_done() << " runs.\nDataset: " << dataset_name_ << "\nDescription: " << description_
        << "\nBest Templates:\n";
      for (size_t i = 0; i < k; ++i) {
        u << i + 1 << ": " << shown(r[i].text)
          << " --- Accuracy: " << static_cast<int>(100.0 * r[i].score.accuracy) << "\n";
      }
      u << "Worst Templates:\n";
      for (size_t i = 0; i < k; ++i) {
        const auto& p = r[r.size() - 1 - i];
        u << i + 1 << ": " << shown(p.text)
          << " --- Accuracy: " << static_cast<int>(100.0 * p.score.accuracy) << "\n";
      }
    }
    u << "Reply with only the prompt.";
    const std::vector<llm::ChatMessage> messages = {
        {"system",
         "You are a helpful AI assistant. Your task is to find the best prompt templates to embed "
         "the class "
         "names of a dataset for zero-shot image classification with CLIP."},
        {"user", u.str()}};
    if (guidance_) {
      const int64_t layers = local_llm().model().config().num_layers;
      BBPT_CHECK(guidance_layer_ < layers, ConfigError,
                 source_ << ": guidance_layer (= " << guidance_layer_
                         << ") is outside the LLM's decoder layers 0.." << layers - 1
                         << " (GLOV uses 17 of Llama-3-8B's 32: about the middle)");
    }
    const auto steer = guidance_pair();
    step_guidance_ = steer;
    std::vector<std::string> out;
    for (const auto& reply : ask(messages, samples_, steer ? &*steer : nullptr)) {
      for (const auto& text : reply) {
        std::string t;
        for (const char c : text) t += (c == '\n' || c == '\r') ? ' ' : c;
        for (auto at = t.find("assistant"); at != std::string::npos; at = t.find("assistant"))
          t.erase(at, 9);
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
      reject("", "failed step: " + std::to_string(out.size()) + " usable templates of " +
                     std::to_string(samples_) + " samples (fewer than " +
                     std::to_string(min_parsed_) + ")");
    }
    return out;
  }

  // Whether this step's proposals were generated with guidance, and from which pair.
  void add_step_fields(StepMetrics& m) const override {
    if (!guidance_) return;
    m.extra["guided"] = step_guidance_.has_value();
    if (step_guidance_) {
      m.extra["guidance_pair"] = nlohmann::ordered_json{{"positive", step_guidance_->positive},
                                                        {"negative", step_guidance_->negative}};
    }
  }

  void add_result_fields(FinalMetrics& f) const override {
    nlohmann::ordered_json g{{"enabled", guidance_}};
    if (guidance_) {
      g["layer"] = guidance_layer_;
      g["alpha"] = guidance_alpha_;
      g["schedule"] = lm::to_string(guidance_schedule_);
      g["max_tokens"] = guidance_max_tokens_;
      const int64_t on = replay_guidance().first_step;
      g["switched_on_after_step"] =
          on > 0 ? nlohmann::ordered_json(on) : nlohmann::ordered_json(nullptr);
    }
    f.extra["guidance"] = g;
  }

 private:
  GuidancePair replay_guidance() const {
    std::vector<ScoredTemplate> scored;
    for (const auto& p : history_) scored.push_back({p.text, p.score.accuracy, p.step});
    return select_guidance_pair(scored);
  }

  std::optional<lm::GuidanceTexts> guidance_pair() const {
    if (!guidance_) return std::nullopt;
    const GuidancePair r = replay_guidance();
    if (!r.on()) return std::nullopt;
    return lm::GuidanceTexts{r.positive,      r.negative,         guidance_layer_,
                             guidance_alpha_, guidance_schedule_, guidance_max_tokens_};
  }

  int64_t samples_ = 10, top_bottom_ = 5, ensemble_ = 3, min_parsed_ = 5;
  std::string description_;
  bool guidance_ = false;
  std::string source_;                              // the method config, for errors
  std::optional<lm::GuidanceTexts> step_guidance_;  // of the step in progress (rank 0)
  int64_t guidance_layer_ = 17;  // diff_layer: the 18th of Llama-3-8B's 32 layers
  double guidance_alpha_ = 1.0;
  lm::GuidanceSchedule guidance_schedule_ = lm::GuidanceSchedule::kConstant;
  int64_t guidance_max_tokens_ = 75;  // the official guided decoding loop's length
};

}  // namespace

std::unique_ptr<Method> make_glov_method(const CommonOptions& common,
                                         RunConfig& config,
                                         TrialContext& context) {
  return std::make_unique<GlovMethod>(common, config, context);
}

}  // namespace bbpt::run
