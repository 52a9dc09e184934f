// SPDX-License-Identifier: MIT
// Implements HfBpeTokenizer: reading and checking tokenizer.json, the added-token split, the
// pre-tokenizer (ICU regex with the file's pattern), byte-level BPE with the library's merge
// order (lowest rank first, leftmost on ties) and the byte-level decoder.
// ref: https://github.com/huggingface/tokenizers/blob/main/tokenizers/src/models/bpe/word.rs
#include "bbpt/tokenizer/hf_bpe_tokenizer.h"

#include <unicode/regex.h>
#include <unicode/utext.h>

#include <algorithm>
#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <queue>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/tokenizer/bpe_vocab.h"
#include "bpe_merge_key.h"
#include "json_util.h"
#include "unicode_util.h"

namespace bbpt::tokenizer {
namespace {

using Json = nlohmann::json;

/// GPT-2's split pattern, what ByteLevel(use_regex = true) applies.
/// ref: tokenizers/src/pre_tokenizers/byte_level.rs (RE)
constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

/// A JSON value as short text for an error message.
std::string brief(const Json& value) {
  std::string text = value.dump();
  return text.size() > 60 ? text.substr(0, 57) + "..." : text;
}

/// Reads the fields of one JSON object, with errors naming the file and the field's path.
class FieldReader {
 public:
  FieldReader(const Json& object, std::string path, const std::string& source)
      : object_(object), path_(std::move(path)), source_(source) {
    BBPT_CHECK(
        object.is_object(), IoError,
        source_ << ": field '" << path_ << "' is " << brief(object) << "; expected a JSON object");
  }
  std::string field(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  /// The value, or null when the key is missing.
  const Json& get(const std::string& key) const {
    static const Json kNull;
    const auto it = object_.find(key);
    return it == object_.end() ? kNull : *it;
  }
  const Json& require(const std::string& key) const {
    const auto it = object_.find(key);
    BBPT_CHECK(it != object_.end(), IoError,
               source_ << ": field '" << field(key) << "' is missing");
    return *it;
  }
  std::string require_string(const std::string& key) const {
    const Json& value = require(key);
    BBPT_CHECK(
        value.is_string(), IoError,
        source_ << ": field '" << field(key) << "' is " << brief(value) << "; expected a string");
    return value.get<std::string>();
  }
  bool optional_bool(const std::string& key, bool fallback) const {
    const Json& value = get(key);
    if (value.is_null()) return fallback;
    BBPT_CHECK(value.is_boolean(), IoError,
               source_ << ": field '" << field(key) << "' is " << brief(value)
                       << "; expected true or false");
    return value.get<bool>();
  }
  /// Throws unless the field is missing, null, or equal to one of allowed.
  void expect_absent_or(const std::string& key,
                        const std::vector<Json>& allowed,
                        std::string_view why) const {
    const Json& value = get(key);
    if (value.is_null()) return;
    for (const Json& a : allowed) {
      if (value == a) return;
    }
    BBPT_THROW(IoError,
               source_ << ": field '" << field(key) << "' is " << brief(value) << "; " << why);
  }
  [[noreturn]] void unsupported(const std::string& key, std::string_view what) const {
    BBPT_THROW(IoError, source_ << ": field '" << field(key) << "' is " << brief(get(key))
                                << "; bbpt supports " << what);
  }

 private:
  const Json& object_;
  std::string path_;
  const std::string& source_;
};

/// The steps of a pre-tokenizer or post-processor at path: the list under list_key of a
/// {"type": "Sequence"}, else the node itself; each with its field path.
std::vector<std::pair<const Json*, std::string>> sequence_steps(const Json& node,
                                                                const std::string& path,
                                                                const std::string& list_key,
                                                                const std::string& source) {
  const FieldReader reader(node, path, source);
  if (reader.require_string("type") != "Sequence") return {{&node, path}};
  const Json& list = reader.require(list_key);
  BBPT_CHECK(list.is_array(), IoError,
             source << ": field '" << reader.field(list_key) << "' is " << brief(list)
                    << "; expected an array");
  std::vector<std::pair<const Json*, std::string>> steps;
  for (size_t i = 0; i < list.size(); ++i) {
    steps.emplace_back(&list[i], reader.field(list_key) + "[" + std::to_string(i) + "]");
  }
  return steps;
}

/// pattern with `\s` / `\S` replaced by the White_Space property, so ICU matches what the
/// library's Oniguruma does (ICU's \s lacks U+000B and U+0085); other escapes are kept.
std::string with_unicode_space_classes(std::string_view pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      const char next = pattern[++i];
      if (next == 's') {
        out += R"(\p{White_Space})";
      } else if (next == 'S') {
        out += R"(\P{White_Space})";
      } else {
        out += '\\';
        out += next;
      }
    } else {
      out += pattern[i];
    }
  }
  return out;
}

std::shared_ptr<const icu::RegexPattern> compile_pattern(std::string_view pattern,
                                                         const std::string& field,
                                                         const std::string& source) {
  const std::string icu_pattern = with_unicode_space_classes(pattern);
  UErrorCode status = U_ZERO_ERROR;
  UParseError parse_error{};
  std::shared_ptr<const icu::RegexPattern> compiled(
      icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(icu_pattern), parse_error, status));
  BBPT_CHECK(U_SUCCESS(status) && compiled, IoError,
             source << ": field '" << field << "' is \"" << pattern
                    << "\", which ICU's regex engine rejects (" << u_errorName(status)
                    << " at offset " << parse_error.offset << ")");
  return compiled;
}

