// SPDX-License-Identifier: MIT
// CLIP's BPE vocabulary: the byte alphabet (bytes_to_unicode) and the reader for
// bpe_simple_vocab_16e6.txt.gz, which turns its merge list into the 49,408 token strings.
// ref: https://github.com/openai/CLIP/blob/main/clip/simple_tokenizer.py
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bbpt::tokenizer {

/// Merges CLIP uses from the file: 49152 - 256 - 2 (SimpleTokenizer.__init__).
inline constexpr int kNumBpeMerges = 49152 - 256 - 2;

/// Tokens in the vocabulary: 256 byte symbols, the same with "</w>", the merges, SOT and EOT.
inline constexpr int kVocabSize = 2 * 256 + kNumBpeMerges + 2;

/// simple_tokenizer.bytes_to_unicode: the printable code point that stands for each byte 0..255
/// (printable Latin-1 bytes stand for themselves, the others for U+0100 upwards). Index = byte.
/// The 256 values are distinct, and none is whitespace.
std::array<char32_t, 256> bytes_to_unicode();

/// The vocabulary as the reference builds it: id -> token text, and the ranked merges.
struct BpeVocab {
  /// Token text by id, UTF-8 in the byte alphabet; "</w>" ends a word. Size kVocabSize:
  /// bytes_to_unicode() values, then each + "</w>", then each merge's two parts joined, then
  /// "<|startoftext|>" (id 49406) and "<|endoftext|>" (id 49407).
  std::vector<std::string> tokens;
  /// Merge rules by rank (lower merges first): {first, second}, kNumBpeMerges of them.
  std::vector<std::pair<std::string, std::string>> merges;
};

/// Reads the vocabulary file (gzip or plain text): a header line, then at least kNumBpeMerges
/// lines "first second" (only that many are used). Throws IoError naming the file and what was
/// expected when it is missing, a truncated gzip, not UTF-8, has too few merge lines, a merge
/// line without exactly two parts, or a merge part that is not a token.
BpeVocab read_bpe_vocab(const std::string& path);

/// Same as read_bpe_vocab, from the file's decompressed contents; source names it in errors.
BpeVocab parse_bpe_vocab(std::string_view contents, const std::string& source);

}  // namespace bbpt::tokenizer
