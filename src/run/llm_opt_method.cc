// SPDX-License-Identifier: MIT
// LLM-OPT (Liu et al., CVPR 2024; algorithms.md 7): hill climbing with positive and negative
// feedback. Each iteration ranks every evaluated template by training accuracy, shows the LLM the
// top-k as good and the bottom-k as bad templates (no numbers: prompt_method "method_1"), and asks
// for n better ones, one per line starting with "- ". A reply with any such line lacking "{}" (or
// with none) is invalid and asked again, up to reply_attempts times. New, unseen templates are
// evaluated and join the pool.
#include <sstream>

#include "bbpt/core/error.h"
#include "llm_search.h"
#include "method_factory.h"

namespace bbpt::run {
namespace {

class LlmOptMethod : public LlmSearchMethod {
 public:
  LlmOptMethod(const CommonOptions& common, RunConfig& config, TrialContext& context)
      : LlmSearchMethod(common, config, context, "llm-opt") {
    pool_ = config.get_int("template_pool_size", 3);
    per_call_ = config.get_int("templates_per_call", 1);
    reply_attempts_ = config.get_int("reply_attempts", 15);
    init_ = config.get_string("init_templates", "dataset");
    BBPT_CHECK(pool_ >= 1 && per_call_ >= 1 && reply_attempts_ >= 1, ConfigError,
               config.source()
                   << ": template_pool_size, templates_per_call and reply_attempts must be >= 1");
    BBPT_CHECK(
        init_ == "dataset" || init_ == "handcrafted" || init_ == "generic", ConfigError,
        config.source() << ": init_templates: expected dataset, handcrafted or generic, got '"
                        << init_ << "' (LAION-COCO captions are not available to bbpt)");
  }

 protected:
  std::vector<std::string> initial_prompts() override {
    if (init_ == "dataset") return context_.description.templates;
    if (init_ == "handcrafted") return {context_.hand_crafted_template()};
    return {"a photo of a {}."};
  }

  std::vector<std::string> propose() override {
    const auto ranked_prompts = ranked();
    const size_t k = std::min(static_cast<size_t>(pool_), ranked_prompts.size());
    std::ostringstream message;
    message
        << "Hi ChatGPT, I have two lists of templates for image classification on the "
        << dataset_name_
        << " dataset: one with good templates and one with bad templates. In a template, {} stands "
           "for the "
           "class name. There are latent patterns that make a template good or bad. Based on these "
           "patterns, give me "
        << per_call_ << " better template" << (per_call_ == 1 ? "" : "s")
        << " than the good ones.\nHere is the list of good templates:\n";
    for (size_t i = 0; i < k; ++i) message << "- " << ranked_prompts[i].text << "\n";
    message << "Here is the list of bad templates:\n";
    for (size_t i = ranked_prompts.size() - k; i < ranked_prompts.size(); ++i) {
      message << "- " << ranked_prompts[i].text << "\n";
    }
    message << "Here are the requirements you must follow: reply with only the template"
            << (per_call_ == 1 ? "" : "s")
            << "; each template has fewer than 15 words and contains {} exactly once; keep a "
               "structure similar "
               "to the good templates; write each template on its own line starting with \"- \".";
    const std::vector<llm::ChatMessage> messages = {{"user", message.str()}};
    for (int64_t attempt = 1; attempt <= reply_attempts_; ++attempt) {
      const auto reply = ask(messages, 1).front();
      std::vector<std::string> templates;
      std::string invalid;
      for (const auto& text : reply) {
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);) {
          const auto trimmed = trim_prompt(line);
          if (trimmed.rfind("- ", 0) != 0) continue;
          const auto t = trim_prompt(trimmed.substr(2));
          if (t.find("{}") == std::string::npos) invalid = "a \"- \" line without {}: " + t;
          templates.push_back(t);
        }
        if (templates.empty()) invalid = "no line starting with \"- \": " + trim_prompt(text);
      }
      if (invalid.empty()) return templates;
      reject(reply.empty() ? "" : reply.front(),
             "invalid reply (attempt " + std::to_string(attempt) + " of " +
                 std::to_string(reply_attempts_) + "): " + invalid);
    }
    return {};  // this iteration found nothing; the next one asks again
  }

 private:
  int64_t pool_ = 3, per_call_ = 1, reply_attempts_ = 15;
  std::string init_;
};

}  // namespace

std::unique_ptr<Method> make_llm_opt_method(const CommonOptions& common,
                                            RunConfig& config,
                                            TrialContext& context) {
  return std::make_unique<LlmOptMethod>(common, config, context);
}

}  // namespace bbpt::run
