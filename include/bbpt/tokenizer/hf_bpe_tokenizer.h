// SPDX-License-Identifier: MIT
// HfBpeTokenizer: a Hugging Face `tokenizer.json` with a byte-level BPE model, as Llama-3 and
// GPT-2-style checkpoints ship it, encoding and decoding as the `tokenizers` library does.
// Supported: model BPE (vocab, merges as "a b" or ["a", "b"], ignore_merges), no normalizer or NFC,
// pre-tokenizers Split(Regex, Isolated) and ByteLevel (alone or in a Sequence), the ByteLevel
// decoder, post-processors TemplateProcessing / ByteLevel (alone or in a Sequence), added
// tokens (matched in the raw text before anything else). Everything else is rejected at load
// time with an IoError naming the file, the field and the value; no dropout, no byte_fallback,
// no unk_token, no continuing_subword_prefix.
// ref: https://github.com/huggingface/tokenizers/tree/main/tokenizers/src (models/bpe,
// pre_tokenizers/{split,byte_level}.rs, tokenizer/added_vocabulary.rs, processors/template.rs)
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
struct HfBpeModel;
}  // namespace detail

/// Byte-level BPE from a tokenizer.json. Immutable after loading; safe to share across threads.
class HfBpeTokenizer : public LlmTokenizer {
 public:
  /// Reads and checks tokenizer.json. eos_token, when not empty, is the text of the token
  /// eos_ids() reports (tokenizer_config.json's "eos_token"); it must be a token of the file.
  /// Throws IoError naming the file (and the field and value) when the file is missing, not
  /// JSON, lacks a field, or uses a model, normalizer, pre-tokenizer, decoder or post-processor
  /// bbpt does not support.
  static HfBpeTokenizer from_file(const std::string& path, const std::string& eos_token = "");

  /// Same from the file's contents; source names it in errors.
  static HfBpeTokenizer from_json_text(std::string_view json_text,
                                       const std::string& source,
                                       const std::string& eos_token = "");

  /// Added tokens are cut out of the raw text first (leftmost, longest at a position); each
  /// stretch between them is split by the pre-tokenizer, byte-level mapped and BPE-merged.
  /// add_bos applies the post-processor's single-sequence template (Llama-3: BOS in front).
  std::vector<int32_t> encode(std::string_view text, bool add_bos) const override;

  /// Token texts joined, byte-level tokens mapped back to bytes, added tokens as their text;
  /// invalid UTF-8 becomes U+FFFD per bad sequence (the library's from_utf8_lossy).
  std::string decode(const std::vector<int32_t>& ids) const override;

  /// First special token of the post-processor's template (Llama-3: `<|begin_of_text|>`).
  std::optional<int32_t> bos_id() const override;
  /// The eos_token given at load time, or empty.
  std::vector<int32_t> eos_ids() const override;
  /// Added tokens with "special": true.
  bool is_special(int32_t id) const override;
  /// 1 + the largest id of the vocabulary and the added tokens.
  int vocab_size() const override;
  /// Id of an added token's content or of a vocabulary token (byte-level text, e.g. "Ġthe").
  std::optional<int32_t> token_id(std::string_view token_text) const override;

  /// Pre-tokenizer output for a stretch of text without added tokens: the pieces (UTF-8) the
  /// BPE runs on, before byte-level mapping. For tests and diagnostics.
  std::vector<std::string> pre_tokenize(std::string_view text) const;

 private:
  explicit HfBpeTokenizer(std::shared_ptr<const detail::HfBpeModel> model);
  void append_piece_ids(std::string_view piece, std::vector<int32_t>& out) const;

  std::shared_ptr<const detail::HfBpeModel> model_;
};

}  // namespace bbpt::tokenizer