/// Pieces of text cut by the regex's matches, each match and each gap between matches its own
/// piece (Split's behaviour "Isolated"); empty matches cut nothing.
std::vector<std::string> split_isolated(const icu::RegexPattern& pattern, const std::string& text) {
  std::vector<std::string> pieces;
  UErrorCode status = U_ZERO_ERROR;
  UText* utext = utext_openUTF8(nullptr, text.data(), static_cast<int64_t>(text.size()), &status);
  std::unique_ptr<icu::RegexMatcher> matcher(pattern.matcher(status));
  BBPT_CHECK(U_SUCCESS(status), Error, "ICU regex matcher failed: " << u_errorName(status));
  matcher->reset(utext);
  size_t done = 0;  // bytes of text already in pieces
  while (matcher->find(status) && U_SUCCESS(status)) {
    const auto start = static_cast<size_t>(matcher->start64(status));
    const auto end = static_cast<size_t>(matcher->end64(status));
    if (end == start) continue;
    if (start > done) pieces.emplace_back(text, done, start - done);
    pieces.emplace_back(text, start, end - start);
    done = end;
  }
  utext_close(utext);
  BBPT_CHECK(U_SUCCESS(status), Error, "ICU regex matching failed: " << u_errorName(status));
  if (done < text.size()) pieces.emplace_back(text, done, text.size() - done);
  return pieces;
}

/// Python/Rust whitespace for lstrip/rstrip of added tokens (ASCII is what matters in practice).
bool is_strip_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

struct detail::HfBpeModel {
  struct AddedToken {
    std::string content;
    int32_t id = 0;
    bool lstrip = false;
    bool rstrip = false;
    bool normalized = false;
    bool special = false;
  };
  struct Merge {
    int32_t rank;
    int32_t merged_id;
  };
  struct PreTokenizerStep {
    std::shared_ptr<const icu::RegexPattern> split;  // set for Split and ByteLevel(use_regex)
    bool add_prefix_space = false;                   // ByteLevel only
  };

