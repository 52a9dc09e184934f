// SPDX-License-Identifier: MIT
// Issue #18: the feature cache must never serve another dataset's features. Two ImageFolders both
// called `ds`, in different folders, with the same file names and byte sizes but different
// pixels, get separate caches; an image rewritten in place at the same size (mtime even set back)
// makes the cache stale. Through the `bbpt features` binary, as a user meets it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "bbpt/features/feature_cache.h"
#include "image_folder_writer.h"
#include "run_fixture.h"

namespace {
namespace fs = std::filesystem;
using bbpt::testing::Exit;

constexpr size_t kImageBytes = 4000;

class FeatureCacheKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(bbpt::testing::kGoldenModel)) GTEST_SKIP() << "no golden model";
    root_ = fs::temp_directory_path() / "bbpt_feature_cache_key_test";
    fs::remove_all(root_);
    // Same relative paths and sizes in both; pixels drawn from different seeds.
    for (int i = 0; i < 4; ++i) {
      const std::string cls = i % 2 ? "dog" : "cat", file = std::to_string(i) + ".png";
      a_images_.push_back(bbpt::testing::write_image_file(
          root_ / "a/ds/test", cls, file, bbpt::testing::noise_png(32, 1 + i, kImageBytes)));
      b_images_.push_back(bbpt::testing::write_image_file(
          root_ / "b/ds/test", cls, file, bbpt::testing::noise_png(32, 100 + i, kImageBytes)));
    }
  }

  Exit features(const std::string& dataset) {
    return bbpt::testing::run_to_end({BBPT_EXECUTABLE, "features", "--model",
                                      bbpt::testing::kGoldenModel, "--dataset", dataset, "--split",
                                      "test", "--feature-cache", (root_ / "cache").string()});
  }

  static std::string line_value(const std::string& output, const std::string& key) {
    std::smatch m;
    const std::regex re("(^|\n)" + key + ": ([^\n]*)");
    return std::regex_search(output, m, re) ? m[2].str() : "";
  }

  fs::path root_;
  std::vector<std::string> a_images_, b_images_;
};

TEST_F(FeatureCacheKeyTest, SameNameElsewhereAndInPlaceEditNeverReuseFeatures) {
  const Exit a = features((root_ / "a/ds").string());
  ASSERT_EQ(a.code, 0) << a.output;
  EXPECT_EQ(line_value(a.output, "outcome"), "built") << a.output;
  const std::string a_path = line_value(a.output, "cache");

  const Exit b = features((root_ / "b/ds").string());
  ASSERT_EQ(b.code, 0) << b.output;
  EXPECT_EQ(line_value(b.output, "outcome"), "built") << b.output;  // not "reused"
  const std::string b_path = line_value(b.output, "cache");
  EXPECT_NE(a_path, b_path) << "two datasets named ds share one cache file";
  const auto a_set = bbpt::features::read_feature_file(a_path);
  const auto b_set = bbpt::features::read_feature_file(b_path);
  EXPECT_EQ(a_set.header.dataset_source, fs::canonical(root_ / "a/ds/test").string());
  EXPECT_FALSE(torch::allclose(a_set.features, b_set.features));
  // B's build left A's cache as it was.
  const std::string a_bytes = bbpt::core::read_file(a_path);
  const Exit a_again = features((root_ / "a/ds").string());
  EXPECT_EQ(line_value(a_again.output, "outcome"), "reused") << a_again.output;
  EXPECT_EQ(bbpt::core::read_file(a_path), a_bytes);

  // Rewrite A's first image in place with B's pixels (same size, same inode) and set its mtime
  // back, as `touch -r` or `cp -p` would: only the ctime still tells.
  struct stat before {};
  ASSERT_EQ(::stat(a_images_[0].c_str(), &before), 0);
  {
    std::ofstream out(a_images_[0], std::ios::binary | std::ios::trunc);
    out << bbpt::core::read_file(b_images_[0]);
  }
  const timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, a_images_[0].c_str(), times, 0), 0);
  const std::string b_bytes = bbpt::core::read_file(b_path);
  const Exit edited = features((root_ / "a/ds").string());
  ASSERT_EQ(edited.code, 0) << edited.output;
  EXPECT_EQ(line_value(edited.output, "cache"), a_path);
  EXPECT_NE(line_value(edited.output, "outcome").find("rebuilt (stale)"), std::string::npos)
      << edited.output;
  EXPECT_NE(edited.output.find("dataset images changed"), std::string::npos) << edited.output;
  // The edited image now has B's first image's features; the others kept theirs.
  const auto rebuilt = bbpt::features::read_feature_file(a_path);
  EXPECT_TRUE(torch::allclose(rebuilt.features[0], b_set.features[0], 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(rebuilt.features.narrow(0, 1, 3), a_set.features.narrow(0, 1, 3),
                              1e-5, 1e-6));
  EXPECT_EQ(bbpt::core::read_file(b_path), b_bytes);  // B's cache untouched
}

}  // namespace
