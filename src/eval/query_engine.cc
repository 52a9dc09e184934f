// SPDX-License-Identifier: MIT
// Implements the seeded mini-batch sampler, per-setting losses and the text-side query engine.
#include "bbpt/eval/query_engine.h"

#include <algorithm>
#include <numeric>

#include "bbpt/core/error.h"
#include "bbpt/core/rng.h"

namespace bbpt::eval {

MiniBatchSampler::MiniBatchSampler(int64_t num_items, int64_t batch_size, uint64_t seed)
    : num_items_(num_items), batch_size_(batch_size), seed_(seed) {
  BBPT_CHECK(num_items > 0, ConfigError, "the training set is empty");
  BBPT_CHECK(batch_size > 0, ConfigError, "batch_size (= " << batch_size << ") must be >= 1");
  // drop_last = (|train| >= batch size), algorithms.md 1.2.
  batches_per_epoch_ = num_items >= batch_size ? num_items / batch_size : 1;
}

std::vector<int64_t> MiniBatchSampler::batch(int64_t step) const {
  BBPT_ASSERT(step >= 0, "negative step");
  const int64_t epoch = step / batches_per_epoch_;
  const int64_t position = step % batches_per_epoch_;
  std::vector<int64_t> order = index_range(num_items_);
  core::Rng rng(seed_, static_cast<uint64_t>(epoch));
  for (int64_t i = num_items_ - 1; i > 0; --i) {  // Fisher-Yates
    const auto j = static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(i + 1)));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  const int64_t size = batch_size();
  return {order.begin() + position * size, order.begin() + (position + 1) * size};
}

std::string to_string(LossKind kind) { return kind == LossKind::kFocal ? "focal" : "ce"; }

LossKind parse_loss_kind(const std::string& name) {
  if (name == "ce") return LossKind::kCrossEntropy;
  if (name == "focal") return LossKind::kFocal;
  BBPT_THROW(ConfigError, "unknown loss '" << name << "' (valid: ce, focal)");
}

torch::Tensor per_setting_loss(const torch::Tensor& logits,
                               const torch::Tensor& labels,
                               LossKind kind,
                               double focal_gamma) {
  TORCH_CHECK(logits.dim() == 3 && labels.dim() == 1 && labels.size(0) == logits.size(1),
              "logits must be [K, B, C] and labels [B], got ", logits.sizes(), " and ",
              labels.sizes());
  auto log_p = torch::log_softmax(logits, -1);                           // [K, B, C]
  auto index = labels.view({1, -1, 1}).expand({logits.size(0), -1, 1});  // [K, B, 1]
  auto log_py = log_p.gather(2, index).squeeze(2);                       // [K, B]
  if (kind == LossKind::kCrossEntropy) return (-log_py).mean(1);         // [K]
  auto weight = (1.0 - log_py.exp()).pow(focal_gamma);                   // [K, B]
  return (-(weight * log_py)).mean(1);                                   // [K]
}

torch::Tensor per_setting_accuracy(const torch::Tensor& logits, const torch::Tensor& labels) {
  auto predicted = logits.argmax(-1);                                    // [K, B]
  return predicted.eq(labels.view({1, -1})).to(torch::kDouble).mean(1);  // [K]
}

QueryResults summarize_queries(const torch::Tensor& logits,
                               const torch::Tensor& labels,
                               LossKind kind,
                               double focal_gamma) {
  auto loss = per_setting_loss(logits, labels, kind, focal_gamma).to(torch::kCPU, torch::kDouble);
  auto acc = per_setting_accuracy(logits, labels).to(torch::kCPU);
  QueryResults results;
  results.losses.assign(loss.data_ptr<double>(), loss.data_ptr<double>() + loss.numel());
  results.accuracies.assign(acc.data_ptr<double>(), acc.data_ptr<double>() + acc.numel());
  return results;
}

ContextQueryEngine::ContextQueryEngine(model::ClipModel model,
                                       model::ContextPrompts prompts,
                                       torch::Tensor train_features,
                                       torch::Tensor train_labels,
                                       int64_t batch_size,
                                       uint64_t batch_seed,
                                       uint64_t view_seed)
    : model_(std::move(model)),
      prompts_(std::move(prompts)),
      sampler_(train_features.size(0), batch_size, batch_seed),
      view_seed_(view_seed) {
  TORCH_CHECK(train_features.dim() == 3 && train_labels.dim() == 1 &&
                  train_labels.size(0) == train_features.size(0),
              "train features must be [N, V, E] and labels [N], got ", train_features.sizes(),
              " and ", train_labels.sizes());
  const auto device = model_->text_projection.device();
  features_ = train_features.to(device, torch::kFloat);
  features_ = features_ / features_.norm(2, -1, /*keepdim=*/true);  // [N, V, E] unit rows
  labels_ = train_labels.to(device, torch::kLong);
}

