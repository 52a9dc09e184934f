// SPDX-License-Identifier: MIT
// Unit tests of Llama2cTokenizer on tokenizer.bin files built here: run.c's encode (dummy
// prefix, code point lookup, byte fallback, best-score merges with BOS taking part), its decode
// (space after BOS, raw bytes) and clear errors for truncated or garbled files.
#include "bbpt/tokenizer/llama2c_tokenizer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "../llm/temp_dir.h"
#include "bbpt/core/error.h"
#include "bbpt/tokenizer/llm_tokenizer.h"
#include "expect_error.h"

namespace bbpt::tokenizer {
namespace {

constexpr const char* kSource = "test/tokenizer.bin";

template <typename T>
void append_le(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

/// A tokenizer.bin: <unk>, "\n<s>\n", "\n</s>\n", <0x00>..<0xFF> (ids 3..258), then extra
/// tokens from id 259 with their scores.
std::string make_tokenizer_bin(const std::vector<std::pair<std::string, float>>& extra) {
  std::vector<std::pair<std::string, float>> tokens = {
      {"<unk>", 0}, {"\n<s>\n", 0}, {"\n</s>\n", 0}};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    tokens.emplace_back(name, 0.0f);
  }
  tokens.insert(tokens.end(), extra.begin(), extra.end());
  std::string out;
  append_le<int32_t>(out, 16);
  for (const auto& [text, score] : tokens) {
    append_le<float>(out, score);
    append_le<int32_t>(out, static_cast<int32_t>(text.size()));
    out += text;
  }
  return out;
}

// ids: " " 259, "a" 260, "b" 261, "ab" 262, " a" 263, " ab" 264, "é" 265, "c" 266, "bc" 267
const std::vector<std::pair<std::string, float>> kExtra = {{" ", -100}, {"a", -100}, {"b", -100},
                                                           {"ab", -1},  {" a", -2},  {" ab", -3},
                                                           {"é", -100}, {"c", -100}, {"bc", -1}};

Llama2cTokenizer load(const std::string& bytes = make_tokenizer_bin(kExtra)) {
  return Llama2cTokenizer::from_bytes(bytes, kSource);
}

TEST(Llama2cTokenizer, EncodesAsRunC) {
  const Llama2cTokenizer t = load();
  EXPECT_EQ(t.vocab_size(), 268);
  // Empty text: BOS only, no dummy prefix.
  EXPECT_EQ(t.encode("", true), std::vector<int32_t>{1});
  EXPECT_EQ(t.encode("", false), std::vector<int32_t>{});
  // " " + "ab": "ab" (-1) merges before " a" (-2); then " " + "ab" = " ab" (-3).
  EXPECT_EQ(t.encode("ab", true), (std::vector<int32_t>{1, 264}));
  // Equal scores: the leftmost pair wins ("ab" and "bc" both score -1 in "abc").
  EXPECT_EQ(t.encode("abc", false), (std::vector<int32_t>{264, 266}));
  // A code point in the vocabulary is one token; others fall back to their bytes + 3.
  EXPECT_EQ(t.encode("é", false), (std::vector<int32_t>{259, 265}));
  EXPECT_EQ(t.encode("ü", false), (std::vector<int32_t>{259, 0xC3 + 3, 0xBC + 3}));
  EXPECT_EQ(t.encode("🙂", false),
            (std::vector<int32_t>{259, 0xF0 + 3, 0x9F + 3, 0x99 + 3, 0x82 + 3}));
  // The text ends at a NUL, as run.c's C string does.
  EXPECT_EQ(t.encode(std::string("a\0b", 3), false), t.encode("a", false));
}

TEST(Llama2cTokenizer, BosTakesPartInMerges) {
  // run.c's merge loop also pairs BOS with the dummy prefix: "\n<s>\n" + " " is a token here.
  auto extra = kExtra;
  extra.emplace_back("\n<s>\n ", 10.0f);  // id 268
  const Llama2cTokenizer t = load(make_tokenizer_bin(extra));
  EXPECT_EQ(t.encode("c", true), (std::vector<int32_t>{268, 266}));
}

TEST(Llama2cTokenizer, DecodesAsRunC) {
  const Llama2cTokenizer t = load();
  // After BOS the leading space goes; BOS and EOS print nothing; <0xXX> is the raw byte.
  EXPECT_EQ(t.decode({1, 264, 263}), "ab a");
  EXPECT_EQ(t.decode({264, 263}), " ab a");
  EXPECT_EQ(t.decode({1, 259, 0xC3 + 3, 0xBC + 3, 2}), "ü");
  for (const std::string text : {"ab c", "é ü 🙂 x", "bcab"}) {
    EXPECT_EQ(t.decode(t.encode(text, true)), text) << text;
  }
  EXPECT_THROW(t.decode({268}), ConfigError);
  EXPECT_THROW(t.decode({-1}), ConfigError);
  EXPECT_EQ(t.eos_ids(), std::vector<int32_t>{1});
  EXPECT_EQ(t.bos_id(), std::optional<int32_t>(1));
  EXPECT_EQ(t.token_id(" ab"), std::optional<int32_t>(264));
  EXPECT_FLOAT_EQ(t.score(262), -1.0f);
}

TEST(Llama2cTokenizer, ReadsExactlyVocabSizeTokensWhenGiven) {
  const std::string bytes = make_tokenizer_bin(kExtra);
  EXPECT_EQ(Llama2cTokenizer::from_bytes(bytes, kSource, 260).vocab_size(), 260);
  expect_error_naming<IoError>([&] { Llama2cTokenizer::from_bytes(bytes, kSource, 300); },
                               {kSource, "truncated at token 268", "vocab_size is 300"});
}

// A cut or garbled file is named with what is wrong, never read past its end.
TEST(Llama2cTokenizer, NamesTheFileOfTruncatedOrGarbledInput) {
  const std::string bytes = make_tokenizer_bin(kExtra);
  expect_error_naming<IoError>([&] { load(bytes.substr(0, 2)); }, {kSource, "too short"});
  expect_error_naming<IoError>([&] { load(bytes.substr(0, bytes.size() - 1)); },
                               {kSource, "truncated at token 267"});
  expect_error_naming<IoError>([&] { load(bytes.substr(0, bytes.size() - 7)); },
                               {kSource, "truncated at token 267"});
  std::string garbled = bytes;
  const int32_t bad_length = -5;
  std::memcpy(garbled.data() + 4 + 4, &bad_length, 4);  // token 0's length
  expect_error_naming<IoError>([&] { load(garbled); }, {kSource, "token 0 has length -5"});
  std::string zero_max = bytes;
  std::memset(zero_max.data(), 0, 4);
  expect_error_naming<IoError>([&] { load(zero_max); }, {kSource, "max_token_length is 0"});
  expect_error_naming<IoError>([&] { load(make_tokenizer_bin({}).substr(0, 4 + 100 * 11)); },
                               {kSource});
  std::string few;
  append_le<int32_t>(few, 8);
  for (int i = 0; i < 10; ++i) {
    append_le<float>(few, 0);
    append_le<int32_t>(few, 1);
    few += 'x';
  }
  expect_error_naming<IoError>([&] { load(few); }, {kSource, "holds 10 tokens"});
  expect_error_naming<IoError>([] { Llama2cTokenizer::from_file("/nonexistent/tok.bin"); },
                               {"/nonexistent/tok.bin"});
}

TEST(Llama2cTokenizer, RejectsTextWithoutADummyPrefixToken) {
  const Llama2cTokenizer t = load(make_tokenizer_bin({{"a", 0}}));
  EXPECT_EQ(t.encode("", true), std::vector<int32_t>{1});
  expect_error_naming<ConfigError>([&] { t.encode("a", true); }, {kSource, "dummy prefix"});
}

// Any file that is not JSON is read as a llama2.c tokenizer.bin.
TEST(LoadLlmTokenizer, ReadsATokenizerBin) {
  const llm::TempDir dir;
  const std::string path = dir.path() + "/tok.bin";
  std::ofstream(path, std::ios::binary) << make_tokenizer_bin(kExtra);
  const auto tokenizer = load_llm_tokenizer(path);
  ASSERT_NE(dynamic_cast<const Llama2cTokenizer*>(tokenizer.get()), nullptr);
  EXPECT_EQ(tokenizer->encode("ab", true), (std::vector<int32_t>{1, 264}));
  std::ofstream(path, std::ios::binary) << "garbage";
  expect_error_naming<IoError>([&] { load_llm_tokenizer(path); }, {path});
}

}  // namespace
}  // namespace bbpt::tokenizer
