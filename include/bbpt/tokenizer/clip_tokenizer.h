// SPDX-License-Identifier: MIT
// ClipTokenizer: text -> CLIP token ids, an exact port of openai/CLIP's simple_tokenizer.py
// (SimpleTokenizer.encode/decode) and clip.tokenize, except that tokenize() does not pad.
// Text cleanup is in text_clean.h (with what of ftfy is not replicated), splitting in
// pre_tokenizer.h, the vocabulary file in bpe_vocab.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bbpt/tokenizer/bpe_vocab.h"

namespace bbpt::tokenizer {

/// Id of "<|startoftext|>", which tokenize() puts first.
inline constexpr int32_t kSotToken = 49406;
/// Id of "<|endoftext|>", which tokenize() puts last (CLIP pools the text feature there).
inline constexpr int32_t kEotToken = 49407;
/// CLIP's text context length in tokens, SOT and EOT included.
inline constexpr int kContextLength = 77;

/// CLIP's byte-level BPE tokenizer. Immutable after construction except for an internal cache
/// of encoded words, which is guarded by a mutex: all methods are safe to call concurrently.
/// Copies are cheap and share the vocabulary and the cache.
class ClipTokenizer {
 public:
  /// Loads the vocabulary (bpe_simple_vocab_16e6.txt.gz, gzip or plain). Throws IoError naming
  /// the file when it is missing, truncated or not the vocabulary (see read_bpe_vocab).
  static ClipTokenizer from_file(const std::string& bpe_path);

  /// Builds the tokenizer from an already read vocabulary.
  explicit ClipTokenizer(BpeVocab vocab);

  /// SimpleTokenizer.encode: token ids of text (UTF-8), without SOT/EOT. The text is cleaned
  /// (clean_text), split (pre_tokenize) and each piece's UTF-8 bytes are BPE-merged. The
  /// literals "<|startoftext|>" / "<|endoftext|>" in the text become kSotToken / kEotToken.
  std::vector<int32_t> encode(std::string_view text) const;

  /// clip.tokenize for one text, without the zero padding: kSotToken, encode(text), kEotToken.
  /// When that is longer than context_length (>= 1) and truncate is true, it is cut to
  /// context_length ids and the last one is set to kEotToken, as clip.tokenize(truncate=True)
  /// does; when truncate is false a ConfigError names the (shortened) text and its length.
  std::vector<int32_t> tokenize(std::string_view text,
                                int context_length = kContextLength,
                                bool truncate = true) const;

  /// SimpleTokenizer.decode: the ids' token texts joined, mapped back to bytes, decoded as UTF-8
  /// with U+FFFD for invalid sequences, and each "</w>" replaced by ' ' (so a decoded text
  /// ends with a space after its last word). Throws ConfigError for an id outside the vocabulary.
  std::string decode(const std::vector<int32_t>& ids) const;

  /// Number of token ids (49408): ids are in [0, vocab_size()).
  int vocab_size() const;

 private:
  struct Vocab;
  struct WordCache;

  /// SimpleTokenizer.bpe for one pre-token (its UTF-8 bytes), appending the ids to out.
  void append_word_ids(std::string_view piece, std::vector<int32_t>& out) const;
  std::vector<int32_t> bpe(std::string_view piece) const;

  std::shared_ptr<const Vocab> vocab_;
  std::shared_ptr<WordCache> cache_;
};

}  // namespace bbpt::tokenizer
