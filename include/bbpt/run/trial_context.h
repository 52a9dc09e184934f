// SPDX-License-Identifier: MIT
// What one trial (method x dataset x seed x shots) works on: the frozen CLIP, the tokenizer, the
// dataset's splits and description, the few-shot sample, and the frozen image features (few-shot
// train set with augmented views, full test split), plus the seeds derived for each random stream.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bbpt/data/class_subset.h"
#include "bbpt/data/dataset_registry.h"
#include "bbpt/data/few_shot.h"
#include "bbpt/data/subset_dataset.h"
#include "bbpt/dist/query_group.h"
#include "bbpt/eval/class_prompts.h"
#include "bbpt/model/clip_model.h"
#include "bbpt/tokenizer/clip_tokenizer.h"

namespace bbpt::run {

/// Independent random streams of a trial, each seeded by derive_seed(trial seed, purpose).
enum class SeedPurpose : uint64_t {
  kPrompt = 1,      // frozen prompt parameters (initial context, projections, Fastfood)
  kOptimizer = 2,   // perturbations / CMA-ES samples, by step
  kBatches = 3,     // mini-batch order, by epoch
  kViews = 4,       // which cached augmented view each image of a step uses, by step
  kAugment = 5,     // augmentations: the feature cache's views; pixel batches by step
  kTestSubset = 6,  // the fixed test subset of the accuracy-vs-queries curves
};
uint64_t derive_seed(uint64_t seed, SeedPurpose purpose);

struct TrialSpec {
  std::string dataset;
  uint64_t seed = 1;
  int64_t shots = 16;
  /// The classes the trial trains and tests on (the config's `classes`): all, or Dassl's base or
  /// new half (data/class_subset.h). The few-shot sample is drawn on every class first, as Dassl
  /// draws it before subsample_classes, then cut to the subset.
  data::ClassSubset classes = data::ClassSubset::kAll;
  std::string model_path;
  std::string device = "cpu";
  data::DataOptions data;
  std::string feature_cache_dir;
  std::string llm_cache_dir;  // responses of the LLM methods' endpoint (llm/response_cache.h)
  /// Where the LLM methods' endpoints are served when the config names none (the CLI reads
  /// $BBPT_LLM_BASE_URL and $BBPT_VISION_BASE_URL). Not part of the trial's identity: an address
  /// says where a model is served, not which model it is (docs/sweeps.md).
  std::string llm_base_url;
  std::string vision_base_url;
  std::string vocab_path;
};

struct TrialContext {
  /// Loads the model, tokenizer and dataset splits; samples the few-shot split (or adopts
  /// `few_shot_train`/`few_shot_val` when given, e.g. from a checkpoint).
  static std::unique_ptr<TrialContext> open(const TrialSpec& spec,
                                            const std::vector<int64_t>* few_shot_train = nullptr,
                                            const std::vector<int64_t>* few_shot_val = nullptr);
  /// A context to evaluate a trained prompt on another target (evaluation.h): `source`'s model,
  /// tokenizer and caches, and the test split and description of `dataset` cut to `classes`. It
  /// has no train split and no few-shot sample (train_split and few_shot_train are null).
  static std::unique_ptr<TrialContext> open_target(const TrialContext& source,
                                                   const std::string& dataset,
                                                   data::ClassSubset classes);

  TrialSpec spec;
  model::ClipModel model{nullptr};
  std::string model_fingerprint;
  std::unique_ptr<tokenizer::ClipTokenizer> tokenizer;
  std::unique_ptr<data::ImageDataset> train_split;
  std::unique_ptr<data::ImageDataset> test_split;
  data::DatasetDescription description;
  data::FewShotSplit few_shot;
  std::unique_ptr<data::SubsetDataset> few_shot_train;  // items = few_shot.train
  /// The ranks that evaluate this trial's queries (one process unless run_trial got a
  /// communicator). Methods broadcast their step message and evaluate their queries through it.
  dist::QueryGroup group;

  int64_t num_classes() const { return static_cast<int64_t>(description.class_names.size()); }
  /// Few-shot training features [N, max(views,1), E] (feature cache) and labels [N].
  std::pair<torch::Tensor, torch::Tensor> train_features(int64_t views);
  /// Test-split features [Nt, E] (center crop) and labels [Nt] (feature cache).
  std::pair<torch::Tensor, torch::Tensor> test_features();
  /// Top-1 accuracy of class features [C, E] on the cached test features: all of them, or the
  /// given items.
  double test_accuracy(const torch::Tensor& class_features,
                       const std::vector<int64_t>* items = nullptr);
  /// Token ids [C, L] of "X X ... X <class>." (M placeholders), CoOp's placeholder prompts.
  torch::Tensor placeholder_tokens(int64_t num_context) const;
  /// Token ids [C, L] of a template filled with every class name; a class whose prompt does not
  /// fit L is cut and warned about once per trial (eval::ClassPrompts).
  torch::Tensor template_tokens(const std::string& text_template) const;
  /// The dataset's first hand-crafted template (CUSTOM_TEMPLATES, algorithms.md 1.5).
  const std::string& hand_crafted_template() const { return description.templates.at(0); }

 private:
  torch::Tensor test_features_, test_labels_;
  mutable std::mutex class_prompts_mutex_;
  mutable std::unique_ptr<eval::ClassPrompts> class_prompts_;  // made on first template_tokens
};

}  // namespace bbpt::run