FeatureBatch ContextQueryEngine::batch(int64_t step) const {
  FeatureBatch out;
  out.indices = sampler_.batch(step);
  const int64_t views = features_.size(1);
  std::vector<int64_t> view_of(out.indices.size(), 0);
  if (views > 1) {
    core::Rng rng(view_seed_, static_cast<uint64_t>(step));
    for (auto& v : view_of) v = static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(views)));
  }
  const auto device = features_.device();
  auto items = torch::tensor(out.indices, torch::kLong).to(device);  // [B]
  auto view = torch::tensor(view_of, torch::kLong).to(device);       // [B]
  out.image_features = features_.index({items, view});               // [B, E]
  out.labels = labels_.index({items});                               // [B]
  return out;
}

FeatureBatch ContextQueryEngine::all_items() const {
  FeatureBatch out;
  out.indices = index_range(features_.size(0));
  out.image_features = features_.select(1, 0);  // [N, V, E] -> [N, E]
  out.labels = labels_;
  return out;
}

torch::Tensor context_class_features(model::ClipModel& model,
                                     const model::ContextPrompts& prompts,
                                     const torch::Tensor& contexts) {
  auto text = model->encode_contexts(prompts, contexts);  // [K, C, E]
  return text / text.norm(2, -1, /*keepdim=*/true);
}

torch::Tensor ContextQueryEngine::class_features(const torch::Tensor& contexts) {
  return context_class_features(model_, prompts_, contexts);
}

torch::Tensor ContextQueryEngine::logits(const FeatureBatch& batch,
                                         const torch::Tensor& class_features) const {
  const auto scale = model_->logit_scale.exp();
  // [B, E] x [K, C, E] -> [K, B, C]
  return scale * torch::matmul(batch.image_features.unsqueeze(0), class_features.transpose(1, 2));
}

QueryResults ContextQueryEngine::score(const FeatureBatch& batch,
                                       const torch::Tensor& contexts,
                                       LossKind kind) {
  torch::NoGradGuard no_grad;
  return summarize_queries(logits(batch, class_features(contexts)), batch.labels, kind);
}

QueryResults ContextQueryEngine::evaluate(const FeatureBatch& batch,
                                          const torch::Tensor& contexts,
                                          QueryCounter& counter,
                                          LossKind kind) {
  auto results = score(batch, contexts, kind);
  counter.add(contexts.size(0));  // one query per prompt setting (algorithms.md 2.6)
  return results;
}

std::vector<double> QueryResults::interleaved() const {
  TORCH_CHECK(losses.size() == accuracies.size(), "QueryResults: ", losses.size(), " losses but ",
              accuracies.size(), " accuracies");
  std::vector<double> values;
  values.reserve(2 * losses.size());
  for (size_t k = 0; k < losses.size(); ++k) {
    values.push_back(losses[k]);
    values.push_back(accuracies[k]);
  }
  return values;
}

QueryResults QueryResults::from_interleaved(const std::vector<double>& values) {
  TORCH_CHECK(values.size() % 2 == 0, "QueryResults: ", values.size(),
              " interleaved values is odd");
  QueryResults results;
  for (size_t i = 0; i < values.size(); i += 2) {
    results.losses.push_back(values[i]);
    results.accuracies.push_back(values[i + 1]);
  }
  return results;
}

torch::Tensor ContextQueryEngine::context_loss(const FeatureBatch& batch,
                                               const torch::Tensor& context) {
  TORCH_CHECK(context.dim() == 2, "context must be [M, W], got ", context.sizes());
  auto logits = this->logits(batch, class_features(context.unsqueeze(0)));  // [1, B, C]
  return torch::nn::functional::cross_entropy(logits[0], batch.labels);
}

double accuracy_of(const torch::Tensor& image_features,
                   const torch::Tensor& labels,
                   const torch::Tensor& class_features) {
  torch::NoGradGuard no_grad;
  TORCH_CHECK(image_features.dim() == 2 && class_features.dim() == 2,
              "accuracy_of needs image features [N, E] and class features [C, E]");
  const int64_t n = image_features.size(0);
  if (n == 0) return 0.0;
  auto classes = class_features / class_features.norm(2, -1, true);  // [C, E]
  int64_t correct = 0;
  for (int64_t first = 0; first < n; first += 4096) {
    const int64_t rows = std::min<int64_t>(4096, n - first);
    auto image = image_features.narrow(0, first, rows).to(classes.device(), torch::kFloat);
    auto predicted = torch::matmul(image, classes.t()).argmax(-1);  // [rows]
    correct +=
        predicted.eq(labels.narrow(0, first, rows).to(predicted.device())).sum().item<int64_t>();
  }
  return static_cast<double>(correct) / static_cast<double>(n);
}

std::vector<int64_t> index_range(int64_t n) {
  std::vector<int64_t> out(static_cast<size_t>(std::max<int64_t>(n, 0)));
  std::iota(out.begin(), out.end(), 0);
  return out;
}

std::vector<int64_t> fixed_subset(int64_t num_items, int64_t count, uint64_t seed) {
  std::vector<int64_t> order = index_range(num_items);
  if (count >= num_items) return order;
  core::Rng rng(seed, 0);
  for (int64_t i = 0; i < count; ++i) {  // partial Fisher-Yates
    const auto j = i + static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(num_items - i)));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  order.resize(static_cast<size_t>(count));
  std::sort(order.begin(), order.end());
  return order;
}

}  // namespace bbpt::eval
