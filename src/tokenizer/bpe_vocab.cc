// SPDX-License-Identifier: MIT
// Implements bytes_to_unicode and the vocabulary reader, with the reference's slicing
// (lines[1 : 49152-256-2+1]) plus the validation the reference leaves to KeyErrors.
#include "bbpt/tokenizer/bpe_vocab.h"

#include <algorithm>
#include <unordered_set>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "unicode_util.h"

namespace bbpt::tokenizer {
namespace {

/// Python's str.split() without arguments: fields between runs of whitespace.
std::vector<std::string> split_on_whitespace(std::string_view line) {
  std::vector<std::string> parts;
  std::string current;
  size_t pos = 0;
  while (pos < line.size()) {
    const size_t start = pos;
    const char32_t c = detail::next_code_point(line, pos);
    if (detail::is_python_space(c)) {
      if (!current.empty()) parts.push_back(std::move(current));
      current.clear();
    } else {
      current.append(line.substr(start, pos - start));
    }
  }
  if (!current.empty()) parts.push_back(std::move(current));
  return parts;
}

/// True when bytes is well-formed UTF-8 (Python's .decode("utf-8") would succeed).
bool is_valid_utf8(std::string_view bytes) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t start = pos;
    if (detail::next_code_point(bytes, pos) == detail::kReplacementChar &&
        bytes.substr(start, pos - start) != "\xEF\xBF\xBD") {
      return false;
    }
  }
  return true;
}

/// Code points of a bad merge line shown in an error.
constexpr size_t kMaxShownLineCodePoints = 60;

}  // namespace

std::array<char32_t, 256> bytes_to_unicode() {
  // ref: simple_tokenizer.bytes_to_unicode: '!'..'~', '¡'..'¬', '®'..'ÿ' map to themselves,
  // the remaining bytes in increasing order to 256, 257, ...
  std::array<char32_t, 256> table{};
  const auto printable = [](int b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  };
  char32_t next = 256;
  for (int b = 0; b < 256; ++b) table[b] = printable(b) ? static_cast<char32_t>(b) : next++;
  return table;
}

BpeVocab parse_bpe_vocab(std::string_view contents, const std::string& source) {
  BBPT_CHECK(is_valid_utf8(contents), IoError,
             source << ": not a CLIP BPE vocabulary: the text is not valid UTF-8 (expected "
                       "bpe_simple_vocab_16e6.txt.gz from openai/CLIP)");
  // contents.split('\n')[1 : 1 + kNumBpeMerges]
  constexpr size_t kNumMerges = kNumBpeMerges;
  std::vector<std::string_view> merge_lines;
  merge_lines.reserve(kNumMerges);
  size_t line_start = contents.find('\n');
  size_t num_lines = 1;
  while (line_start != std::string_view::npos && merge_lines.size() < kNumMerges) {
    ++line_start;
    const size_t line_end = contents.find('\n', line_start);
    const size_t len =
        line_end == std::string_view::npos ? contents.size() - line_start : line_end - line_start;
    merge_lines.push_back(contents.substr(line_start, len));
    ++num_lines;
    line_start = line_end;
  }
  BBPT_CHECK(merge_lines.size() == kNumMerges, IoError,
             source << ": not a CLIP BPE vocabulary: expected a header line and at least "
                    << kNumBpeMerges << " merge lines 'first second', found " << num_lines
                    << " line(s) in all (truncated or wrong file?)");

  BpeVocab vocab;
  vocab.tokens.reserve(kVocabSize);
  // list(bytes_to_unicode().values()) is in dict insertion order: the printable bytes, then
  // the others, which is increasing code point order.
  std::array<char32_t, 256> byte_chars = bytes_to_unicode();
  std::sort(byte_chars.begin(), byte_chars.end());
  for (char32_t c : byte_chars) vocab.tokens.push_back(detail::encode_utf8(std::u32string(1, c)));
  for (int i = 0; i < 256; ++i) vocab.tokens.push_back(vocab.tokens[i] + "</w>");

  vocab.merges.reserve(kNumBpeMerges);
  for (size_t i = 0; i < merge_lines.size(); ++i) {
    std::vector<std::string> parts = split_on_whitespace(merge_lines[i]);
    BBPT_CHECK(parts.size() == 2, IoError,
               source << ":" << i + 2 << ": not a CLIP BPE vocabulary: merge line '"
                      << detail::shorten_utf8(merge_lines[i], kMaxShownLineCodePoints) << "' has "
                      << parts.size() << " part(s), expected 2 ('first second')");
    vocab.tokens.push_back(parts[0] + parts[1]);
    vocab.merges.emplace_back(std::move(parts[0]), std::move(parts[1]));
  }
  vocab.tokens.emplace_back("<|startoftext|>");
  vocab.tokens.emplace_back("<|endoftext|>");

  // A merge can only ever apply when both parts are tokens (byte symbols or earlier merges).
  const std::unordered_set<std::string_view> known(vocab.tokens.begin(), vocab.tokens.end());
  for (size_t i = 0; i < vocab.merges.size(); ++i) {
    for (const std::string* part : {&vocab.merges[i].first, &vocab.merges[i].second}) {
      BBPT_CHECK(known.count(*part) != 0, IoError,
                 source << ":" << i + 2 << ": not a CLIP BPE vocabulary: merge part '"
                        << detail::shorten_utf8(*part, kMaxShownLineCodePoints)
                        << "' is not a token (expected byte-level symbols)");
    }
  }
  return vocab;
}

BpeVocab read_bpe_vocab(const std::string& path) {
  std::string contents;
  try {
    contents = core::read_maybe_gzip_file(path);
  } catch (const IoError& e) {
    BBPT_THROW(IoError, e.what() << " (expected CLIP's BPE vocabulary bpe_simple_vocab_16e6.txt.gz"
                                    ": a header line, then merge lines 'first second')");
  }
  return parse_bpe_vocab(contents, path);
}

}  // namespace bbpt::tokenizer
