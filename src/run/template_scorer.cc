// SPDX-License-Identifier: MIT
#include "template_scorer.h"

#include <algorithm>

#include "bbpt/eval/zero_shot.h"

namespace bbpt::run {

TemplateScorer::TemplateScorer(TrialContext& context, int64_t batch_size)
    : context_(context), batch_size_(batch_size) {
  auto [features, labels] = context.train_features(0);  // [N, 1, E], [N]
  images_ = features.select(1, 0);
  images_ = images_ / images_.norm(2, -1, true);
  labels_ = labels.to(torch::kLong);
  num_images_ = images_.size(0);
}

torch::Tensor TemplateScorer::class_features(const std::vector<std::string>& templates) {
  torch::NoGradGuard no_grad;
  return eval::class_text_features(context_.model, *context_.tokenizer,
                                   context_.description.class_names,
                                   templates);  // [C, E]
}

TemplateScore TemplateScorer::score_one(const std::string& text_template) {
  const auto classes = class_features({text_template});  // [C, E]
  const auto logits =
      context_.model->logit_scale.exp() * torch::matmul(images_, classes.t());  // [N, C]
  const auto losses = torch::nn::functional::cross_entropy(
      logits, labels_,
      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));  // [N]
  const auto correct = (logits.argmax(1) == labels_).to(torch::kDouble);          // [N]
  TemplateScore s;
  s.accuracy = correct.mean().item<double>();
  s.loss = losses.mean().item<double>();
  double batch_accuracy_sum = 0;
  const int64_t batches = queries_per_template();
  for (int64_t b = 0; b < batches; ++b) {
    const int64_t first = b * batch_size_;
    const int64_t count = std::min(batch_size_, num_images_ - first);
    batch_accuracy_sum += correct.narrow(0, first, count).mean().item<double>();
    if (b == batches - 1) s.last_batch_loss = losses.narrow(0, first, count).mean().item<double>();
  }
  s.mean_batch_accuracy = batch_accuracy_sum / static_cast<double>(batches);
  return s;
}

std::vector<TemplateScore> TemplateScorer::score(const std::vector<std::string>& templates,
                                                 eval::QueryCounter& counter) {
  torch::NoGradGuard no_grad;
  dist::StepWork work;
  work.items = static_cast<int64_t>(templates.size());
  work.chunk = 1;
  work.width = 4;
  work.balancing = dist::Balancing::kDynamic;
  const auto values = context_.group.evaluate(work, [&](int64_t first, int64_t count) {
    std::vector<double> out;
    for (int64_t i = first; i < first + count; ++i) {
      const auto s = score_one(templates[static_cast<size_t>(i)]);
      out.insert(out.end(), {s.accuracy, s.loss, s.mean_batch_accuracy, s.last_batch_loss});
    }
    return out;
  });
  std::vector<TemplateScore> scores(templates.size());
  for (size_t i = 0; i < scores.size(); ++i) {
    scores[i] = {values[4 * i], values[4 * i + 1], values[4 * i + 2], values[4 * i + 3]};
  }
  counter.add(work.items * queries_per_template());
  return scores;
}

double TemplateScorer::test_accuracy(const std::vector<std::string>& templates,
                                     const std::vector<int64_t>* items) {
  return context_.test_accuracy(class_features(templates), items);
}

}  // namespace bbpt::run
