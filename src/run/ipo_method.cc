// SPDX-License-Identifier: MIT
// IPO (Du, Sun, Snoek, NeurIPS 2024; algorithms.md 8): OPRO for CLIP. Each step sends the same
// meta-prompt calls_per_step times: the task, optional image descriptions, and up to 30 earlier
// instructions with score >= 20, ascending by (score, -loss), as "text / score / loss" blocks; the
// LLM answers with a new instruction in <INS>...</INS>. <CLASS> is the class placeholder. Score =
// the mean over the training mini-batches of their accuracy (%), loss = the last mini-batch's
// cross-entropy. The learned prompt is the best-scoring instruction.
//
// The released code hard-codes Flowers102 and reads its descriptions from a file; this meta-prompt
// is the paper's dataset-generic wording. Descriptions of the training images (the paper: one per
// 1-shot image by MiniCPM-V-2, temperature 0.7) come from `descriptions_file` (one per line), or
// from an OpenAI-compatible vision endpoint (vision_base_url / $BBPT_VISION_BASE_URL and
// vision_model / $BBPT_VISION_MODEL): each few-shot training image is sent as a PNG data URL with
// `vision_question`, through the same retries and response cache as the optimizer LLM. Without
// either, the meta-prompt has no descriptions.
#include <algorithm>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/image/encode.h"
#include "llm_search.h"
#include "method_factory.h"

namespace bbpt::run {
namespace {

class IpoMethod : public LlmSearchMethod {
 public:
  IpoMethod(const CommonOptions& common, RunConfig& config, TrialContext& context)
      : LlmSearchMethod(common, config, context, "ipo") {
    calls_per_step_ = config.get_int("calls_per_step", 8);
    history_size_ = config.get_int("history_size", 30);
    min_score_ = config.get_double("min_score", 20.0);
    initial_ = config.get_string("initial_instruction", "a photo of a <CLASS>.");
    const auto descriptions = config.get_string("descriptions_file", "");
    vision_ = llm_settings();
    vision_.endpoint.base_url = config_or(config, "vision_base_url", context.spec.vision_base_url);
    vision_.endpoint.model = config.get_string("vision_model", "");
    vision_.sampling.temperature = config.get_double("vision_temperature", 0.7);
    vision_.sampling.max_tokens = config.get_int("vision_max_tokens", 120);
    vision_question_ = config.get_string("vision_question",
                                         "Describe in detail the visual features that distinguish "
                                         "the object or scene in this image, in one "
                                         "or two sentences.");
    BBPT_CHECK(calls_per_step_ >= 1 && history_size_ >= 1, ConfigError,
               config.source() << ": calls_per_step and history_size must be >= 1");
    if (!descriptions.empty()) {
      std::ifstream in(descriptions);
      BBPT_CHECK(in.good(), ConfigError,
                 config.source() << ": descriptions_file: cannot read '" << descriptions << "'");
      for (std::string line; std::getline(in, line);) {
        if (!trim_prompt(line).empty()) descriptions_.push_back(trim_prompt(line));
      }
    }
  }

 protected:
  double fitness(const EvaluatedPrompt& p) const override { return p.score.mean_batch_accuracy; }

  std::vector<std::string> initial_prompts() override { return {with_braces(initial_, "<CLASS>")}; }