  std::string source;
  std::unordered_map<std::string, int32_t> vocab;  // byte-level token text -> id
  std::vector<std::string> id_to_text;             // byte-level text, or an added token's content
  std::vector<bool> id_is_added;
  std::vector<bool> id_is_special;  // added tokens marked "special": true
  std::vector<bool> id_is_known;
  std::unordered_map<uint64_t, Merge> merges;
  bool ignore_merges = false;
  std::array<int32_t, 256> byte_ids{};
  std::array<std::string, 256> byte_texts;  // UTF-8 of bytes_to_unicode()[b]
  std::unordered_map<char32_t, uint8_t> char_to_byte;
  std::vector<PreTokenizerStep> pre_tokenizer;
  // Added tokens matched on the raw text (normalized false), then in what is left (true); each
  // list sorted longest first, so the first match at a position is the longest.
  std::vector<AddedToken> raw_added;
  std::vector<AddedToken> normalized_added;
  std::vector<int32_t> prefix_ids;  // post-processor template around the sequence
  std::vector<int32_t> suffix_ids;
  std::vector<int32_t> eos_ids;
  int vocab_size = 0;
  bool nfc = false;  // normalizer NFC: applied to the text between raw-matched added tokens
};

namespace {

using AddedToken = detail::HfBpeModel::AddedToken;

void read_model(const Json& root, detail::HfBpeModel& m) {
  const std::string& src = m.source;
  const FieldReader model(FieldReader(root, "", src).require("model"), "model", src);
  const std::string type = model.require_string("type");
  BBPT_CHECK(
      type == "BPE", IoError,
      src << ": field 'model.type' is \"" << type
          << "\"; bbpt supports byte-level BPE tokenizers only (\"BPE\", as Llama-3 and GPT-2)");
  model.expect_absent_or("dropout", {}, "bbpt supports BPE without dropout (null)");
  model.expect_absent_or("byte_fallback", {false},
                         "bbpt supports byte-level BPE (false); a llama2.c tokenizer.bin covers "
                         "SentencePiece-style vocabularies");
  model.expect_absent_or("continuing_subword_prefix", {""}, "bbpt supports null or \"\" only");
  model.expect_absent_or("end_of_word_suffix", {""}, "bbpt supports null or \"\" only");
  m.ignore_merges = model.optional_bool("ignore_merges", false);

  const Json& vocab = model.require("vocab");
  BBPT_CHECK(vocab.is_object() && !vocab.empty(), IoError,
             src << ": field 'model.vocab' is " << brief(vocab)
                 << "; expected a non-empty object {token: id}");
  int32_t max_id = -1;
  for (const auto& [text, id_json] : vocab.items()) {
    BBPT_CHECK(id_json.is_number_integer() && id_json.get<int64_t>() >= 0 &&
                   id_json.get<int64_t>() < (int64_t{1} << 30),
               IoError,
               src << ": field 'model.vocab' maps \"" << text << "\" to " << brief(id_json)
                   << "; expected an id >= 0");
    const auto id = id_json.get<int32_t>();
    m.vocab.emplace(text, id);
    max_id = std::max(max_id, id);
  }
  m.id_to_text.assign(static_cast<size_t>(max_id) + 1, "");
  m.id_is_known.assign(m.id_to_text.size(), false);
  for (const auto& [text, id] : m.vocab) {
    m.id_to_text[id] = text;
    m.id_is_known[id] = true;
  }

  const auto table = bytes_to_unicode();
  for (int b = 0; b < 256; ++b) {
    detail::append_utf8(table[b], m.byte_texts[b]);
    m.char_to_byte.emplace(table[b], static_cast<uint8_t>(b));
    const auto it = m.vocab.find(m.byte_texts[b]);
    BBPT_CHECK(it != m.vocab.end(), IoError,
               src << ": field 'model.vocab' has no token for byte " << b << " (\""
                   << m.byte_texts[b] << "\"); a byte-level BPE vocabulary has all 256");
    m.byte_ids[b] = it->second;
  }

  const Json& merges = model.require("merges");
  BBPT_CHECK(merges.is_array(), IoError,
             src << ": field 'model.merges' is " << brief(merges) << "; expected an array");
  const auto id_of = [&](const std::string& part, size_t rank) {
    const auto it = m.vocab.find(part);
    BBPT_CHECK(it != m.vocab.end(), IoError,
               src << ": field 'model.merges[" << rank << "]' names \"" << part
                   << "\", which is not in model.vocab");
    return it->second;
  };
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const Json& merge = merges[rank];
    std::string first;
    std::string second;
    if (merge.is_string()) {
      const auto text = merge.get<std::string>();
      const size_t space = text.find(' ');
      BBPT_CHECK(space != std::string::npos && space > 0 && space + 1 < text.size() &&
                     text.find(' ', space + 1) == std::string::npos,
                 IoError,
                 src << ": field 'model.merges[" << rank << "]' is " << brief(merge)
                     << "; expected \"first second\" (one space) or [\"first\", \"second\"]");
      first = text.substr(0, space);
      second = text.substr(space + 1);
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
               merge[1].is_string()) {
      first = merge[0].get<std::string>();
      second = merge[1].get<std::string>();
    } else {
      BBPT_THROW(IoError, src << ": field 'model.merges[" << rank << "]' is " << brief(merge)
                              << "; expected \"first second\" or [\"first\", \"second\"]");
    }
    const int32_t first_id = id_of(first, rank);
    const int32_t second_id = id_of(second, rank);
    const int32_t merged_id = id_of(first + second, rank);
    // A repeated pair takes its last rank, as the library's collect() into a HashMap does.
    m.merges.insert_or_assign(detail::merge_pair_key(first_id, second_id),
                              detail::HfBpeModel::Merge{static_cast<int32_t>(rank), merged_id});
  }
}

