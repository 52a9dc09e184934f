// SPDX-License-Identifier: MIT
// Zero-shot CLIP: a hand-crafted template (CUSTOM_TEMPLATES, algorithms.md 1.5: the dataset's first
// template), the ensemble of all the dataset's templates, or CLIP's generic "a photo of a {}.". No
// queries, no steps: train loss and accuracy are reported on the few-shot training set (center
// crop) for the table.
#include "bbpt/core/error.h"
#include "bbpt/eval/query_engine.h"
#include "bbpt/eval/zero_shot.h"
#include "bbpt/run/trial_context.h"
#include "method_factory.h"

namespace bbpt::run {
namespace {

class ZeroShotMethod : public Method {
 public:
  ZeroShotMethod(RunConfig& config, TrialContext& context) : context_(context) {
    mode_ = config.get_string("templates", "first");
    if (mode_ == "first") {
      templates_ = {context.hand_crafted_template()};
    } else if (mode_ == "ensemble") {
      templates_ = context.description.templates;
    } else if (mode_ == "generic") {
      templates_ = {"a photo of a {}."};  // CLIP's generic template (algorithms.md 1.5)
    } else {
      BBPT_THROW(ConfigError, config.source()
                                  << ": templates: expected first, ensemble or generic, got '"
                                  << mode_ << "'");
    }
  }
  bool finished() const override { return true; }
  StepMetrics step() override { BBPT_THROW(ConfigError, "zeroshot has no optimisation steps"); }
  int64_t steps_done() const override { return 0; }
  int64_t queries_used() const override { return 0; }
  double subset_test_accuracy(const std::vector<int64_t>&) override { return 0.0; }

  FinalMetrics finish() override {
    torch::NoGradGuard no_grad;
    auto classes =
        eval::class_text_features(context_.model, *context_.tokenizer,
                                  context_.description.class_names, templates_);  // [C, E]
    FinalMetrics f;
    auto [train_features, train_labels] = context_.train_features(0);
    auto image = train_features.select(1, 0);  // [N, 1, E] -> [N, E]
    image = image / image.norm(2, -1, true);
    auto logits = context_.model->logit_scale.exp() *
                  torch::matmul(image, classes.t()).unsqueeze(0);  // [1, N, C]
    const auto results = eval::summarize_queries(logits, train_labels.to(torch::kLong),
                                                 eval::LossKind::kCrossEntropy);
    f.train_loss = results.losses[0];
    f.train_acc = results.accuracies[0];
    f.test_acc = context_.test_accuracy(classes);
    f.test_images = context_.test_features().first.size(0);
    f.extra["templates"] = templates_;
    f.extra["variant"] = mode_;
    return f;
  }
  double target_test_accuracy(TrialContext& target) override {
    // Nothing is learned: the target's own hand-crafted template(s) in the same mode.
    torch::NoGradGuard no_grad;
    const std::vector<std::string> templates =
        mode_ == "first"      ? std::vector<std::string>{target.hand_crafted_template()}
        : mode_ == "ensemble" ? target.description.templates
                              : templates_;
    return target.test_accuracy(eval::class_text_features(
        target.model, *target.tokenizer, target.description.class_names, templates));
  }
  void save(MethodState&) const override {}
  void load(const MethodState&) override {}

 private:
  TrialContext& context_;
  std::string mode_;
  std::vector<std::string> templates_;
};

}  // namespace

std::unique_ptr<Method> make_zeroshot_method(const CommonOptions&,
                                             RunConfig& config,
                                             TrialContext& context) {
  return std::make_unique<ZeroShotMethod>(config, context);
}

}  // namespace bbpt::run
