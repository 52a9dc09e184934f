// SPDX-License-Identifier: MIT
// Llama2cTokenizer: karpathy/llama2.c's tokenizer.bin (a SentencePiece vocabulary exported with
// scores) with run.c's encode() and decode(), byte for byte: the dummy-prefix space, UTF-8 code
// point lookup with byte fallback, then greedy merging of the best-scored adjacent pair.
// It is not SentencePiece: no normalization, no unknown-token handling beyond what run.c does.
// ref: https://github.com/karpathy/llama2.c/blob/master/run.c (build_tokenizer, encode, decode)
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bbpt/tokenizer/llm_tokenizer.h"

namespace bbpt::tokenizer {

namespace detail {
struct Llama2cVocab;
}  // namespace detail

/// llama2.c's tokenizer. Immutable after loading; safe to share across threads.
class Llama2cTokenizer : public LlmTokenizer {
 public:
  /// Id run.c puts first and stops generation at (SentencePiece's <s>).
  static constexpr int32_t kBosId = 1;
  /// Id of </s>, what encode(eos = 1) appends in run.c.
  static constexpr int32_t kEosId = 2;

  /// Reads tokenizer.bin: int32 max_token_length, then per token float32 score, int32 length and
  /// that many bytes. With vocab_size given, exactly that many tokens are read as run.c does
  /// (the model header's vocab_size; the file may hold more); without it, tokens up to the end
  /// of the file. Throws IoError naming the file when it is missing, truncated (it says at which
  /// token), has a negative or over-long token length, or holds fewer than 3 + 256 tokens.
  static Llama2cTokenizer from_file(const std::string& path,
                                    std::optional<int> vocab_size = std::nullopt);

  /// Same from the file's bytes; source names it in errors.
  static Llama2cTokenizer from_bytes(std::string_view bytes,
                                     const std::string& source,
                                     std::optional<int> vocab_size = std::nullopt);

  /// run.c encode(text, bos = add_bos, eos = 0). The text ends at its first NUL byte (run.c
  /// reads a C string). Throws ConfigError when the text is non-empty and the vocabulary has no
  /// " " token (run.c would write id -1).
  std::vector<int32_t> encode(std::string_view text, bool add_bos) const override;

  /// run.c decode(prev, id) for each id in turn, concatenated: a token after kBosId loses its
  /// leading space, "<0xXX>" tokens are the raw byte. kBosId and kEosId (never printed by run.c)
  /// decode to nothing. The bytes are returned as they are (run.c prints them; they may split a
  /// UTF-8 sequence).
  std::string decode(const std::vector<int32_t>& ids) const override;

  /// kBosId.
  std::optional<int32_t> bos_id() const override;
  /// {kBosId}: run.c stops when the model produces BOS, which delimits sequences.
  std::vector<int32_t> eos_ids() const override;
  /// kBosId and kEosId.
  bool is_special(int32_t id) const override { return id == kBosId || id == kEosId; }
  int vocab_size() const override;
  /// Id of the token whose bytes are token_text (the first such id), or nullopt.
  std::optional<int32_t> token_id(std::string_view token_text) const override;

  /// The score of id (its merge priority; higher merges first).
  float score(int32_t id) const;
  /// The max_token_length field of the file header.
  int max_token_length() const;

 private:
  explicit Llama2cTokenizer(std::shared_ptr<const detail::Llama2cVocab> vocab);

  std::shared_ptr<const detail::Llama2cVocab> vocab_;
};

}  // namespace bbpt::tokenizer