void read_added_tokens(const Json& root, detail::HfBpeModel& m) {
  const std::string& src = m.source;
  const Json& added = FieldReader(root, "", src).get("added_tokens");
  if (added.is_null()) return;
  BBPT_CHECK(added.is_array(), IoError,
             src << ": field 'added_tokens' is " << brief(added) << "; expected an array");
  for (size_t i = 0; i < added.size(); ++i) {
    const FieldReader token(added[i], "added_tokens[" + std::to_string(i) + "]", src);
    AddedToken t;
    t.content = token.require_string("content");
    const Json& id = token.require("id");
    BBPT_CHECK(
        id.is_number_integer() && id.get<int64_t>() >= 0 && id.get<int64_t>() < (int64_t{1} << 30),
        IoError,
        src << ": field '" << token.field("id") << "' is " << brief(id) << "; expected an id >= 0");
    BBPT_CHECK(!t.content.empty(), IoError,
               src << ": field '" << token.field("content") << "' is empty");
    t.id = id.get<int32_t>();
    t.lstrip = token.optional_bool("lstrip", false);
    t.rstrip = token.optional_bool("rstrip", false);
    t.normalized = token.optional_bool("normalized", false);
    t.special = token.optional_bool("special", false);
    BBPT_CHECK(!token.optional_bool("single_word", false), IoError,
               src << ": field '" << token.field("single_word")
                   << "' is true; bbpt supports added tokens with single_word false only");
    if (static_cast<size_t>(t.id) >= m.id_to_text.size()) {
      m.id_to_text.resize(static_cast<size_t>(t.id) + 1);
      m.id_is_known.resize(m.id_to_text.size(), false);
    }
    m.id_to_text[t.id] = t.content;
    m.id_is_known[t.id] = true;
    (t.normalized ? m.normalized_added : m.raw_added).push_back(std::move(t));
  }
  m.id_is_added.assign(m.id_to_text.size(), false);
  m.id_is_special.assign(m.id_to_text.size(), false);
  for (const auto* list : {&m.raw_added, &m.normalized_added}) {
    for (const AddedToken& t : *list) {
      m.id_is_added[t.id] = true;
      m.id_is_special[t.id] = t.special;
    }
  }
  const auto longest_first = [](const AddedToken& a, const AddedToken& b) {
    return a.content.size() > b.content.size();
  };
  std::stable_sort(m.raw_added.begin(), m.raw_added.end(), longest_first);
  std::stable_sort(m.normalized_added.begin(), m.normalized_added.end(), longest_first);
}

