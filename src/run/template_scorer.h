// SPDX-License-Identifier: MIT
// Hard-prompt fitness for the LLM-as-optimizer methods: a template's class texts are encoded by
// the frozen text tower and scored on the cached few-shot training features (view 0: the center
// crop when views = 0). The training set is cut into mini-batches of batch_size in index order;
// each mini-batch forward under one template is one query (algorithms.md 2.6), so a template
// costs ceil(N / batch_size) queries. A step's templates are spread over the trial's ranks
// (dist::QueryGroup, dynamic balancing) with identical results for any rank count.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "bbpt/eval/query_engine.h"
#include "bbpt/run/trial_context.h"

namespace bbpt::run {

struct TemplateScore {
  double accuracy = 0;             // top-1 over all training images, fraction
  double loss = 0;                 // mean cross-entropy over all training images
  double mean_batch_accuracy = 0;  // mean over the mini-batches of their accuracy (IPO's score)
  double last_batch_loss = 0;      // cross-entropy of the last mini-batch (IPO's loss)
};

class TemplateScorer {
 public:
  TemplateScorer(TrialContext& context, int64_t batch_size);
  int64_t queries_per_template() const { return (num_images_ + batch_size_ - 1) / batch_size_; }
  /// Every rank of the trial's group calls it with the same templates; counter += K * queries.
  std::vector<TemplateScore> score(const std::vector<std::string>& templates,
                                   eval::QueryCounter& counter);
  /// Unit class features [C, E] of the templates' ensemble (mean of normalised features).
  torch::Tensor class_features(const std::vector<std::string>& templates);
  /// Test accuracy of the templates' ensemble: the full split, or the given items.
  double test_accuracy(const std::vector<std::string>& templates,
                       const std::vector<int64_t>* items = nullptr);

 private:
  TemplateScore score_one(const std::string& text_template);

  TrialContext& context_;
  int64_t batch_size_;
  int64_t num_images_ = 0;
  torch::Tensor images_;  // [N, E] unit rows
  torch::Tensor labels_;  // [N] int64
};

}  // namespace bbpt::run
