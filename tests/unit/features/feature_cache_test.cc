// SPDX-License-Identifier: MIT
// The feature cache may only be reused when it describes exactly the request; anything stale or
// corrupt is rebuilt. Uses a few real flowers12 images and a small random ViT.
#include "bbpt/features/feature_cache.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "small_clip.h"

namespace bbpt::features {
namespace {
namespace fs = std::filesystem;

class FeatureCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string tarball = std::string(BBPT_SHARED_DIR) + "/assets/flowers12.tar.gz";
    if (!core::is_regular_file(tarball)) GTEST_SKIP() << "flowers12.tar.gz not found";
    // One folder per test case: CTest runs the cases as parallel processes.
    root_ = fs::temp_directory_path() /
            ("bbpt_feature_cache_test_" +
             std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "src");
    const std::string cmd = "tar -xzf " + tarball + " -C " + (root_ / "src").string() +
                            " --wildcards 'flowers12/test/*/image_0*1.jpg'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    // Two classes, two images each.
    int classes = 0;
    for (const auto& dir : fs::directory_iterator(root_ / "src/flowers12/test")) {
      if (classes == 2) break;
      int images = 0;
      for (const auto& file : fs::directory_iterator(dir)) {
        if (images == 2) break;
        fs::create_directories(root_ / "data" / dir.path().filename());
        fs::copy_file(file, root_ / "data" / dir.path().filename() / file.path().filename());
        ++images;
      }
      ++classes;
    }
    options_.cache_dir = (root_ / "cache").string();
    options_.batch_size = 3;  // not a divisor of the image count: exercises the last partial batch
  }

  fs::path root_;
  FeatureCacheOptions options_;
  model::ClipModel model_ = testing::random_clip(testing::small_clip_config(16, 32, 64, 1), 0.05);
};

TEST_F(FeatureCacheTest, BuiltOnceThenReusedIdentically) {
  data::ImageFolderDataset dataset((root_ / "data").string(), "mini");
  auto first = load_or_build_features(model_, "fp-model", dataset, options_);
  EXPECT_EQ(first.outcome, CacheOutcome::kBuilt);
  EXPECT_EQ(first.set.features.sizes(), (std::vector<int64_t>{4, 1, 16}));
  auto second = load_or_build_features(model_, "fp-model", dataset, options_);
  EXPECT_EQ(second.outcome, CacheOutcome::kReused);
  EXPECT_TRUE(torch::equal(first.set.features, second.set.features));
  EXPECT_TRUE(torch::equal(first.set.labels, second.set.labels));
  EXPECT_EQ(second.set.header.class_names, dataset.class_names());
}

TEST_F(FeatureCacheTest, ChangedDatasetIsStaleAndRebuilt) {
  {
    data::ImageFolderDataset dataset((root_ / "data").string(), "mini");
    load_or_build_features(model_, "fp-model", dataset, options_);
  }
  // Remove one image: same name and path, different content.
  const auto class_dir = fs::directory_iterator(root_ / "data")->path();
  fs::remove(fs::directory_iterator(class_dir)->path());
  data::ImageFolderDataset changed((root_ / "data").string(), "mini");
  auto result = load_or_build_features(model_, "fp-model", changed, options_);
  EXPECT_EQ(result.outcome, CacheOutcome::kRebuiltStale);
  EXPECT_NE(result.reason.find("dataset"), std::string::npos) << result.reason;
  EXPECT_EQ(result.set.features.size(0), 3);
}

TEST_F(FeatureCacheTest, CorruptOrTruncatedCacheIsRebuilt) {
  data::ImageFolderDataset dataset((root_ / "data").string(), "mini");
  auto built = load_or_build_features(model_, "fp-model", dataset, options_);
  std::string bytes = core::read_file(built.path);
  bytes[bytes.size() - 20] ^= 0x5a;  // flip bits inside the feature payload
  core::write_file_atomic(built.path, bytes);
  auto repaired = load_or_build_features(model_, "fp-model", dataset, options_);
  EXPECT_EQ(repaired.outcome, CacheOutcome::kRebuiltCorrupt);
  EXPECT_NE(repaired.reason.find("SHA-256"), std::string::npos) << repaired.reason;
  EXPECT_TRUE(torch::equal(repaired.set.features, built.set.features));

  core::write_file_atomic(built.path, bytes.substr(0, bytes.size() / 2));
  EXPECT_EQ(load_or_build_features(model_, "fp-model", dataset, options_).outcome,
            CacheOutcome::kRebuiltCorrupt);
  EXPECT_EQ(load_or_build_features(model_, "fp-model", dataset, options_).outcome,
            CacheOutcome::kReused);
}

TEST_F(FeatureCacheTest, AugmentedViewsAreSeededAndDistinct) {
  data::ImageFolderDataset dataset((root_ / "data").string(), "mini");
  options_.views = 3;
  auto a = compute_features(model_, "fp", dataset, options_);
  auto again = compute_features(model_, "fp", dataset, options_);
  options_.batch_size = 5;  // batching must not change which view an image gets
  auto b = compute_features(model_, "fp", dataset, options_);
  options_.seed = 2;
  auto c = compute_features(model_, "fp", dataset, options_);
  ASSERT_EQ(a.features.sizes(), (std::vector<int64_t>{4, 3, 16}));
  EXPECT_TRUE(torch::equal(a.features, again.features));
  // Another batch size may change BLAS blocking (last bits), never the crops.
  EXPECT_TRUE(torch::allclose(a.features, b.features, 1e-5, 1e-6));
  EXPECT_FALSE(torch::equal(a.features, c.features));
  EXPECT_FALSE(torch::equal(a.features.select(1, 0), a.features.select(1, 1)));
}

TEST(FeatureFile, GarbageIsAnIoErrorNamingTheFile) {
  const auto path = (fs::temp_directory_path() / "bbpt_garbage.bbft").string();
  core::write_file_atomic(path, "definitely not features");
  try {
    read_feature_file(path);
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
}

}  // namespace
}  // namespace bbpt::features
