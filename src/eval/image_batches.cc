// SPDX-License-Identifier: MIT
// Implements the per-step pixel batches of the image-side methods.
#include "bbpt/eval/image_batches.h"

#include <algorithm>

#include "bbpt/core/error.h"
#include "bbpt/core/rng.h"

namespace bbpt::eval {
namespace {

torch::Tensor stack_chw(std::vector<std::vector<float>>& pixels, int resolution) {
  const auto n = static_cast<int64_t>(pixels.size());
  auto out = torch::empty({n, 3, resolution, resolution}, torch::kFloat);  // [B, 3, R, R]
  auto* dst = out.data_ptr<float>();
  const size_t per_image = 3 * static_cast<size_t>(resolution) * resolution;
  for (size_t i = 0; i < pixels.size(); ++i) {
    BBPT_ASSERT(pixels[i].size() == per_image, "transform returned an unexpected size");
    std::copy(pixels[i].begin(), pixels[i].end(), dst + i * per_image);
  }
  return out;
}

}  // namespace

TrainImageLoader::TrainImageLoader(const data::ImageDataset& dataset,
                                   std::vector<int64_t> items,
                                   ImageBatchOptions options,
                                   uint64_t augment_seed)
    : dataset_(dataset), items_(std::move(items)), options_(options), augment_seed_(augment_seed) {}

ImageBatch TrainImageLoader::load(const std::vector<int64_t>& indices, int64_t step) const {
  std::vector<int64_t> items;
  for (const int64_t index : indices) items.push_back(items_.at(static_cast<size_t>(index)));
  if (!options_.augment) {
    auto batch = load_eval_images(dataset_, items, options_);
    batch.indices = indices;
    return batch;
  }
  image::TrainTransformOptions transform;
  transform.resolution = options_.resolution;
  transform.horizontal_flip = options_.horizontal_flip;
  if (!options_.normalize) {
    transform.mean = {0.f, 0.f, 0.f};
    transform.std = {1.f, 1.f, 1.f};
  }
  core::Rng rng(augment_seed_, static_cast<uint64_t>(step));
  ImageBatch batch;
  batch.indices = indices;
  std::vector<std::vector<float>> pixels;
  std::vector<int64_t> labels;
  for (const int64_t item : items) {
    const auto at = static_cast<size_t>(item);
    pixels.push_back(image::apply_train_transform(dataset_.load_image(at), transform, rng));
    labels.push_back(dataset_.label(at));
  }
  batch.images = stack_chw(pixels, options_.resolution);
  batch.labels = torch::tensor(labels, torch::kLong);
  return batch;
}

ImageBatch load_eval_images(const data::ImageDataset& dataset,
                            const std::vector<int64_t>& items,
                            const ImageBatchOptions& options) {
  image::EvalTransformOptions transform;
  transform.resolution = options.resolution;
  if (!options.normalize) {
    transform.mean = {0.f, 0.f, 0.f};
    transform.std = {1.f, 1.f, 1.f};
  }
  ImageBatch batch;
  batch.indices = items;
  std::vector<std::vector<float>> pixels;
  std::vector<int64_t> labels;
  for (const int64_t item : items) {
    pixels.push_back(
        image::apply_eval_transform(dataset.load_image(static_cast<size_t>(item)), transform));
    labels.push_back(dataset.label(static_cast<size_t>(item)));
  }
  batch.images = stack_chw(pixels, options.resolution);
  batch.labels = torch::tensor(labels, torch::kLong);
  return batch;
}

double pixel_accuracy(const data::ImageDataset& dataset,
                      const std::vector<int64_t>& items,
                      const ImageBatchOptions& options,
                      const std::function<torch::Tensor(const torch::Tensor&)>& logits_of,
                      size_t chunk) {
  torch::NoGradGuard no_grad;
  int64_t correct = 0;
  for (size_t first = 0; first < items.size(); first += chunk) {
    const auto last = std::min(items.size(), first + chunk);
    const std::vector<int64_t> part(items.begin() + static_cast<std::ptrdiff_t>(first),
                                    items.begin() + static_cast<std::ptrdiff_t>(last));
    const auto batch = load_eval_images(dataset, part, options);
    const auto predicted = logits_of(batch.images).argmax(-1);  // [B]
    correct += predicted.eq(batch.labels.to(predicted.device())).sum().item<int64_t>();
  }
  return items.empty() ? 0.0 : static_cast<double>(correct) / static_cast<double>(items.size());
}

}  // namespace bbpt::eval
