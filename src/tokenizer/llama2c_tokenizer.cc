// SPDX-License-Identifier: MIT
// Implements Llama2cTokenizer: the tokenizer.bin reader with run.c's layout, and run.c's
// encode()/decode() on a hash map in place of its sorted vocabulary and bsearch.
// ref: https://github.com/karpathy/llama2.c/blob/master/run.c (build_tokenizer, encode, decode)
#include "bbpt/tokenizer/llama2c_tokenizer.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"

namespace bbpt::tokenizer {

struct detail::Llama2cVocab {
  std::string source;
  int max_token_length = 0;
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::unordered_map<std::string, int32_t> ids;  // token bytes -> its first id
  /// The byte a "<0xXX>" token stands for, or -1.
  std::vector<int> raw_byte;
};

namespace {

/// Fewest tokens a file may hold: <unk>, <s>, </s> and the 256 byte tokens run.c's byte
/// fallback writes as byte + 3.
constexpr int kMinVocabSize = 3 + 256;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// run.c's sscanf(piece, "<0x%02hhX>", &byte_val) == 1: "<0x" and one or two hex digits (the
/// closing '>' is not checked by sscanf either).
int parse_raw_byte(const std::string& piece) {
  if (piece.size() < 4 || piece.compare(0, 3, "<0x") != 0 || hex_value(piece[3]) < 0) return -1;
  int value = hex_value(piece[3]);
  if (piece.size() > 4 && hex_value(piece[4]) >= 0) value = value * 16 + hex_value(piece[4]);
  return value;
}

template <typename T>
T read_le(std::string_view bytes, size_t pos) {
  T value;
  std::memcpy(&value, bytes.data() + pos, sizeof(T));
  return value;
}

}  // namespace

Llama2cTokenizer::Llama2cTokenizer(std::shared_ptr<const detail::Llama2cVocab> vocab)
    : vocab_(std::move(vocab)) {}

Llama2cTokenizer Llama2cTokenizer::from_file(const std::string& path,
                                             std::optional<int> vocab_size) {
  return from_bytes(core::read_file(path), path, vocab_size);
}

Llama2cTokenizer Llama2cTokenizer::from_bytes(std::string_view bytes,
                                              const std::string& source,
                                              std::optional<int> vocab_size) {
  static_assert(sizeof(float) == 4, "tokenizer.bin holds float32 scores");
  const char* kExpected =
      "; expected a llama2.c tokenizer.bin (int32 max_token_length, then per "
      "token float32 score, int32 length, bytes)";
  BBPT_CHECK(!vocab_size || *vocab_size >= kMinVocabSize, ConfigError,
             source << ": vocab_size (= " << *vocab_size << ") must be >= " << kMinVocabSize
                    << " (<unk>, <s>, </s> and 256 byte tokens)");
  BBPT_CHECK(bytes.size() >= 4, IoError,
             source << ": " << bytes.size() << " bytes, too short for the header" << kExpected);
  auto vocab = std::make_shared<detail::Llama2cVocab>();
  vocab->source = source;
  vocab->max_token_length = read_le<int32_t>(bytes, 0);
  BBPT_CHECK(vocab->max_token_length > 0, IoError,
             source << ": max_token_length is " << vocab->max_token_length << kExpected);
  size_t pos = 4;
  while (vocab_size ? static_cast<int>(vocab->tokens.size()) < *vocab_size : pos < bytes.size()) {
    const size_t index = vocab->tokens.size();
    BBPT_CHECK(pos + 8 <= bytes.size(), IoError,
               source << ": truncated at token " << index << " (byte offset " << pos << " of "
                      << bytes.size() << ": no score and length)"
                      << (vocab_size ? "; the model's vocab_size is " + std::to_string(*vocab_size)
                                     : std::string()));
    const auto score = read_le<float>(bytes, pos);
    const auto length = read_le<int32_t>(bytes, pos + 4);
    pos += 8;
    BBPT_CHECK(length >= 0 && length <= vocab->max_token_length, IoError,
               source << ": token " << index << " has length " << length
                      << ", outside [0, max_token_length = " << vocab->max_token_length << "]"
                      << kExpected);
    BBPT_CHECK(pos + static_cast<size_t>(length) <= bytes.size(), IoError,
               source << ": truncated at token " << index << " (needs " << length
                      << " bytes at offset " << pos << ", the file has " << bytes.size() << ")");
    std::string token(bytes.substr(pos, static_cast<size_t>(length)));
    pos += static_cast<size_t>(length);
    vocab->ids.emplace(token, static_cast<int32_t>(index));
    vocab->raw_byte.push_back(parse_raw_byte(token));
    vocab->tokens.push_back(std::move(token));
    vocab->scores.push_back(score);
  }
  BBPT_CHECK(vocab->tokens.size() >= static_cast<size_t>(kMinVocabSize), IoError,
             source << ": holds " << vocab->tokens.size() << " tokens; a llama2.c tokenizer has at "
                    << "least " << kMinVocabSize << " (<unk>, <s>, </s>, 256 byte tokens)");
  return Llama2cTokenizer(vocab);
}

std::vector<int32_t> Llama2cTokenizer::encode(std::string_view text, bool add_bos) const {
  const detail::Llama2cVocab& v = *vocab_;
  text = text.substr(0, std::min(text.size(), text.find('\0')));
  const auto lookup = [&](const std::string& piece) {
    const auto it = v.ids.find(piece);
    return it == v.ids.end() ? -1 : it->second;
  };
  std::vector<int32_t> tokens;
  if (add_bos) tokens.push_back(kBosId);
  if (!text.empty()) {
    // run.c: add_dummy_prefix is true by default in SentencePiece, so a " " goes first.
    const int32_t dummy_prefix = lookup(" ");
    BBPT_CHECK(dummy_prefix >= 0, ConfigError,
               v.source << ": has no \" \" token for SentencePiece's dummy prefix");
    tokens.push_back(dummy_prefix);
  }
  // Code points (a lead byte and up to 3 continuation bytes) found in the vocabulary become their
  // token, others their bytes as byte + 3 (the <0xXX> tokens).
  std::string code_point;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto is_continuation = [](char c) { return (static_cast<uint8_t>(c) & 0xC0) == 0x80; };
    if (!is_continuation(text[i])) code_point.clear();
    code_point += text[i];
    if (i + 1 < text.size() && is_continuation(text[i + 1]) && code_point.size() < 4) continue;
    const int32_t id = lookup(code_point);
    if (id >= 0) {
      tokens.push_back(id);
    } else {
      for (const char byte : code_point) tokens.push_back(static_cast<uint8_t>(byte) + 3);
    }
    code_point.clear();
  }
  // Merge the adjacent pair whose merged token scores best (the first such pair on ties) until
  // no pair is a token. BOS and the dummy prefix take part, as in run.c.
  while (true) {
    float best_score = -1e10f;
    int32_t best_id = -1;
    size_t best_index = 0;
    for (size_t i = 0; i + 1 < tokens.size(); ++i) {
      const int32_t id = lookup(v.tokens[tokens[i]] + v.tokens[tokens[i + 1]]);
      if (id >= 0 && v.scores[id] > best_score) {
        best_score = v.scores[id];
        best_id = id;
        best_index = i;
      }
    }
    if (best_id < 0) break;
    tokens[best_index] = best_id;
    tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(best_index) + 1);
  }
  return tokens;
}