void read_pre_tokenizer(const Json& root, detail::HfBpeModel& m) {
  const std::string& src = m.source;
  const FieldReader top(root, "", src);
  const Json& normalizer = top.get("normalizer");
  if (!normalizer.is_null()) {
    const FieldReader reader(normalizer, "normalizer", src);
    if (reader.require_string("type") != "NFC") {
      reader.unsupported("type", "no normalizer (null) or NFC (Qwen-2)");
    }
    m.nfc = true;
  }
  const Json& pre = top.require("pre_tokenizer");
  BBPT_CHECK(!pre.is_null(), IoError,
             src << ": field 'pre_tokenizer' is null; bbpt supports byte-level BPE, which needs a "
                    "ByteLevel pre-tokenizer");
  const auto steps = sequence_steps(pre, "pre_tokenizer", "pretokenizers", src);
  bool has_byte_level = false;
  for (const auto& [step_json, path] : steps) {
    const FieldReader step(*step_json, path, src);
    const std::string type = step.require_string("type");
    detail::HfBpeModel::PreTokenizerStep out;
    if (type == "Split") {
      BBPT_CHECK(!has_byte_level, IoError,
                 src << ": field '" << path
                     << "' is a Split after ByteLevel; bbpt supports Split before ByteLevel only");
      const FieldReader pattern(step.require("pattern"), step.field("pattern"), src);
      const Json& regex = pattern.get("Regex");
      if (!regex.is_string()) pattern.unsupported("Regex", "a {\"Regex\": pattern} split pattern");
      const std::string behavior = step.require_string("behavior");
      if (behavior != "Isolated") step.unsupported("behavior", "the behavior \"Isolated\" only");
      if (step.optional_bool("invert", false)) step.unsupported("invert", "invert false only");
      out.split = compile_pattern(regex.get<std::string>(), pattern.field("Regex"), src);
    } else if (type == "ByteLevel") {
      has_byte_level = true;
      out.add_prefix_space = step.optional_bool("add_prefix_space", true);
      if (step.optional_bool("use_regex", true)) {
        out.split = compile_pattern(kGpt2Pattern, step.field("use_regex"), src);
      }
    } else {
      step.unsupported("type",
                       "the pre-tokenizers Split (Regex, Isolated), ByteLevel and a "
                       "Sequence of them");
    }
    m.pre_tokenizer.push_back(std::move(out));
  }
  BBPT_CHECK(has_byte_level, IoError,
             src << ": field 'pre_tokenizer' has no ByteLevel step; bbpt supports byte-level BPE "
                    "only (Llama-3: Sequence[Split, ByteLevel])");

  const Json& decoder = top.require("decoder");
  BBPT_CHECK(!decoder.is_null(), IoError,
             src << ": field 'decoder' is null; bbpt supports the ByteLevel decoder only");
  const FieldReader decoder_reader(decoder, "decoder", src);
  if (decoder_reader.require_string("type") != "ByteLevel") {
    decoder_reader.unsupported("type", "the ByteLevel decoder only");
  }
}

