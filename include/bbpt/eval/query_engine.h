// SPDX-License-Identifier: MIT
// The query engine: one query = one forward of one training mini-batch under one prompt setting
// (algorithms.md 2.6), counted exactly. Mini-batches come from a seeded sampler that is a pure
// function of (seed, step), so a resumed run sees the same batches. Image features of a step are
// looked up (or computed) once and shared by all K settings of the step; all K text prompts of a
// step are encoded in one batched text forward.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "bbpt/model/clip_model.h"

namespace bbpt::eval {

/// Dassl's RandomSampler with drop_last (algorithms.md 1.2): each epoch is a fresh permutation of
/// the training items, cut into batches_per_epoch() batches of batch_size; when there are fewer
/// items than batch_size, one batch holds them all. Epoch e's permutation comes from
/// core::Rng(seed, e), so batch(step) is a pure function of (seed, step).
class MiniBatchSampler {
 public:
  MiniBatchSampler(int64_t num_items, int64_t batch_size, uint64_t seed);
  int64_t batches_per_epoch() const { return batches_per_epoch_; }
  int64_t batch_size() const { return std::min(batch_size_, num_items_); }
  /// Item indices of global batch `step` (0-based): epoch step / batches_per_epoch(), position
  /// step % batches_per_epoch() within it.
  std::vector<int64_t> batch(int64_t step) const;

 private:
  int64_t num_items_;
  int64_t batch_size_;
  uint64_t seed_;
  int64_t batches_per_epoch_;
};

/// Counts queries and enforces a budget the way the ZIP code does (algorithms.md 2.6): the check
/// happens between steps, and a step that crosses the budget completes.
class QueryCounter {
 public:
  explicit QueryCounter(int64_t budget) : budget_(budget) {}
  void add(int64_t queries) { used_ += queries; }
  int64_t used() const { return used_; }
  int64_t budget() const { return budget_; }
  /// True once used() >= budget(); a budget <= 0 never runs out.
  bool exhausted() const { return budget_ > 0 && used_ >= budget_; }
  void restore(int64_t used) { used_ = used; }

 private:
  int64_t budget_;
  int64_t used_ = 0;
};

/// Loss and accuracy of each of K prompt settings on one mini-batch.
struct QueryResults {
  std::vector<double> losses;      // [K]
  std::vector<double> accuracies;  // [K], fractions in [0, 1]

  /// [loss_0, acc_0, loss_1, acc_1, ...]: two values per query, the layout in which a distributed
  /// step's ranks exchange results (dist::QueryGroup, width 2).
  std::vector<double> interleaved() const;
  static QueryResults from_interleaved(const std::vector<double>& values);
};

enum class LossKind { kCrossEntropy, kFocal };
/// "ce" | "focal"; parse throws ConfigError naming the valid values.
std::string to_string(LossKind kind);
LossKind parse_loss_kind(const std::string& name);

/// logits [K, B, C] (already scaled), labels [B] int64 -> per-setting mean loss [K]. Focal loss
/// (BAR, algorithms.md 4): mean over the batch of -(1 - p_y)^gamma log p_y.
torch::Tensor per_setting_loss(const torch::Tensor& logits,
                               const torch::Tensor& labels,
                               LossKind kind,
                               double focal_gamma = 2.0);
/// logits [K, B, C], labels [B] -> top-1 accuracy per setting [K] (float64).
torch::Tensor per_setting_accuracy(const torch::Tensor& logits, const torch::Tensor& labels);
/// Both of the above as plain vectors.
QueryResults summarize_queries(const torch::Tensor& logits,
                               const torch::Tensor& labels,
                               LossKind kind,
                               double focal_gamma = 2.0);

/// Image features of one training step: row b is one augmented view of item indices[b].
struct FeatureBatch {
  std::vector<int64_t> indices;  // [B] into the training set
  torch::Tensor image_features;  // [B, E], unit rows
  torch::Tensor labels;          // [B] int64
};

/// The text-side query engine (ZIP, SPSA-GC, BPT-VLM's text prompts, CoOp): the image features of
/// the training set are frozen and precomputed with V augmented views per image (the feature
/// cache, `--views`); a step's batch takes, for each image, one view drawn from
/// core::Rng(view_seed, step), so all queries of a step see the same batch and augmentation.
class ContextQueryEngine {
 public:
  /// train_features [N, V, E] (any scale), train_labels [N]; prompts from
  /// ClipModel::prepare_context_prompts for the dataset's classes.
  ContextQueryEngine(model::ClipModel model,
                     model::ContextPrompts prompts,
                     torch::Tensor train_features,
                     torch::Tensor train_labels,
                     int64_t batch_size,
                     uint64_t batch_seed,
                     uint64_t view_seed);
  const MiniBatchSampler& sampler() const { return sampler_; }
  int64_t num_train() const { return features_.size(0); }
  /// The features and labels of global step `step` (0-based).
  FeatureBatch batch(int64_t step) const;
  /// All N training images, view 0 each (for full-split train metrics).
  FeatureBatch all_items() const;
  /// Text features of K contexts [K, M, W]: one batched forward -> [K, C, E] unit rows.
  torch::Tensor class_features(const torch::Tensor& contexts);
  /// Scaled logits of K class-feature sets [K, C, E] on a batch -> [K, B, C].
  torch::Tensor logits(const FeatureBatch& batch, const torch::Tensor& class_features) const;
  /// Loss and accuracy of K contexts [K, M, W] on a batch (one batched text forward); counts
  /// nothing (the caller counts, e.g. a distributed step that scores its share of the queries).
  QueryResults score(const FeatureBatch& batch,
                     const torch::Tensor& contexts,
                     LossKind kind = LossKind::kCrossEntropy);
  /// K queries: encodes the K contexts once and scores them on the batch; counter += K.
  QueryResults evaluate(const FeatureBatch& batch,
                        const torch::Tensor& contexts,
                        QueryCounter& counter,
                        LossKind kind = LossKind::kCrossEntropy);
  /// Mean cross-entropy of one context [M, W] on a batch, differentiable with respect to the
  /// context (CoOp's white-box loss, algorithms.md 6); counts no query.
  torch::Tensor context_loss(const FeatureBatch& batch, const torch::Tensor& context);
  model::ClipModel& model() { return model_; }
  const model::ContextPrompts& prompts() const { return prompts_; }

 private:
  model::ClipModel model_;
  model::ContextPrompts prompts_;
  torch::Tensor features_;  // [N, V, E] unit rows
  torch::Tensor labels_;    // [N] int64
  MiniBatchSampler sampler_;
  uint64_t view_seed_;
};

/// Text features of K contexts [K, M, W] under `prompts` (one batched forward) -> [K, C, E] unit
/// rows: ContextQueryEngine::class_features without an engine (a prompt evaluated on another
/// dataset's classes).
torch::Tensor context_class_features(model::ClipModel& model,
                                     const model::ContextPrompts& prompts,
                                     const torch::Tensor& contexts);

/// Top-1 accuracy of class features [C, E] on image features [N, E] with labels [N], evaluated
/// in chunks; fraction in [0, 1].
double accuracy_of(const torch::Tensor& image_features,
                   const torch::Tensor& labels,
                   const torch::Tensor& class_features);

/// 0, 1, ..., n - 1.
std::vector<int64_t> index_range(int64_t n);

/// A fixed, seeded subset of `count` of `num_items` indices (sorted), for test accuracy at fixed
/// query counts (the accuracy-vs-queries curves). count >= num_items gives all items.
std::vector<int64_t> fixed_subset(int64_t num_items, int64_t count, uint64_t seed);

}  // namespace bbpt::eval
