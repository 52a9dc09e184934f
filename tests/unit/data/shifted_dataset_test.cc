// SPDX-License-Identifier: MIT
// Shifted datasets (issue #17): a config with shift_of is a registry dataset; `bbpt data prepare`
// marks it once its base is prepared, and only then does open_dataset open it; its images are the
// base's through the shift, the same on every open (the random shifts seeded per split and image),
// with the base's labels and classes, and a fingerprint and source of their own so that feature
// caches never mix shifted and plain images.
#include "bbpt/data/shifted_dataset.h"

#include <gtest/gtest.h>

#include "bbpt/data/dataset_prepare.h"
#include "bbpt/data/dataset_registry.h"
#include "bbpt/image/domain_shift.h"
#include "data_test_files.h"

namespace bbpt::data {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::TempDir;

struct Prepared {
  PrepareOptions prepare;
  DataOptions data;
};

/// A data dir with a tiny Fashion-MNIST (20 train, 10 test) prepared, and the repository configs.
Prepared prepared_fmnist(const TempDir& dir) {
  Prepared out;
  out.prepare.data_dir = dir / "data";
  out.prepare.configs_dir = testing::kConfigsDir;
  out.prepare.fmnist_source_dir = dir / "fmnist-src";
  testing::write_fmnist_files(out.prepare.fmnist_source_dir, 20, 10, true);
  EXPECT_EQ(prepare_dataset("fmnist", out.prepare).status, PrepareStatus::kPrepared);
  out.data.data_dir = out.prepare.data_dir;
  out.data.configs_dir = testing::kConfigsDir;
  return out;
}

TEST(ShiftedDataset, TheConfigsRegisterShiftedDatasets) {
  const auto names = shifted_dataset_names(testing::kConfigsDir);
  for (const char* name : {"fmnist-invert", "mnist-rotate90", "cifar10-invert"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
  EXPECT_EQ(std::find(names.begin(), names.end(), "fmnist"), names.end());
  DataOptions options;
  options.data_dir = "/nonexistent";
  options.configs_dir = testing::kConfigsDir;
  EXPECT_TRUE(is_shifted_dataset("fmnist-invert", options));
  EXPECT_FALSE(is_shifted_dataset("fmnist", options));
  EXPECT_FALSE(is_shifted_dataset("no-such-set", options));
  const DatasetDescription description = describe_dataset("fmnist-invert", options);
  EXPECT_EQ(description.class_names.size(), 10u);
  EXPECT_EQ(description.class_names[9], "ankle boot");
  EXPECT_FALSE(description.templates.empty());
}

TEST(ShiftedDataset, PreparedAfterItsBaseThenOpensAsTheShiftedBase) {
  TempDir dir;
  PrepareOptions bare;
  bare.data_dir = dir / "data";
  bare.configs_dir = testing::kConfigsDir;
  const PrepareResult missing = prepare_dataset("fmnist-invert", bare);
  EXPECT_EQ(missing.status, PrepareStatus::kMissing);
  EXPECT_NE(missing.message.find("bbpt data prepare --only fmnist fmnist-invert"),
            std::string::npos)
      << missing.message;

  const Prepared p = prepared_fmnist(dir);
  expect_error<ConfigError>([&] { open_dataset("fmnist-invert", "test", p.data); },
                            {"fmnist-invert: not prepared", "bbpt data prepare --only fmnist"});
  const PrepareResult result = prepare_dataset("fmnist-invert", p.prepare);
  EXPECT_EQ(result.status, PrepareStatus::kPrepared) << result.message;
  EXPECT_NE(result.message.find("invert"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("train 20, test 10 images, 10 classes"), std::string::npos)
      << result.message;
  EXPECT_EQ(prepare_dataset("fmnist-invert", p.prepare).status, PrepareStatus::kAlreadyPrepared);

  const auto base = open_dataset("fmnist", "test", p.data);
  const auto shifted = open_dataset("fmnist-invert", "test", p.data);
  EXPECT_EQ(shifted->name(), "fmnist-invert-test");
  ASSERT_EQ(shifted->size(), base->size());
  EXPECT_EQ(shifted->class_names(), base->class_names());
  for (size_t i = 0; i < base->size(); ++i) {
    EXPECT_EQ(shifted->label(i), base->label(i));
    const image::Image plain = base->load_image(i);
    const image::Image inverted = shifted->load_image(i);
    ASSERT_EQ(inverted.rgb.size(), plain.rgb.size());
    for (size_t b = 0; b < plain.rgb.size(); ++b) ASSERT_EQ(inverted.rgb[b], 255 - plain.rgb[b]);
  }
  EXPECT_NE(shifted->fingerprint(), base->fingerprint());
  EXPECT_NE(shifted->source(), base->source());
  EXPECT_NE(shifted->source().find("shift invert"), std::string::npos) << shifted->source();
}

TEST(ShiftedDataset, RandomShiftsAreTheSameOnEveryOpenAndDifferPerImageAndSplit) {
  TempDir dir;
  const Prepared p = prepared_fmnist(dir);
  ASSERT_EQ(prepare_dataset("fmnist-noise", p.prepare).status, PrepareStatus::kPrepared);
  const auto first = open_dataset("fmnist-noise", "train", p.data);
  const auto second = open_dataset("fmnist-noise", "train", p.data);
  const auto test = open_dataset("fmnist-noise", "test", p.data);
  const auto base = open_dataset("fmnist", "train", p.data);
  EXPECT_EQ(first->fingerprint(), second->fingerprint());
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(first->load_image(i).rgb, second->load_image(i).rgb);
  EXPECT_NE(first->load_image(0).rgb, base->load_image(0).rgb);
  // Image 0 of train and of test hold the same bytes in this tiny set (the test IDX writer makes
  // image n of either split alike), so any difference is the draw.
  ASSERT_EQ(base->load_image(0).rgb, open_dataset("fmnist", "test", p.data)->load_image(0).rgb);
  EXPECT_NE(first->load_image(0).rgb, test->load_image(0).rgb);
  const auto& noise = dynamic_cast<const ShiftedDataset&>(*first);
  EXPECT_NE(noise.image_seed(0), noise.image_seed(1));
  EXPECT_EQ(noise.load_image(3).rgb,
            image::apply_domain_shift(base->load_image(3), "noise", noise.image_seed(3)).rgb);
  EXPECT_NE(shifted_split_seed(1, "train"), shifted_split_seed(1, "test"));
}

TEST(ShiftedDataset, BrokenShiftedConfigsNameFileAndField) {
  TempDir dir;
  const auto check = [&](const std::string& text, const std::vector<std::string>& needles) {
    core::write_file_atomic(dir / "c.yaml", text);
    std::vector<std::string> all = needles;
    all.push_back(dir / "c.yaml");
    expect_error<ConfigError>([&] { load_dataset_config(dir / "c.yaml"); }, all);
  };
  check("shift_of: svhn\nshift: invert\nclass_names: [a]\ntemplates: ['{}']",
        {"'shift_of' = 'svhn'", "fmnist, mnist, cifar10"});
  check("shift_of: fmnist\nshift: sepia\nclass_names: [a]\ntemplates: ['{}']",
        {"'shift' = 'sepia'", "invert"});
  check("shift_of: fmnist\nclass_names: [a]\ntemplates: ['{}']", {"'shift' is missing"});
  check("shift_of: fmnist\nshift: noise\nshift_seed: -3\nclass_names: [a]\ntemplates: ['{}']",
        {"'shift_seed'"});
}

}  // namespace
}  // namespace bbpt::data
