// SPDX-License-Identifier: MIT
// Pixel batches for the image-side methods (BAR, BPT-VLM's visual prompts), which need an image
// tower forward per query: a step's images are decoded and transformed once (Dassl's train
// transform drawn from core::Rng(seed, step), or the eval transform when augment is off) and then
// shared by every prompt setting of the step.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "bbpt/data/image_dataset.h"
#include "bbpt/image/transforms.h"

namespace bbpt::eval {

struct ImageBatchOptions {
  /// Output side in pixels (the tower resolution, or BAR's inner size).
  int resolution = 224;
  /// true: Dassl's train transform (RandomResizedCrop, flip), what views > 0 asks for; false: the
  /// eval transform (resize + center crop), the same pixels every step, what views: 0 asks for.
  bool augment = true;
  /// RandomHorizontalFlip in the train transform.
  bool horizontal_flip = true;
  /// false: ToTensor only ([0, 1] pixels, what BAR pastes into its canvas); true: CLIP Normalize.
  bool normalize = true;
};

/// Training images of one step: [B, 3, R, R] float32 and labels [B] int64.
struct ImageBatch {
  std::vector<int64_t> indices;
  torch::Tensor images;
  torch::Tensor labels;
};

/// Decodes and transforms dataset items. `items` maps training indices (what the sampler returns)
/// to dataset indices (the few-shot subset).
class TrainImageLoader {
 public:
  TrainImageLoader(const data::ImageDataset& dataset,
                   std::vector<int64_t> items,
                   ImageBatchOptions options,
                   uint64_t augment_seed);
  /// Train transform of each training index in `indices`; the draws of item b come from
  /// core::Rng(augment_seed, step) in batch order, so the step fixes the augmentation. Without
  /// options.augment, the eval transform: the step and the seed change nothing.
  ImageBatch load(const std::vector<int64_t>& indices, int64_t step) const;
  int64_t size() const { return static_cast<int64_t>(items_.size()); }

 private:
  const data::ImageDataset& dataset_;
  std::vector<int64_t> items_;
  ImageBatchOptions options_;
  uint64_t augment_seed_;
};

/// The eval transform (resize + center crop) of dataset items [first, first + count):
/// [count, 3, R, R] and labels [count].
ImageBatch load_eval_images(const data::ImageDataset& dataset,
                            const std::vector<int64_t>& items,
                            const ImageBatchOptions& options);

/// Top-1 accuracy (fraction) over dataset items: eval-transformed pixels are loaded in chunks of
/// `chunk` images and each chunk is scored by logits_of(images [B, 3, R, R] on the CPU) -> [B, C].
double pixel_accuracy(const data::ImageDataset& dataset,
                      const std::vector<int64_t>& items,
                      const ImageBatchOptions& options,
                      const std::function<torch::Tensor(const torch::Tensor&)>& logits_of,
                      size_t chunk = 256);

}  // namespace bbpt::eval
