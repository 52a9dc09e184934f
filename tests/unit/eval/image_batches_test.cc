// SPDX-License-Identifier: MIT
// TrainImageLoader: augmented pixel batches vary with the step, and without augmentation (views: 0
// in BAR and BPT-VLM) every step gets the eval transform's center crops.
#include "bbpt/eval/image_batches.h"

#include <gtest/gtest.h>

#include "bbpt/core/rng.h"

namespace bbpt::eval {
namespace {

/// Eight 40 x 32 noise images, two classes, held in memory.
class NoiseDataset : public data::ImageDataset {
 public:
  NoiseDataset() {
    core::Rng rng(7, 0);
    for (int i = 0; i < 8; ++i) {
      auto img = image::make_image(40, 32);
      for (auto& byte : img.rgb) byte = static_cast<uint8_t>(rng.uniform_int(256));
      images_.push_back(std::move(img));
    }
  }
  size_t size() const override { return images_.size(); }
  image::Image load_image(size_t index) const override { return images_.at(index); }
  int label(size_t index) const override { return static_cast<int>(index % 2); }
  const std::vector<std::string>& class_names() const override { return classes_; }
  std::string name() const override { return "noise"; }
  std::string fingerprint() const override { return "noise"; }
  std::string source() const override { return "in-memory noise"; }

 private:
  std::vector<image::Image> images_;
  std::vector<std::string> classes_ = {"a", "b"};
};

ImageBatchOptions small(bool augment) {
  ImageBatchOptions options;
  options.resolution = 16;
  options.augment = augment;
  return options;
}

TEST(TrainImageLoader, AugmentedBatchesDependOnTheStepAndRepeatForOneStep) {
  const NoiseDataset dataset;
  const TrainImageLoader loader(dataset, {6, 1, 3}, small(true), 11);
  const auto a = loader.load({0, 1, 2}, 4);
  const auto again = loader.load({0, 1, 2}, 4);
  const auto other = loader.load({0, 1, 2}, 5);
  EXPECT_EQ(a.images.sizes(), (std::vector<int64_t>{3, 3, 16, 16}));
  EXPECT_TRUE(torch::equal(a.images, again.images));
  EXPECT_FALSE(torch::equal(a.images, other.images));
  EXPECT_TRUE(torch::equal(a.labels, torch::tensor({0, 1, 1}, torch::kLong)));  // items 6, 1, 3
}

TEST(TrainImageLoader, WithoutAugmentationEveryStepIsTheEvalTransform) {
  const NoiseDataset dataset;
  const TrainImageLoader loader(dataset, {6, 1, 3}, small(false), 11);
  const auto expected = load_eval_images(dataset, {1, 3}, small(false));  // training indices 1, 2
  for (const int64_t step : {0, 1, 9}) {
    const auto batch = loader.load({1, 2}, step);
    EXPECT_EQ(batch.indices, (std::vector<int64_t>{1, 2}));
    EXPECT_TRUE(torch::equal(batch.images, expected.images)) << "step " << step;
    EXPECT_TRUE(torch::equal(batch.labels, expected.labels));
  }
  // The seed changes nothing either.
  const TrainImageLoader reseeded(dataset, {6, 1, 3}, small(false), 12);
  EXPECT_TRUE(torch::equal(reseeded.load({1, 2}, 0).images, expected.images));
}

}  // namespace
}  // namespace bbpt::eval