  std::vector<std::string> propose() override {
    if (descriptions_.empty() && !vision_.endpoint.base_url.empty()) describe_images();
    std::ostringstream m;
    m << "Your task is to write an instruction for image classification on the " << dataset_name_
      << " dataset based on the visual features of the images. <CLASS> stands for the class name "
         "and must appear "
         "inside <INS>.\n\n";
    if (!descriptions_.empty()) {
      m << "Description of some features of the images in the dataset:\n";
      for (size_t i = 0; i < descriptions_.size(); ++i)
        m << "Image_" << i + 1 << ": " << descriptions_[i] << "\n";
      m << "\n";
    }
    m << "Below are some previous instructions with their scores and loss. The score ranges from 0 "
         "to 100, and the "
         "loss ranges from 0 to infinity.\n\n";
    std::vector<EvaluatedPrompt> shown;
    for (const auto& p : history_) {
      if (100.0 * p.score.mean_batch_accuracy >= min_score_) shown.push_back(p);
    }
    std::stable_sort(shown.begin(), shown.end(),
                     [](const EvaluatedPrompt& a, const EvaluatedPrompt& b) {
                       if (a.score.mean_batch_accuracy != b.score.mean_batch_accuracy) {
                         return a.score.mean_batch_accuracy < b.score.mean_batch_accuracy;
                       }
                       return a.score.last_batch_loss > b.score.last_batch_loss;
                     });
    if (static_cast<int64_t>(shown.size()) > history_size_) {
      shown.erase(shown.begin(),
                  shown.end() - history_size_);  // the best history_size_, still ascending
    }
    for (const auto& p : shown) {
      std::string text = p.text;
      const auto slot = text.find("{}");
      if (slot != std::string::npos) text.replace(slot, 2, "<CLASS>");
      m << "text:\n"
        << text << "\nscore:\n"
        << std::fixed << std::setprecision(2) << 100.0 * p.score.mean_batch_accuracy << "\nloss:\n"
        << std::setprecision(3) << p.score.last_batch_loss << "\n\n";
    }
    m << "Generate an instruction that is different from all the instructions above and has a "
         "higher score and a "
         "lower loss than all of them. The instruction must begin with <INS> and end with </INS>, "
         "contain <CLASS>, "
         "and be concise, effective and applicable to every class.";
    std::vector<std::string> out;
    for (const auto& reply : ask({{"user", m.str()}}, calls_per_step_)) {
      for (const auto& text : reply) {
        std::string instruction = text;
        const auto open = instruction.find("<INS>");
        if (open != std::string::npos) {
          const auto close = instruction.find("</INS>", open);
          instruction = instruction.substr(
              open + 5, close == std::string::npos ? std::string::npos : close - open - 5);
        }
        instruction = trim_prompt(instruction);
        if (instruction.find("INS") != std::string::npos) {
          reject(text, "still holds an INS tag");
          continue;
        }
        if (instruction.find("<CLASS>") == std::string::npos) {
          reject(text, "no <CLASS> placeholder");
          continue;
        }
        out.push_back(with_braces(instruction, "<CLASS>"));
      }
    }
    return out;
  }

 private:
  /// One description per few-shot training image from the vision endpoint (sample index = the
  /// image's position, so a rerun is answered by the cache).
  void describe_images() {
    BBPT_CHECK(!vision_.endpoint.model.empty(), ConfigError,
               "ipo: vision_base_url is set but not vision_model (or $BBPT_VISION_MODEL)");
    if (!vision_client_) {
      vision_client_ = std::make_unique<llm::ChatClient>(vision_.endpoint, context_.spec.seed + 7);
    }
    const auto& images = *context_.few_shot_train;
    for (size_t i = 0; i < images.size(); ++i) {
      auto sampling = vision_.sampling;
      sampling.seed = static_cast<int64_t>(i);
      const llm::ChatMessage ask_about_image{
          "user", vision_question_, {image::png_data_url(images.load_image(i))}};
      const auto reply =
          vision_client_->complete({ask_about_image}, sampling, static_cast<int64_t>(i));
      std::string text = reply.texts.empty() ? "" : reply.texts.front();
      for (char& c : text) {
        if (c == '\n' || c == '\r') c = ' ';
      }
      descriptions_.push_back(trim_prompt(text));
    }
  }

  void add_result_fields(FinalMetrics& f) const override {
    f.extra["descriptions"] = static_cast<int64_t>(descriptions_.size());
    if (vision_client_) {
      f.extra["vision"] = usage_json(vision_client_->usage());
      f.extra["vision_model"] = vision_.endpoint.model;
    }
  }

  LlmSettings vision_;
  std::string vision_question_;
  std::unique_ptr<llm::ChatClient> vision_client_;  // rank 0, at the first step that needs it
  int64_t calls_per_step_ = 8, history_size_ = 30;
  double min_score_ = 20.0;
  std::string initial_;
  std::vector<std::string> descriptions_;
};

}  // namespace

std::unique_ptr<Method> make_ipo_method(const CommonOptions& common,
                                        RunConfig& config,
                                        TrialContext& context) {
  return std::make_unique<IpoMethod>(common, config, context);
}

}  // namespace bbpt::run