/// The ids of the post-processor's single-sequence template before and after the text.
void read_post_processor(const Json& root, detail::HfBpeModel& m) {
  const std::string& src = m.source;
  const Json& post = FieldReader(root, "", src).get("post_processor");
  if (post.is_null()) return;
  const auto steps = sequence_steps(post, "post_processor", "processors", src);
  for (const auto& [step_json, path] : steps) {
    const FieldReader step(*step_json, path, src);
    const std::string type = step.require_string("type");
    if (type == "ByteLevel") continue;  // offsets only
    if (type != "TemplateProcessing") {
      step.unsupported("type",
                       "the post-processors TemplateProcessing, ByteLevel and a Sequence "
                       "of them");
    }
    BBPT_CHECK(m.prefix_ids.empty() && m.suffix_ids.empty(), IoError,
               src << ": field '" << path << "' is a second TemplateProcessing; bbpt supports one");
    const Json& single = step.require("single");
    BBPT_CHECK(single.is_array(), IoError,
               src << ": field '" << step.field("single") << "' is " << brief(single)
                   << "; expected an array");
    const FieldReader specials(step.require("special_tokens"), step.field("special_tokens"), src);
    bool seen_sequence = false;
    for (size_t i = 0; i < single.size(); ++i) {
      const std::string item_path = step.field("single") + "[" + std::to_string(i) + "]";
      const FieldReader item(single[i], item_path, src);
      if (!item.get("Sequence").is_null()) {
        BBPT_CHECK(!seen_sequence, IoError,
                   src << ": field '" << item_path << "' is a second Sequence; expected one");
        seen_sequence = true;
        continue;
      }
      const FieldReader special(item.require("SpecialToken"), item.field("SpecialToken"), src);
      const std::string name = special.require_string("id");
      const FieldReader entry(specials.require(name), specials.field(name), src);
      const Json& ids = entry.require("ids");
      BBPT_CHECK(ids.is_array(), IoError,
                 src << ": field '" << entry.field("ids") << "' is " << brief(ids)
                     << "; expected an array of ids");
      for (const Json& id : ids) {
        BBPT_CHECK(id.is_number_integer() && id.get<int64_t>() >= 0 &&
                       id.get<int64_t>() < static_cast<int64_t>(m.id_to_text.size()) &&
                       m.id_is_known[id.get<size_t>()],
                   IoError,
                   src << ": field '" << entry.field("ids") << "' has " << brief(id)
                       << ", which is not a token id of the file");
        (seen_sequence ? m.suffix_ids : m.prefix_ids).push_back(id.get<int32_t>());
      }
    }
    BBPT_CHECK(seen_sequence, IoError,
               src << ": field '" << step.field("single")
                   << "' has no {\"Sequence\": ...} item for the text");
  }
}

/// A stretch of the text to encode: an added token (added_id >= 0) or text to pre-tokenize.
struct Segment {
  std::string_view text;
  int32_t added_id;
};

/// Cuts the added tokens out of the text segments (AddedVocabulary::split_with_indices): the
/// leftmost match wins, the longest at that position; lstrip / rstrip let the match take the
/// whitespace before / after it. tokens must be sorted longest first.
std::vector<Segment> split_added_tokens(const std::vector<AddedToken>& tokens,
                                        const std::vector<Segment>& segments) {
  if (tokens.empty()) return segments;
  std::array<bool, 256> is_first_byte{};
  for (const AddedToken& t : tokens) is_first_byte[static_cast<uint8_t>(t.content[0])] = true;
  std::vector<Segment> out;
  for (const Segment& segment : segments) {
    if (segment.added_id >= 0) {
      out.push_back(segment);
      continue;
    }
    const std::string_view text = segment.text;
    size_t done = 0;  // bytes of text already in out
    for (size_t pos = 0; pos < text.size(); ++pos) {
      if (!is_first_byte[static_cast<uint8_t>(text[pos])]) continue;
      const AddedToken* match = nullptr;
      for (const AddedToken& t : tokens) {
        if (text.compare(pos, t.content.size(), t.content) == 0) {
          match = &t;
          break;
        }
      }
      if (match == nullptr) continue;
      size_t start = pos;
      size_t end = pos + match->content.size();
      if (match->lstrip) {
        while (start > done && is_strip_space(text[start - 1])) --start;
      }
      if (match->rstrip) {
        while (end < text.size() && is_strip_space(text[end])) ++end;
      }
      if (start > done) out.push_back({text.substr(done, start - done), -1});
      out.push_back({text.substr(start, end - start), match->id});
      done = end;
      pos = end - 1;
    }
    if (done < text.size()) out.push_back({text.substr(done), -1});
  }
  return out;
}

}  // namespace

