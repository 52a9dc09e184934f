// SPDX-License-Identifier: MIT
// Implements ClipTokenizer: the reference's BPE merge loop on token ids (every symbol a merge
// loop can produce is a vocabulary token, so ids stand in for strings), a mutex-guarded word
// cache, clip.tokenize's truncation rule and the byte-level decoder.
// ref: https://github.com/openai/CLIP/blob/main/clip/simple_tokenizer.py (SimpleTokenizer.bpe)
// ref: https://github.com/openai/CLIP/blob/main/clip/clip.py (tokenize)
#include "bbpt/tokenizer/clip_tokenizer.h"

#include <array>
#include <climits>
#include <mutex>
#include <unordered_map>

#include "bbpt/core/error.h"
#include "bbpt/tokenizer/pre_tokenizer.h"
#include "bbpt/tokenizer/text_clean.h"
#include "bpe_merge_key.h"
#include "unicode_util.h"

namespace bbpt::tokenizer {
namespace {

constexpr std::string_view kSotText = "<|startoftext|>";
constexpr std::string_view kEotText = "<|endoftext|>";

/// Words kept in the cache before it is emptied. The reference's cache grows without bound;
/// a bound keeps memory flat over long runs and changes no result.
constexpr size_t kMaxCachedWords = 1 << 18;

/// Code points of a too-long text shown in an error.
constexpr size_t kMaxShownTextCodePoints = 40;

}  // namespace

struct ClipTokenizer::Vocab {
  struct Merge {
    int32_t rank;
    int32_t merged_id;  // id of first + second
  };
  /// id -> the bytes its token text stands for (byte_decoder applied).
  std::vector<std::string> token_bytes;
  /// byte -> id of its symbol, and of its symbol + "</w>" (a word's last byte).
  std::array<int32_t, 256> byte_ids{};
  std::array<int32_t, 256> byte_end_ids{};
  /// merge_pair_key(first id, second id) -> the merge's rank and result.
  std::unordered_map<uint64_t, Merge> merges;
};

struct ClipTokenizer::WordCache {
  std::mutex mutex;
  std::unordered_map<std::string, std::vector<int32_t>> words;
};

ClipTokenizer ClipTokenizer::from_file(const std::string& bpe_path) {
  return ClipTokenizer(read_bpe_vocab(bpe_path));
}

ClipTokenizer::ClipTokenizer(BpeVocab vocab) : cache_(std::make_shared<WordCache>()) {
  BBPT_CHECK(vocab.tokens.size() == static_cast<size_t>(kVocabSize), ConfigError,
             "BPE vocabulary has " << vocab.tokens.size() << " tokens, expected " << kVocabSize);
  // encoder = dict(zip(vocab, range(len(vocab)))): a repeated token text keeps its last id.
  std::unordered_map<std::string, int32_t> ids;
  ids.reserve(vocab.tokens.size());
  for (size_t i = 0; i < vocab.tokens.size(); ++i) ids[vocab.tokens[i]] = static_cast<int32_t>(i);
  const auto id_of = [&ids](const std::string& token) {
    const auto it = ids.find(token);
    BBPT_CHECK(it != ids.end(), ConfigError, "BPE vocabulary has no token '" << token << "'");
    return it->second;
  };
  BBPT_CHECK(id_of(std::string(kSotText)) == kSotToken && id_of(std::string(kEotText)) == kEotToken,
             ConfigError, "BPE vocabulary does not end with <|startoftext|>, <|endoftext|>");

  auto v = std::make_shared<Vocab>();
  const std::array<char32_t, 256> byte_chars = bytes_to_unicode();
  std::unordered_map<char32_t, char> byte_decoder;
  for (int b = 0; b < 256; ++b) {
    const std::string symbol = detail::encode_utf8(std::u32string(1, byte_chars[b]));
    v->byte_ids[b] = id_of(symbol);
    v->byte_end_ids[b] = id_of(symbol + "</w>");
    byte_decoder[byte_chars[b]] = static_cast<char>(b);
  }

  v->token_bytes.reserve(vocab.tokens.size());
  for (const std::string& token : vocab.tokens) {
    std::string bytes;
    for (char32_t c : detail::decode_utf8(token)) {
      const auto it = byte_decoder.find(c);
      BBPT_CHECK(it != byte_decoder.end(), ConfigError,
                 "BPE token '" << token << "' has a character outside the byte alphabet");
      bytes.push_back(it->second);
    }
    v->token_bytes.push_back(std::move(bytes));
  }

  // bpe_ranks = dict(zip(merges, range(len(merges)))): a repeated pair keeps its last rank. A
  // merge whose parts are not tokens could never apply, so it is left out.
  v->merges.reserve(vocab.merges.size());
  for (size_t rank = 0; rank < vocab.merges.size(); ++rank) {
    const auto& [first, second] = vocab.merges[rank];
    const auto first_it = ids.find(first);
    const auto second_it = ids.find(second);
    const auto merged_it = ids.find(first + second);
    if (first_it == ids.end() || second_it == ids.end() || merged_it == ids.end()) continue;
    v->merges[detail::merge_pair_key(first_it->second, second_it->second)] =
        Vocab::Merge{static_cast<int32_t>(rank), merged_it->second};
  }
  vocab_ = std::move(v);
}

std::vector<int32_t> ClipTokenizer::bpe(std::string_view piece) const {
  // word = tuple(token[:-1]) + (token[-1] + '</w>',), one symbol per byte
  std::vector<int32_t> word;
  word.reserve(piece.size());
  for (size_t i = 0; i < piece.size(); ++i) {
    const auto byte = static_cast<unsigned char>(piece[i]);
    word.push_back(i + 1 < piece.size() ? vocab_->byte_ids[byte] : vocab_->byte_end_ids[byte]);
  }
  std::vector<int32_t> merged;
  merged.reserve(word.size());
  while (word.size() > 1) {
    // The adjacent pair with the lowest merge rank; ranks are unique, so ties cannot occur.
    int32_t best_rank = INT32_MAX;
    int32_t first = 0;
    int32_t second = 0;
    int32_t result = 0;
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      const auto it = vocab_->merges.find(detail::merge_pair_key(word[i], word[i + 1]));
      if (it != vocab_->merges.end() && it->second.rank < best_rank) {
        best_rank = it->second.rank;
        first = word[i];
        second = word[i + 1];
        result = it->second.merged_id;
      }
    }
    if (best_rank == INT32_MAX) break;
    // Merge every occurrence, left to right, without overlaps.
    merged.clear();
    for (size_t i = 0; i < word.size(); ++i) {
      if (word[i] == first && i + 1 < word.size() && word[i + 1] == second) {
        merged.push_back(result);
        ++i;
      } else {
        merged.push_back(word[i]);
      }
    }
    word.swap(merged);
  }
  return word;
}

