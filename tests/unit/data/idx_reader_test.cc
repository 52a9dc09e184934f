// SPDX-License-Identifier: MIT
// IDX (Fashion-MNIST) reader: exact counts, pixels and labels from gzip and plain files; every
// malformed file (wrong magic, truncated, count mismatch, label out of range, corrupt gzip) is an
// IoError naming the file, because a silently short dataset would skew every accuracy after it.
#include "bbpt/data/idx_reader.h"

#include <gtest/gtest.h>

#include "data_test_files.h"

namespace bbpt::data {
namespace {

using testing::expect_error;
using testing::TempDir;

const std::vector<std::string> kTenClasses = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

TEST(IdxReader, TinyGzipAndPlainFilesGiveTheSameDataset) {
  TempDir dir;
  testing::write_fmnist_files(dir.path() / "gz", 12, 5, true);
  testing::write_fmnist_files(dir.path() / "plain", 12, 5, false);
  const auto gz =
      open_idx_dataset(dir / "gz/train-images-idx3-ubyte.gz", dir / "gz/train-labels-idx1-ubyte.gz",
                       kTenClasses, "tiny-train");
  const auto plain =
      open_idx_dataset(dir / "plain/train-images-idx3-ubyte", dir / "plain/train-labels-idx1-ubyte",
                       kTenClasses, "tiny-train");
  ASSERT_EQ(gz->size(), 12u);
  EXPECT_EQ(gz->name(), "tiny-train");
  EXPECT_EQ(gz->fingerprint(), plain->fingerprint());
  for (size_t i = 0; i < gz->size(); ++i) EXPECT_EQ(gz->label(i), static_cast<int>(i % 10));
  // Gray bytes are repeated into R, G and B; pixel i of image n is (n * 7 + i) % 256.
  const image::Image img = gz->load_image(3);
  ASSERT_EQ(img.width, 28);
  ASSERT_EQ(img.height, 28);
  for (int i : {0, 1, 100, 783}) {
    for (int c = 0; c < 3; ++c) EXPECT_EQ(img.rgb[3 * i + c], (3 * 7 + i) % 256) << "pixel " << i;
  }
}

TEST(IdxReader, FingerprintFollowsContent) {
  TempDir dir;
  testing::write_fmnist_files(dir.path(), 4, 2, false);
  const auto train = open_idx_dataset(dir / "train-images-idx3-ubyte",
                                      dir / "train-labels-idx1-ubyte", kTenClasses, "a");
  const auto test = open_idx_dataset(dir / "t10k-images-idx3-ubyte", dir / "t10k-labels-idx1-ubyte",
                                     kTenClasses, "a");
  EXPECT_EQ(train->fingerprint().size(), 64u);
  EXPECT_NE(train->fingerprint(), test->fingerprint());
}

TEST(IdxReader, WrongMagicNamesTheFile) {
  TempDir dir;
  testing::write_fmnist_files(dir.path(), 4, 2, false);
  // Labels given where images are expected.
  expect_error<IoError>([&] { read_idx_images(dir / "train-labels-idx1-ubyte"); },
                        {dir / "train-labels-idx1-ubyte", "magic is 2049", "expected 2051"});
  expect_error<IoError>([&] { read_idx_labels(dir / "train-images-idx3-ubyte"); },
                        {"train-images-idx3-ubyte", "expected 2049"});
}

TEST(IdxReader, TruncatedOrPaddedFilesAreRejected) {
  TempDir dir;
  const std::string images = testing::idx_images_bytes(3, 28, 28);
  core::write_file_atomic(dir / "short", images.substr(0, images.size() - 1));
  expect_error<IoError>([&] { read_idx_images(dir / "short"); },
                        {dir / "short", "expected 2368", "truncated"});
  core::write_file_atomic(dir / "long", images + "x");
  expect_error<IoError>([&] { read_idx_images(dir / "long"); }, {dir / "long", "expected 2368"});
  core::write_file_atomic(dir / "header", images.substr(0, 10));
  expect_error<IoError>([&] { read_idx_images(dir / "header"); }, {dir / "header", "too short"});
  const std::string labels = testing::idx_labels_bytes({1, 2, 3});
  core::write_file_atomic(dir / "labels", labels.substr(0, labels.size() - 1));
  expect_error<IoError>([&] { read_idx_labels(dir / "labels"); },
                        {dir / "labels", "expected 11 for 3 labels"});
}

TEST(IdxReader, CorruptGzipNamesTheFile) {
  TempDir dir;
  testing::write_gzip(dir / "images.gz", testing::idx_images_bytes(50, 28, 28));
  const std::string bytes = core::read_file(dir / "images.gz");
  core::write_file_atomic(dir / "images.gz", bytes.substr(0, bytes.size() / 2));
  expect_error<IoError>([&] { read_idx_images(dir / "images.gz"); },
                        {dir / "images.gz", "truncated or corrupt"});
}

TEST(IdxReader, CountMismatchAndLabelOutOfRange) {
  TempDir dir;
  core::write_file_atomic(dir / "images", testing::idx_images_bytes(3, 28, 28));
  core::write_file_atomic(dir / "labels2", testing::idx_labels_bytes({0, 1}));
  expect_error<IoError>(
      [&] { open_idx_dataset(dir / "images", dir / "labels2", kTenClasses, "x"); },
      {dir / "images", "3 images", dir / "labels2", "2 labels"});
  core::write_file_atomic(dir / "labels3", testing::idx_labels_bytes({0, 10, 1}));
  expect_error<IoError>(
      [&] { open_idx_dataset(dir / "images", dir / "labels3", kTenClasses, "x"); },
      {dir / "labels3", "label 10 of item 1", "expected 0..9"});
}

TEST(IdxReader, RealFashionMnistIfInstalled) {
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  if (!core::is_regular_file(dir + "t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "apt-get install dataset-fashion-mnist to run this test";
  }
  const auto test = open_idx_dataset(dir + "t10k-images-idx3-ubyte.gz",
                                     dir + "t10k-labels-idx1-ubyte.gz", kTenClasses, "fmnist-test");
  ASSERT_EQ(test->size(), 10000u);
  std::vector<int> per_class(10, 0);
  for (size_t i = 0; i < test->size(); ++i) ++per_class.at(test->label(i));
  for (int count : per_class) EXPECT_EQ(count, 1000);  // Fashion-MNIST is balanced
  EXPECT_EQ(test->pixels().width, 28);
  const auto train =
      open_idx_dataset(dir + "train-images-idx3-ubyte.gz", dir + "train-labels-idx1-ubyte.gz",
                       kTenClasses, "fmnist-train");
  EXPECT_EQ(train->size(), 60000u);
}

}  // namespace
}  // namespace bbpt::data
