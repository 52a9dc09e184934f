// SPDX-License-Identifier: MIT
// Every way a checkpoint can be wrong gives a one-line error that names the file and what was
// expected (IoError or ModelError), never an abort or a stack trace.
#include "bbpt/model/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"

namespace bbpt::model {
namespace {

std::string temp_file(const std::string& name, const std::string& bytes) {
  const auto path = (std::filesystem::temp_directory_path() / ("bbpt_ckpt_" + name)).string();
  core::write_file_atomic(path, bytes);
  return path;
}

std::string pickled(const c10::IValue& value) {
  const auto bytes = torch::pickle_save(value);
  return std::string(bytes.begin(), bytes.end());
}

// The message is one line and names the path.
template <typename ErrorType>
void expect_error_naming(const std::string& path, const std::string& expected_phrase) {
  try {
    load_clip(path);
    FAIL() << "expected an error for " << path;
  } catch (const ErrorType& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find(expected_phrase), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "multi-line error: " << what;
  }
}

TEST(Checkpoint, MissingFile) {
  expect_error_naming<IoError>("/nonexistent/ViT-B-16.pt", "not found");
}

TEST(Checkpoint, NotAnArchive) {
  expect_error_naming<IoError>(temp_file("text.pt", "hello, I am a text file\n"),
                               "not a PyTorch archive");
}

TEST(Checkpoint, LegacyTorchSaveFormat) {
  expect_error_naming<IoError>(temp_file("legacy.pt", std::string("\x80\x02\x8a\x0a", 4) + "rest"),
                               "legacy torch.save format");
}

TEST(Checkpoint, TruncatedArchive) {
  c10::Dict<std::string, torch::Tensor> dict;
  dict.insert("a", torch::randn({1000}));
  std::string bytes = pickled(dict);
  bytes.resize(bytes.size() / 2);
  expect_error_naming<IoError>(temp_file("truncated.pt", bytes), "truncated or corrupt");
}

TEST(Checkpoint, UnknownLayout) {
  c10::Dict<std::string, torch::Tensor> dict;
  dict.insert("encoder.layer.0.weight", torch::randn({4, 4}));
  expect_error_naming<ModelError>(temp_file("bert.pt", pickled(dict)), "not a CLIP checkpoint");
}

TEST(Checkpoint, ArchiveOfSomethingElse) {
  expect_error_naming<ModelError>(
      temp_file("list.pt", pickled(c10::IValue(std::vector<int64_t>{1, 2}))),
      "expected a dict of tensors");
}

TEST(Checkpoint, BadDeviceAndDtypeAreConfigErrors) {
  EXPECT_THROW(parse_device("tpu"), ConfigError);
  EXPECT_THROW(parse_dtype("float16", torch::kCPU), ConfigError);
  EXPECT_THROW(parse_dtype("int8", torch::kCPU), ConfigError);
  EXPECT_EQ(parse_dtype("float32", torch::kCPU), torch::kFloat);
  if (!torch::cuda::is_available()) {
    EXPECT_THROW(parse_device("cuda"), ConfigError);
  }
}

}  // namespace
}  // namespace bbpt::model
