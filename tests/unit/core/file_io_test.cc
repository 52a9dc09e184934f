// SPDX-License-Identifier: MIT
// File helpers: errors must name the file, and atomic writes must never leave partial files.
#include "bbpt/core/file_io.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "bbpt/core/error.h"

namespace bbpt::core {
namespace {

// Unique per test case: CTest runs the cases as parallel processes.
std::string temp_path(const std::string& name) {
  const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  return (std::filesystem::temp_directory_path() / ("bbpt_file_io_test_" + test + "_" + name))
      .string();
}

std::string gzip_bytes(const std::string& plain) {
  const std::string path = temp_path("tmp.gz");
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, plain.data(), static_cast<unsigned>(plain.size()));
  gzclose(f);
  return read_file(path);
}

}  // namespace

TEST(FileIo, MissingFileErrorNamesFile) {
  try {
    read_file("/nonexistent/dir/vocab.txt.gz");
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/vocab.txt.gz"), std::string::npos);
  }
}

TEST(FileIo, GzipRoundTripAndPlainPassThrough) {
  const std::string text = "hello gzip\nsecond line\n";
  const std::string path = temp_path("a.gz");
  write_file_atomic(path, gzip_bytes(text));
  EXPECT_EQ(read_maybe_gzip_file(path), text);
  write_file_atomic(path, text);
  EXPECT_EQ(read_maybe_gzip_file(path), text);
}

TEST(FileIo, TruncatedGzipIsAnErrorNotShortData) {
  std::string gz = gzip_bytes(std::string(100000, 'x') + "tail");
  gz.resize(gz.size() / 2);
  const std::string path = temp_path("trunc.gz");
  write_file_atomic(path, gz);
  EXPECT_THROW(read_maybe_gzip_file(path), IoError);
}

TEST(FileIo, AtomicWriteCreatesParentsAndLeavesNoTemp) {
  const std::string dir = temp_path("dir");
  std::filesystem::remove_all(dir);
  write_file_atomic(dir + "/sub/out.txt", "data");
  EXPECT_EQ(read_file(dir + "/sub/out.txt"), "data");
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/sub"))
    entries += e.is_regular_file();
  EXPECT_EQ(entries, 1);
}

}  // namespace bbpt::core
