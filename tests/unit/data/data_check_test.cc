// SPDX-License-Identifier: MIT
// Issue #18: a bad image must be found once, up front, with its path and the decoder's reason,
// not by the one seed whose few-shot sample happens to draw it; and `bbpt data describe` must not
// pass files off as images. Through the `bbpt data check` / `data describe` binary.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "image_folder_writer.h"
#include "run_fixture.h"

namespace {
namespace fs = std::filesystem;
using bbpt::testing::Exit;

class DataCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("bbpt_data_check_test_" +
             std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(root_);
    for (const char* split : {"train", "test"}) {
      for (int i = 0; i < 3; ++i) {
        const std::string cls = i % 2 ? "dog" : "cat";
        bbpt::testing::write_image_file(root_ / "ds" / split, cls, std::to_string(i) + ".png",
                                        bbpt::testing::noise_png(16, 7 + i, 1000));
      }
    }
  }

  Exit run_bbpt(const std::vector<std::string>& args) {
    std::vector<std::string> all = {BBPT_EXECUTABLE, "--threads", "2", "--cache-dir",
                                    (root_ / "cache").string()};
    all.insert(all.end(), args.begin(), args.end());
    return bbpt::testing::run_to_end(all);
  }

  /// Every file under the dataset with its bytes.
  std::map<std::string, std::string> snapshot() const {
    std::map<std::string, std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(root_ / "ds")) {
      if (e.is_regular_file()) files[e.path().string()] = bbpt::core::read_file(e.path().string());
    }
    return files;
  }

  fs::path root_;
};

TEST_F(DataCheckTest, CleanFolderPassesAndDescribeThenCountsCheckedImages) {
  const std::string ds = (root_ / "ds").string();
  const Exit before = run_bbpt({"data", "describe", ds});
  ASSERT_EQ(before.code, 0) << before.output;
  EXPECT_NE(
      before.output.find("train: 3 image files (ds-train, not decoded yet: `bbpt data check "),
      std::string::npos)
      << before.output;

  const Exit check = run_bbpt({"data", "check", ds});
  EXPECT_EQ(check.code, 0) << check.output;
  EXPECT_NE(check.output.find("train: 3 images, 0 bad (ds-train)"), std::string::npos)
      << check.output;
  EXPECT_NE(check.output.find("checked 6 images in 2 splits: 0 bad"), std::string::npos)
      << check.output;

  const Exit after = run_bbpt({"data", "describe", ds});
  EXPECT_NE(after.output.find("test: 3 images (ds-test, all decode: `bbpt data check` "),
            std::string::npos)
      << after.output;
  // Rewriting an image (same name) voids the record: the count is of files again.
  const std::string first = (root_ / "ds/test/cat/0.png").string();
  std::ofstream(first, std::ios::binary | std::ios::trunc) << "not an image";
  const Exit edited = run_bbpt({"data", "describe", ds});
  EXPECT_NE(edited.output.find("test: 3 image files"), std::string::npos) << edited.output;
  EXPECT_NE(edited.output.find("train: 3 images (ds-train, all decode"), std::string::npos)
      << edited.output;
}

TEST_F(DataCheckTest, EveryBadFileIsListedWithItsReasonAndExitIsOne) {
  const std::string png = bbpt::core::read_file((root_ / "ds/train/cat/0.png").string());
  const std::string truncated = bbpt::testing::write_image_file(
      root_ / "ds/test", "cat", "truncated.png", png.substr(0, png.size() / 2));
  const std::string text = bbpt::testing::write_image_file(root_ / "ds/train", "dog", "notes.png",
                                                           "class notes, not a picture\n");
  const std::string empty =
      bbpt::testing::write_image_file(root_ / "ds/train", "dog", "empty.jpg", "");
  const auto files_before = snapshot();

  const Exit check = run_bbpt({"data", "check", (root_ / "ds").string()});
  EXPECT_EQ(check.code, 1) << check.output;
  EXPECT_NE(check.output.find("  bad: " + truncated + ": corrupt or truncated PNG image"),
            std::string::npos)
      << check.output;
  EXPECT_NE(check.output.find("  bad: " + text + ": expected a JPEG or PNG image"),
            std::string::npos)
      << check.output;
  EXPECT_NE(
      check.output.find("  bad: " + empty + ": expected a JPEG or PNG image (the file is empty)"),
      std::string::npos)
      << check.output;
  EXPECT_NE(check.output.find("train: 5 images, 2 bad"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("test: 4 images, 1 bad"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("checked 9 images in 2 splits: 3 bad; fix or remove"),
            std::string::npos)
      << check.output;
  EXPECT_EQ(snapshot(), files_before);  // a check reads, never moves or deletes

  // Nothing bad was recorded as checked.
  const Exit describe = run_bbpt({"data", "describe", (root_ / "ds").string()});
  EXPECT_NE(describe.output.find("train: 5 image files"), std::string::npos) << describe.output;
  EXPECT_NE(describe.output.find("test: 4 image files"), std::string::npos) << describe.output;
}

TEST_F(DataCheckTest, FolderWithoutSplitsIsCheckedAsOne) {
  const std::string png = bbpt::core::read_file((root_ / "ds/train/cat/0.png").string());
  bbpt::testing::write_image_file(root_ / "flat", "cat", "a.png", png);
  const std::string bad = bbpt::testing::write_image_file(root_ / "flat", "dog", "b.png", "x");
  const Exit check = run_bbpt({"data", "check", (root_ / "flat").string()});
  EXPECT_EQ(check.code, 1) << check.output;
  EXPECT_NE(check.output.find("(root): 2 images, 1 bad (flat)"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("  bad: " + bad + ": "), std::string::npos) << check.output;
}

TEST_F(DataCheckTest, InMemoryDatasetIsAcceptedAndReported) {
  if (!fs::exists(bbpt::testing::data_dir() + "/mnist/0.json")) {
    GTEST_SKIP() << "mnist is not prepared in " << bbpt::testing::data_dir();
  }
  const Exit check = run_bbpt({"data", "check", "mnist", "--data-dir", bbpt::testing::data_dir()});
  EXPECT_EQ(check.code, 0) << check.output;
  EXPECT_NE(check.output.find("0 bad (mnist-train, decoded into memory when opened)"),
            std::string::npos)
      << check.output;
  EXPECT_NE(check.output.find("checked 10000 images in 2 splits: 0 bad"), std::string::npos)
      << check.output;
}

TEST_F(DataCheckTest, UnknownDatasetIsAConfigError) {
  const Exit check = run_bbpt({"data", "check", (root_ / "nowhere").string()});
  EXPECT_EQ(check.code, 2) << check.output;
  EXPECT_NE(check.output.find((root_ / "nowhere").string()), std::string::npos) << check.output;
}

}  // namespace