std::string Llama2cTokenizer::decode(const std::vector<int32_t>& ids) const {
  const detail::Llama2cVocab& v = *vocab_;
  std::string text;
  int32_t prev = -1;
  for (const int32_t id : ids) {
    BBPT_CHECK(id >= 0 && id < vocab_size(), ConfigError,
               "token id " << id << " is not in the vocabulary of " << v.source << " (size "
                           << vocab_size() << ")");
    if (id != kBosId && id != kEosId) {
      std::string_view piece = v.tokens[id];
      // run.c: following BOS, SentencePiece's decoder strips the leading whitespace.
      if (prev == kBosId && !piece.empty() && piece[0] == ' ') piece.remove_prefix(1);
      if (v.raw_byte[id] >= 0) {
        text += static_cast<char>(v.raw_byte[id]);
      } else {
        text += piece;
      }
    }
    prev = id;
  }
  return text;
}

std::optional<int32_t> Llama2cTokenizer::bos_id() const { return kBosId; }

std::vector<int32_t> Llama2cTokenizer::eos_ids() const { return {kBosId}; }

int Llama2cTokenizer::vocab_size() const { return static_cast<int>(vocab_->tokens.size()); }

std::optional<int32_t> Llama2cTokenizer::token_id(std::string_view token_text) const {
  const auto it = vocab_->ids.find(std::string(token_text));
  if (it == vocab_->ids.end()) return std::nullopt;
  return it->second;
}

float Llama2cTokenizer::score(int32_t id) const {
  BBPT_CHECK(id >= 0 && id < vocab_size(), ConfigError,
             "token id " << id << " is not in the vocabulary of " << vocab_->source);
  return vocab_->scores[id];
}

int Llama2cTokenizer::max_token_length() const { return vocab_->max_token_length; }

}  // namespace bbpt::tokenizer