HfBpeTokenizer::HfBpeTokenizer(std::shared_ptr<const detail::HfBpeModel> model)
    : model_(std::move(model)) {}

HfBpeTokenizer HfBpeTokenizer::from_file(const std::string& path, const std::string& eos_token) {
  return from_json_text(core::read_file(path), path, eos_token);
}

HfBpeTokenizer HfBpeTokenizer::from_json_text(std::string_view json_text,
                                              const std::string& source,
                                              const std::string& eos_token) {
  const Json root =
      detail::parse_json_object(json_text, source, "a Hugging Face tokenizer.json object");
  auto model = std::make_shared<detail::HfBpeModel>();
  model->source = source;
  read_model(root, *model);
  read_added_tokens(root, *model);
  if (model->id_is_added.size() != model->id_to_text.size()) {
    model->id_is_added.resize(model->id_to_text.size(), false);
  }
  read_pre_tokenizer(root, *model);
  read_post_processor(root, *model);
  model->vocab_size = static_cast<int>(model->id_to_text.size());
  HfBpeTokenizer tokenizer(model);
  if (!eos_token.empty()) {
    const auto id = tokenizer.token_id(eos_token);
    BBPT_CHECK(id.has_value(), IoError,
               source << ": has no token \"" << eos_token
                      << "\", which the tokenizer config names as eos_token");
    model->eos_ids.push_back(*id);
  }
  return tokenizer;
}

std::vector<std::string> HfBpeTokenizer::pre_tokenize(std::string_view text) const {
  std::vector<std::string> pieces{std::string(text)};
  for (const detail::HfBpeModel::PreTokenizerStep& step : model_->pre_tokenizer) {
    std::vector<std::string> next;
    for (std::string& piece : pieces) {
      // ref: byte_level.rs: the space goes in front of every piece that lacks one.
      if (step.add_prefix_space && (piece.empty() || piece[0] != ' ')) piece.insert(0, 1, ' ');
      if (!step.split) {
        next.push_back(std::move(piece));
        continue;
      }
      for (std::string& part : split_isolated(*step.split, piece)) next.push_back(std::move(part));
    }
    pieces = std::move(next);
  }
  return pieces;
}

void HfBpeTokenizer::append_piece_ids(std::string_view piece, std::vector<int32_t>& out) const {
  const detail::HfBpeModel& m = *model_;
  if (piece.empty()) return;
  if (m.ignore_merges) {
    std::string mapped;
    for (const char c : piece) mapped += m.byte_texts[static_cast<uint8_t>(c)];
    const auto it = m.vocab.find(mapped);
    if (it != m.vocab.end()) {
      out.push_back(it->second);
      return;
    }
  }
  // Word::merge_all: symbols in a linked list, candidate merges in a queue ordered by (rank,
  // position); a popped candidate whose pair no longer stands there is skipped.
  struct Symbol {
    int32_t id;
    int prev;
    int next;
    bool alive;
  };
  const int n = static_cast<int>(piece.size());
  std::vector<Symbol> symbols(piece.size());
  for (int i = 0; i < n; ++i) {
    symbols[i] = {m.byte_ids[static_cast<uint8_t>(piece[i])], i - 1, i + 1 < n ? i + 1 : -1, true};
  }
  using Candidate = std::tuple<int32_t, int, int32_t>;  // rank, position, merged id
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  const auto push_pair = [&](int pos) {
    if (pos < 0 || symbols[pos].next < 0) return;
    const auto it =
        m.merges.find(detail::merge_pair_key(symbols[pos].id, symbols[symbols[pos].next].id));
    if (it != m.merges.end()) queue.emplace(it->second.rank, pos, it->second.merged_id);
  };
  for (int i = 0; i + 1 < n; ++i) push_pair(i);
  while (!queue.empty()) {
    const auto [rank, pos, merged_id] = queue.top();
    queue.pop();
    Symbol& left = symbols[pos];
    if (!left.alive || left.next < 0) continue;
    const auto it = m.merges.find(detail::merge_pair_key(left.id, symbols[left.next].id));
    if (it == m.merges.end() || it->second.merged_id != merged_id) continue;
    Symbol& right = symbols[left.next];
    left.id = merged_id;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = pos;
    push_pair(left.prev);
    push_pair(pos);
  }
  for (int i = 0; i >= 0; i = symbols[i].next) out.push_back(symbols[i].id);
}

