// SPDX-License-Identifier: MIT
// ImageFolder on real CIFAR-10 JPEGs (the layout of cifar10_jpg.tar.gz): classes sorted by folder
// name are the CIFAR label order, images decode to 32x32 RGB; a corrupt JPEG fails on load with
// an IoError naming the file, and the fingerprint changes when a file does.
#include "bbpt/data/image_dataset.h"

#include <gtest/gtest.h>

#include "data_test_files.h"

namespace bbpt::data {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::TempDir;

TEST(ImageFolderDataset, CifarJpegSplitHasCifarClassOrder) {
  const std::string sample = testing::cifar_jpeg_sample();
  if (sample.empty()) GTEST_SKIP() << "no shared assets";
  const ImageFolderDataset train = open_image_folder(sample + "/cifar10", "train");
  EXPECT_EQ(train.name(), "cifar10-train");
  ASSERT_EQ(train.size(), 20u);
  EXPECT_EQ(train.class_names(),
            (std::vector<std::string>{"airplane", "automobile", "bird", "cat", "deer", "dog",
                                      "frog", "horse", "ship", "truck"}));
  for (size_t i = 0; i < train.size(); ++i) EXPECT_EQ(train.label(i), static_cast<int>(i / 2));
  const image::Image img = train.load_image(5);
  EXPECT_EQ(img.width, 32);
  EXPECT_EQ(img.height, 32);
  EXPECT_EQ(img.rgb.size(), 32u * 32u * 3u);
}

TEST(ImageFolderDataset, CorruptJpegNamesTheFileAndChangesTheFingerprint) {
  const std::string jpeg = testing::sample_jpeg();
  if (jpeg.empty()) GTEST_SKIP() << "no shared assets";
  TempDir dir;
  fs::create_directories(dir.path() / "root" / "cat");
  fs::copy_file(jpeg, dir / "root/cat/a.jpg");
  fs::copy_file(jpeg, dir / "root/cat/b.jpg");
  const std::string before = ImageFolderDataset(dir / "root", "r").fingerprint();
  const std::string bytes = core::read_file(jpeg);
  core::write_file_atomic(dir / "root/cat/b.jpg", bytes.substr(0, bytes.size() / 3));
  const ImageFolderDataset dataset(dir / "root", "r");
  EXPECT_NE(dataset.fingerprint(), before);
  EXPECT_EQ(dataset.load_image(0).width, 32);
  expect_error<IoError>([&] { dataset.load_image(1); }, {dir / "root/cat/b.jpg"});
}

TEST(ImageFolderDataset, EmptyOrMissingRootIsAnIoError) {
  TempDir dir;
  expect_error<IoError>([&] { ImageFolderDataset(dir / "nope", "x"); },
                        {dir / "nope", "not a directory"});
  fs::create_directories(dir.path() / "empty" / "cat");
  expect_error<IoError>([&] { ImageFolderDataset(dir / "empty", "x"); },
                        {dir / "empty", "no images found"});
}

}  // namespace
}  // namespace bbpt::data
