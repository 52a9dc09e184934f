// SPDX-License-Identifier: MIT
// CIFAR-10 binary reader: records are split at 3073 bytes and the planar R, G, B pixels are
// interleaved correctly (a channel mix-up would still "work" but ruin every CLIP feature); a file
// that is not whole records or a label >= 10 is an IoError naming the file.
#include "bbpt/data/cifar_binary_reader.h"

#include <gtest/gtest.h>

#include "data_test_files.h"

namespace bbpt::data {
namespace {

using testing::expect_error;
using testing::TempDir;

const std::vector<std::string> kClasses = {"airplane", "automobile", "bird",  "cat",  "deer",
                                           "dog",      "frog",       "horse", "ship", "truck"};

TEST(CifarBinaryReader, RecordsAndChannelsAcrossBatches) {
  TempDir dir;
  core::write_file_atomic(dir / "a.bin", testing::cifar_records({3, 9}));
  core::write_file_atomic(dir / "b.bin", testing::cifar_records({0}));
  const auto dataset =
      open_cifar_binary_dataset({dir / "a.bin", dir / "b.bin"}, kClasses, "cifar10-train");
  ASSERT_EQ(dataset->size(), 3u);
  EXPECT_EQ(dataset->label(0), 3);
  EXPECT_EQ(dataset->label(1), 9);
  EXPECT_EQ(dataset->label(2), 0);
  const image::Image img = dataset->load_image(1);
  ASSERT_EQ(img.width, 32);
  ASSERT_EQ(img.height, 32);
  for (int p : {0, 31, 32, 1023}) {
    EXPECT_EQ(img.rgb[3 * p + 0], 1);        // record 1: R = 1
    EXPECT_EQ(img.rgb[3 * p + 1], 101);      // G = 100 + 1
    EXPECT_EQ(img.rgb[3 * p + 2], p % 256);  // B = pixel index
  }
  EXPECT_EQ(dataset->class_names(), kClasses);
}

TEST(CifarBinaryReader, WrongRecordSizeNamesTheFile) {
  TempDir dir;
  const std::string records = testing::cifar_records({1, 2});
  core::write_file_atomic(dir / "short.bin", records.substr(0, records.size() - 5));
  expect_error<IoError>([&] { open_cifar_binary_dataset({dir / "short.bin"}, kClasses, "c"); },
                        {dir / "short.bin", "6141 bytes", "3073-byte records"});
  core::write_file_atomic(dir / "empty.bin", "");
  expect_error<IoError>([&] { open_cifar_binary_dataset({dir / "empty.bin"}, kClasses, "c"); },
                        {dir / "empty.bin"});
}

TEST(CifarBinaryReader, LabelOutOfRangeNamesTheFile) {
  TempDir dir;
  core::write_file_atomic(dir / "bad.bin", testing::cifar_records({1, 10}));
  expect_error<IoError>([&] { open_cifar_binary_dataset({dir / "bad.bin"}, kClasses, "c"); },
                        {dir / "bad.bin", "label 10 of record 1", "expected 0..9"});
}

}  // namespace
}  // namespace bbpt::data
