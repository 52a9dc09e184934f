// SPDX-License-Identifier: MIT
// Implements TrialContext: loading, few-shot sampling and feature caching for one trial.
#include "bbpt/run/trial_context.h"

#include "bbpt/core/error.h"
#include "bbpt/core/rng.h"
#include "bbpt/core/sha256.h"
#include "bbpt/eval/query_engine.h"
#include "bbpt/eval/zero_shot.h"
#include "bbpt/features/feature_cache.h"
#include "bbpt/model/checkpoint.h"

namespace bbpt::run {

uint64_t derive_seed(uint64_t seed, SeedPurpose purpose) {
  return core::Rng(seed, static_cast<uint64_t>(purpose)).next_u64();
}

std::unique_ptr<TrialContext> TrialContext::open(const TrialSpec& spec,
                                                 const std::vector<int64_t>* few_shot_train,
                                                 const std::vector<int64_t>* few_shot_val) {
  auto context = std::make_unique<TrialContext>();
  context->spec = spec;
  BBPT_CHECK(spec.shots >= 1, ConfigError, "shots (= " << spec.shots << ") must be >= 1");
  model::ClipLoadOptions load;
  load.device = spec.device;
  context->model = model::load_clip(spec.model_path, load);
  context->model->eval();
  for (auto& p : context->model->parameters()) p.set_requires_grad(false);
  context->model_fingerprint = core::sha256_file(spec.model_path);
  context->tokenizer = std::make_unique<tokenizer::ClipTokenizer>(
      tokenizer::ClipTokenizer::from_file(spec.vocab_path));
  context->description = data::describe_dataset(spec.dataset, spec.data);
  context->train_split = data::open_dataset(spec.dataset, "train", spec.data);
  context->test_split = data::open_dataset(spec.dataset, "test", spec.data);

  if (few_shot_train != nullptr) {
    // Indices into the split the trial trains on (the class subset's, when it has one).
    context->few_shot.shots = static_cast<int>(spec.shots);
    context->few_shot.seed = spec.seed;
    context->few_shot.dataset = spec.dataset;
    context->few_shot.sampler = data::default_few_shot_sampler(spec.dataset);
    context->few_shot.val_split =
        context->few_shot.sampler == data::kDasslSampler ? "val" : "train";
    context->few_shot.classes = data::to_string(spec.classes);
    context->few_shot.train = *few_shot_train;
    if (few_shot_val) context->few_shot.val = *few_shot_val;
  } else {
    // Dassl draws the K-shot sample on every class, then subsample_classes keeps base or new.
    context->few_shot = data::sample_dataset_few_shot(
        spec.dataset, *context->train_split, spec.data, static_cast<int>(spec.shots), spec.seed);
  }
  if (spec.classes != data::ClassSubset::kAll) {
    auto train =
        std::make_unique<data::ClassSubsetDataset>(std::move(context->train_split), spec.classes);
    if (few_shot_train == nullptr) {
      const auto keep = [](const data::ClassSubsetDataset& subset, std::vector<int64_t>& items) {
        std::vector<int64_t> kept;
        for (const int64_t item : items) {
          const int64_t at = subset.position_of(item);
          if (at >= 0) kept.push_back(at);
        }
        items = std::move(kept);
      };
      keep(*train, context->few_shot.train);
      if (context->few_shot.val_split == "train") {
        keep(*train, context->few_shot.val);
      } else if (context->few_shot.val_split == "val") {
        const data::ClassSubsetDataset val(data::open_dataset(spec.dataset, "val", spec.data),
                                           spec.classes);
        keep(val, context->few_shot.val);
      }
      context->few_shot.classes = data::to_string(spec.classes);
    }
    context->train_split = std::move(train);
    context->test_split =
        std::make_unique<data::ClassSubsetDataset>(std::move(context->test_split), spec.classes);
    context->description.class_names =
        data::subset_class_names(context->description.class_names, spec.classes, spec.dataset);
  }
  context->few_shot_train = std::make_unique<data::SubsetDataset>(
      *context->train_split, context->few_shot.train,
      context->train_split->name() + "-shot" + std::to_string(spec.shots) + "-seed" +
          std::to_string(spec.seed));
  return context;
}

std::unique_ptr<TrialContext> TrialContext::open_target(const TrialContext& source,
                                                        const std::string& dataset,
                                                        data::ClassSubset classes) {
  auto context = std::make_unique<TrialContext>();
  context->spec = source.spec;
  context->spec.dataset = dataset;
  context->spec.classes = classes;
  context->model = source.model;
  context->model_fingerprint = source.model_fingerprint;
  context->tokenizer = std::make_unique<tokenizer::ClipTokenizer>(
      tokenizer::ClipTokenizer::from_file(source.spec.vocab_path));
  context->description = data::describe_dataset(dataset, source.spec.data);
  context->test_split = data::open_dataset(dataset, "test", source.spec.data);
  if (classes != data::ClassSubset::kAll) {
    context->test_split =
        std::make_unique<data::ClassSubsetDataset>(std::move(context->test_split), classes);
    context->description.class_names =
        data::subset_class_names(context->description.class_names, classes, dataset);
  }
  context->few_shot.dataset = dataset;
  context->few_shot.classes = data::to_string(classes);
  return context;
}

std::pair<torch::Tensor, torch::Tensor> TrialContext::train_features(int64_t views) {
  features::FeatureCacheOptions cache;
  cache.cache_dir = spec.feature_cache_dir;
  cache.views = static_cast<int>(views);
  cache.seed = derive_seed(spec.seed, SeedPurpose::kAugment);
  auto result = features::load_or_build_features(model, model_fingerprint, *few_shot_train, cache);
  return {result.set.features, result.set.labels};
}

std::pair<torch::Tensor, torch::Tensor> TrialContext::test_features() {
  if (!test_features_.defined()) {
    features::FeatureCacheOptions cache;
    cache.cache_dir = spec.feature_cache_dir;
    auto result = features::load_or_build_features(model, model_fingerprint, *test_split, cache);
    test_features_ = result.set.features.select(1, 0);  // [Nt, 1, E] -> [Nt, E]
    test_labels_ = result.set.labels;
  }
  return {test_features_, test_labels_};
}

double TrialContext::test_accuracy(const torch::Tensor& class_features,
                                   const std::vector<int64_t>* items) {
  auto [features, labels] = test_features();
  if (items == nullptr) return eval::accuracy_of(features, labels, class_features);
  const auto index = torch::tensor(*items, torch::kLong);
  return eval::accuracy_of(features.index({index}), labels.index({index}), class_features);
}

torch::Tensor TrialContext::placeholder_tokens(int64_t num_context) const {
  std::string placeholder;
  for (int64_t i = 0; i < num_context; ++i) placeholder += "X ";
  // algorithms.md 1.1: "X X ... X <class>." with '_' in class names replaced by spaces.
  return template_tokens(placeholder + "{}.");
}

torch::Tensor TrialContext::template_tokens(const std::string& text_template) const {
  {
    std::lock_guard<std::mutex> lock(class_prompts_mutex_);
    if (!class_prompts_) {
      class_prompts_ = std::make_unique<eval::ClassPrompts>(*tokenizer, description.class_names,
                                                            model->config().context_length);
    }
  }
  return class_prompts_->tokenize(text_template);  // [C, L]
}

}  // namespace bbpt::run
