// SPDX-License-Identifier: MIT
// The vocabulary reader must rebuild the reference's 49,408 tokens in the reference's order
// (ids are positions), and must reject a wrong or damaged file with an IoError that names it,
// instead of producing a tokenizer that silently gives different ids.
#include "bbpt/tokenizer/bpe_vocab.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <set>
#include <string>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"

namespace bbpt::tokenizer {
namespace {

const std::string kVocabPath = BBPT_SHARED_DIR "/assets/bpe_simple_vocab_16e6.txt.gz";

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("bbpt_bpe_vocab_test_" + name)).string();
}

std::string gzip_bytes(const std::string& plain) {
  uLongf size = compressBound(static_cast<uLong>(plain.size())) + 64;
  std::string out(size, '\0');
  z_stream s{};
  deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  s.avail_in = static_cast<uInt>(plain.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

/// Expects IoError whose message contains every one of the given fragments.
template <typename Fn>
void expect_io_error(Fn&& fn, std::initializer_list<std::string> fragments) {
  try {
    fn();
    ADD_FAILURE() << "expected IoError";
  } catch (const IoError& e) {
    for (const std::string& fragment : fragments) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
          << "'" << fragment << "' missing from: " << e.what();
    }
  }
}

std::string real_vocab_text() {
  if (!core::is_regular_file(kVocabPath)) return "";
  return core::read_maybe_gzip_file(kVocabPath);
}

TEST(BytesToUnicode, IsABijectionOntoPrintableCodePoints) {
  const auto table = bytes_to_unicode();
  const std::set<char32_t> distinct(table.begin(), table.end());
  EXPECT_EQ(distinct.size(), 256u);
  EXPECT_EQ(table['a'], U'a');
  EXPECT_EQ(table['!'], U'!');
  EXPECT_EQ(table[0xE9], U'\u00e9');
  EXPECT_EQ(table[' '], U'\u0120');  // 'Ġ': the 33rd non-printable byte
  EXPECT_EQ(table[0], U'\u0100');
  for (char32_t c : table)
    EXPECT_TRUE(c > U' ' && c != 0x7F && c != 0xA0 && c != 0xAD && c < 0x144);
}

TEST(BpeVocab, ReadsTheReferenceLayout) {
  if (real_vocab_text().empty()) GTEST_SKIP() << kVocabPath << " not available";
  const BpeVocab vocab = read_bpe_vocab(kVocabPath);
  ASSERT_EQ(vocab.tokens.size(), static_cast<size_t>(kVocabSize));
  ASSERT_EQ(vocab.merges.size(), static_cast<size_t>(kNumBpeMerges));
  EXPECT_EQ(vocab.tokens[0], "!");  // dict order of bytes_to_unicode: printable bytes first
  EXPECT_EQ(vocab.tokens[188], "\u0100");
  EXPECT_EQ(vocab.tokens[256], "!</w>");
  EXPECT_EQ(vocab.merges[0], std::make_pair(std::string("i"), std::string("n")));
  EXPECT_EQ(vocab.tokens[512], "in");
  EXPECT_EQ(vocab.tokens[49406], "<|startoftext|>");
  EXPECT_EQ(vocab.tokens[49407], "<|endoftext|>");
}

TEST(BpeVocab, MissingFileNamesPathAndWhatWasExpected) {
  expect_io_error([] { read_bpe_vocab("/nonexistent/bpe_simple_vocab_16e6.txt.gz"); },
                  {"/nonexistent/bpe_simple_vocab_16e6.txt.gz", "BPE vocabulary"});
}

TEST(BpeVocab, TruncatedGzipIsRejected) {
  std::string text = real_vocab_text();
  if (text.empty()) text = "#version: 0.2\n" + std::string(400000, 'x');
  std::string gz = gzip_bytes(text);
  gz.resize(gz.size() / 2);
  const std::string path = temp_path("truncated.txt.gz");
  core::write_file_atomic(path, gz);
  expect_io_error([&] { read_bpe_vocab(path); }, {path, "truncated"});
}

TEST(BpeVocab, TooFewMergeLinesIsNotAVocabulary) {
  const std::string path = temp_path("short.txt");
  core::write_file_atomic(path, "#version: 0.2\ni n\nt h\n");
  expect_io_error([&] { read_bpe_vocab(path); }, {path, "48894 merge lines", "found 4"});
}

TEST(BpeVocab, MergeLineNeedsExactlyTwoParts) {
  std::string text = real_vocab_text();
  if (text.empty()) GTEST_SKIP() << kVocabPath << " not available";
  const size_t line3 = text.find('\n', text.find('\n', text.find('\n') + 1) + 1) + 1;
  text.insert(line3, "a b c\n");  // becomes line 4
  const std::string path = temp_path("three_parts.txt");
  core::write_file_atomic(path, text);
  expect_io_error([&] { read_bpe_vocab(path); }, {path + ":4", "3 part(s), expected 2"});
}

TEST(BpeVocab, MergePartsMustBeTokens) {
  std::string text = real_vocab_text();
  if (text.empty()) GTEST_SKIP() << kVocabPath << " not available";
  text.insert(text.find('\n') + 1, "\u20ac x\n");  // '€' is not in the byte alphabet
  const std::string path = temp_path("bad_part.txt");
  core::write_file_atomic(path, text);
  expect_io_error([&] { read_bpe_vocab(path); }, {path + ":2", "is not a token"});
}

TEST(BpeVocab, NonUtf8IsNotAVocabulary) {
  expect_io_error([] { parse_bpe_vocab("#version\n\xff\xfe\n", "mem.txt"); }, {"mem.txt", "UTF-8"});
}

}  // namespace
}  // namespace bbpt::tokenizer