void ClipTokenizer::append_word_ids(std::string_view piece, std::vector<int32_t>& out) const {
  // The reference seeds its bpe() cache with the two special tokens.
  if (piece == kSotText) {
    out.push_back(kSotToken);
    return;
  }
  if (piece == kEotText) {
    out.push_back(kEotToken);
    return;
  }
  std::string key(piece);
  {
    std::lock_guard<std::mutex> lock(cache_->mutex);
    const auto it = cache_->words.find(key);
    if (it != cache_->words.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> ids = bpe(piece);
  out.insert(out.end(), ids.begin(), ids.end());
  std::lock_guard<std::mutex> lock(cache_->mutex);
  if (cache_->words.size() >= kMaxCachedWords) cache_->words.clear();
  cache_->words.emplace(std::move(key), std::move(ids));
}

std::vector<int32_t> ClipTokenizer::encode(std::string_view text) const {
  const std::string cleaned = clean_text(text);
  std::vector<int32_t> ids;
  ids.reserve(cleaned.size() / 2 + 1);
  for (std::string_view piece : pre_tokenize(cleaned)) append_word_ids(piece, ids);
  return ids;
}

std::vector<int32_t> ClipTokenizer::tokenize(std::string_view text,
                                             int context_length,
                                             bool truncate) const {
  BBPT_CHECK(context_length >= 1, ConfigError,
             "context_length (= " << context_length << ") must be >= 1");
  std::vector<int32_t> ids;
  ids.push_back(kSotToken);
  const std::vector<int32_t> body = encode(text);
  ids.insert(ids.end(), body.begin(), body.end());
  ids.push_back(kEotToken);
  if (ids.size() > static_cast<size_t>(context_length)) {
    BBPT_CHECK(truncate, ConfigError,
               "text \"" << detail::shorten_utf8(text, kMaxShownTextCodePoints)
                         << "\" is too long: " << ids.size()
                         << " tokens with SOT/EOT, more than context_length " << context_length
                         << " (shorten it, or tokenize with truncation)");
    ids.resize(static_cast<size_t>(context_length));
    ids.back() = kEotToken;  // clip.tokenize keeps EOT last, where CLIP pools the feature
  }
  return ids;
}

std::string ClipTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string bytes;
  for (int32_t id : ids) {
    BBPT_CHECK(id >= 0 && id < vocab_size(), ConfigError,
               "cannot decode token id " << id << ": ids are in [0, " << vocab_size() << ")");
    bytes += vocab_->token_bytes[static_cast<size_t>(id)];
  }
  std::string text = detail::encode_utf8(detail::decode_utf8(bytes));
  // .replace('</w>', ' ') on the decoded text
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (true) {
    const size_t hit = text.find("</w>", pos);
    out.append(text, pos, hit == std::string::npos ? std::string::npos : hit - pos);
    if (hit == std::string::npos) break;
    out.push_back(' ');
    pos = hit + 4;
  }
  return out;
}

int ClipTokenizer::vocab_size() const { return static_cast<int>(vocab_->token_bytes.size()); }

}  // namespace bbpt::tokenizer
