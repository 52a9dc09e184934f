// SPDX-License-Identifier: MIT
// The safetensors reader maps a file and validates every header entry: a truncated file, a header
// that lies about offsets or lengths, an unsupported dtype or overlapping tensors is refused with
// one line naming the file and the tensor, never read out of bounds.
#include "bbpt/lm/safetensors.h"

#include <gtest/gtest.h>

#include "bbpt/core/error.h"
#include "lm_test_util.h"

namespace bbpt::lm {
namespace {

using testing::temp_dir;
using testing::write_safetensors;

std::string raw_file(const std::string& header, const std::string& data, uint64_t claimed_length) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[static_cast<size_t>(i)] = static_cast<char>((claimed_length >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string error_of(const std::string& path) {
  try {
    SafetensorsFile file(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Safetensors, ReadsDtypesShapesAndBytes) {
  const std::string path = temp_dir("st_ok") + "/a.safetensors";
  const torch::Tensor a = torch::arange(6, torch::kFloat32).view({2, 3});
  write_safetensors(path, {{"a", a}, {"b", torch::ones({4})}}, "BF16");
  SafetensorsFile file(path);
  ASSERT_EQ(file.tensors().size(), 2u);
  const TensorEntry& e = file.at("a");
  EXPECT_EQ(e.dtype, TensorDType::kBF16);
  EXPECT_EQ(e.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(e.num_bytes, 12u);
  const torch::Tensor back =
      torch::from_blob(const_cast<std::byte*>(e.data), {2, 3}, torch::kBFloat16)
          .to(torch::kFloat32);
  EXPECT_TRUE(torch::equal(back, a));
  EXPECT_THROW(file.at("missing"), ModelError);
}

TEST(Safetensors, HeaderLongerThanFileIsRefused) {
  const std::string path = temp_dir("st_trunc") + "/t.safetensors";
  core::write_file_atomic(path, raw_file("{}", "", 1000));
  const std::string msg = error_of(path);
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("header length 1000 exceeds the file"), std::string::npos) << msg;
}

TEST(Safetensors, OffsetsBeyondTheDataAreRefused) {
  const std::string path = temp_dir("st_lie") + "/t.safetensors";
  const std::string header = R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})";
  core::write_file_atomic(path,
                          raw_file(header, std::string(8, '\0'), header.size()));  // 8 of 16 bytes
  const std::string msg = error_of(path);
  EXPECT_NE(msg.find("tensor 'w' data_offsets [0, 16] exceed the data section of 8 bytes"),
            std::string::npos)
      << msg;
}

TEST(Safetensors, ByteCountDisagreeingWithShapeIsRefused) {
  const std::string path = temp_dir("st_shape") + "/t.safetensors";
  const std::string header = R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})";
  core::write_file_atomic(path, raw_file(header, std::string(16, '\0'), header.size()));
  EXPECT_NE(error_of(path).find("tensor 'w' holds 16 bytes but shape and dtype F32 need 12"),
            std::string::npos);
}

TEST(Safetensors, UnsupportedDtypeIsNamed) {
  const std::string path = temp_dir("st_dtype") + "/t.safetensors";
  const std::string header = R"({"w":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})";
  core::write_file_atomic(path, raw_file(header, std::string(16, '\0'), header.size()));
  const std::string msg = error_of(path);
  EXPECT_NE(msg.find("tensor 'w' has dtype I64, which bbpt does not load"), std::string::npos)
      << msg;
}

TEST(Safetensors, OverlappingTensorsAndBadJsonAreRefused) {
  const std::string dir = temp_dir("st_overlap");
  const std::string header =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  core::write_file_atomic(dir + "/o.safetensors",
                          raw_file(header, std::string(12, '\0'), header.size()));
  EXPECT_NE(error_of(dir + "/o.safetensors").find("tensors overlap"), std::string::npos);
  core::write_file_atomic(dir + "/j.safetensors", raw_file("{not json", "", 9));
  EXPECT_NE(error_of(dir + "/j.safetensors").find("header is not valid JSON"), std::string::npos);
  core::write_file_atomic(dir + "/s.safetensors", "abc");
  EXPECT_NE(error_of(dir + "/s.safetensors").find("too short for a safetensors file"),
            std::string::npos);
}

}  // namespace
}  // namespace bbpt::lm