std::vector<int32_t> HfBpeTokenizer::encode(std::string_view text, bool add_bos) const {
  const detail::HfBpeModel& m = *model_;
  // ref: added_vocabulary.rs extract_and_normalize: tokens with normalized false are cut from
  // the raw text, the rest is normalized, then the tokens with normalized true are cut.
  std::vector<Segment> segments = split_added_tokens(m.raw_added, {{text, -1}});
  std::deque<std::string> normalized_texts;  // storage the normalized segments view
  if (m.nfc) {
    for (Segment& segment : segments) {
      if (segment.added_id >= 0 || detail::is_ascii(segment.text)) continue;
      normalized_texts.push_back(
          detail::encode_utf8(detail::normalize_nfc(detail::decode_utf8(segment.text))));
      segment.text = normalized_texts.back();
    }
  }
  segments = split_added_tokens(m.normalized_added, segments);
  std::vector<int32_t> ids;
  if (add_bos) ids = m.prefix_ids;
  for (const Segment& segment : segments) {
    if (segment.added_id >= 0) {
      ids.push_back(segment.added_id);
      continue;
    }
    if (segment.text.empty()) continue;
    for (const std::string& piece : pre_tokenize(segment.text)) append_piece_ids(piece, ids);
  }
  if (add_bos) ids.insert(ids.end(), m.suffix_ids.begin(), m.suffix_ids.end());
  return ids;
}

std::string HfBpeTokenizer::decode(const std::vector<int32_t>& ids) const {
  const detail::HfBpeModel& m = *model_;
  std::string bytes;
  for (const int32_t id : ids) {
    BBPT_CHECK(id >= 0 && id < m.vocab_size && m.id_is_known[id], ConfigError,
               "token id " << id << " is not in the vocabulary of " << m.source << " (size "
                           << m.vocab_size << ")");
    const std::string& text = m.id_to_text[id];
    if (m.id_is_added[id]) {
      bytes += text;
      continue;
    }
    // ByteLevel decoder: a token with a character outside the byte alphabet keeps its UTF-8.
    std::string token_bytes;
    bool all_mapped = true;
    for (size_t pos = 0; pos < text.size() && all_mapped;) {
      const auto it = m.char_to_byte.find(detail::next_code_point(text, pos));
      all_mapped = it != m.char_to_byte.end();
      if (all_mapped) token_bytes += static_cast<char>(it->second);
    }
    bytes += all_mapped ? token_bytes : text;
  }
  return detail::encode_utf8(detail::decode_utf8(bytes));
}

std::optional<int32_t> HfBpeTokenizer::bos_id() const {
  if (model_->prefix_ids.empty()) return std::nullopt;
  return model_->prefix_ids.front();
}

std::vector<int32_t> HfBpeTokenizer::eos_ids() const { return model_->eos_ids; }

bool HfBpeTokenizer::is_special(int32_t id) const {
  return id >= 0 && static_cast<size_t>(id) < model_->id_is_special.size() &&
         model_->id_is_special[id];
}

int HfBpeTokenizer::vocab_size() const { return model_->vocab_size; }

std::optional<int32_t> HfBpeTokenizer::token_id(std::string_view token_text) const {
  for (const auto* list : {&model_->raw_added, &model_->normalized_added}) {
    for (const AddedToken& t : *list) {
      if (t.content == token_text) return t.id;
    }
  }
  const auto it = model_->vocab.find(std::string(token_text));
  if (it == model_->vocab.end()) return std::nullopt;
  return it->second;
}

}  // namespace bbpt::tokenizer
