// SPDX-License-Identifier: MIT
// Unit tests of HfBpeTokenizer on small tokenizer.json files built here: byte-level round trips,
// the merge order, ignore_merges, both merge forms, added tokens cut from the raw text, the
// post-processor's BOS, and one clear error per unsupported or malformed field.
#include "bbpt/tokenizer/hf_bpe_tokenizer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../llm/temp_dir.h"
#include "bbpt/core/error.h"
#include "bbpt/tokenizer/bpe_vocab.h"
#include "bbpt/tokenizer/llm_tokenizer.h"
#include "expect_error.h"

namespace bbpt::tokenizer {
namespace {

using Json = nlohmann::json;

constexpr const char* kJsonSource = "test/tokenizer.json";
/// Llama-3's split pattern, as its tokenizer.json has it.
constexpr const char* kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

std::string byte_text(uint8_t b) {
  std::string out;
  const char32_t c = bytes_to_unicode()[b];
  // Code points of the byte alphabet are below U+0800: one or two UTF-8 bytes.
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

/// A Llama-3-shaped tokenizer.json: the 256 byte tokens (ids 0..255), then each merge's result in
/// order, added tokens <|bos|> (1000) and <|eot|> (1001), BOS through TemplateProcessing.
Json make_tokenizer(const std::vector<std::string>& merges, bool ignore_merges = false) {
  Json vocab = Json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_text(static_cast<uint8_t>(b))] = b;
  Json merge_list = Json::array();
  for (const std::string& merge : merges) {
    const size_t space = merge.find(' ');
    const std::string merged = merge.substr(0, space) + merge.substr(space + 1);
    if (!vocab.contains(merged)) vocab[merged] = static_cast<int>(vocab.size());
    merge_list.push_back(merge);
  }
  Json root;
  root["version"] = "1.0";
  root["added_tokens"] = Json::array(
      {{{"id", 1000}, {"content", "<|bos|>"}, {"special", true}, {"normalized", false}},
       {{"id", 1001}, {"content", "<|eot|>"}, {"special", true}, {"normalized", false}}});
  root["normalizer"] = nullptr;
  root["pre_tokenizer"] = {{"type", "Sequence"},
                           {"pretokenizers", Json::array({{{"type", "Split"},
                                                           {"pattern", {{"Regex", kLlama3Pattern}}},
                                                           {"behavior", "Isolated"},
                                                           {"invert", false}},
                                                          {{"type", "ByteLevel"},
                                                           {"add_prefix_space", false},
                                                           {"trim_offsets", true},
                                                           {"use_regex", false}}})}};
  root["post_processor"] = {
      {"type", "TemplateProcessing"},
      {"single", Json::array({{{"SpecialToken", {{"id", "<|bos|>"}, {"type_id", 0}}}},
                              {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
      {"special_tokens", {{"<|bos|>", {{"id", "<|bos|>"}, {"ids", {1000}}}}}}};
  root["decoder"] = {{"type", "ByteLevel"}};
  root["model"] = {{"type", "BPE"},
                   {"dropout", nullptr},
                   {"unk_token", nullptr},
                   {"byte_fallback", false},
                   {"ignore_merges", ignore_merges},
                   {"vocab", vocab},
                   {"merges", merge_list}};
  return root;
}

HfBpeTokenizer load(const Json& root) {
  return HfBpeTokenizer::from_json_text(root.dump(), kJsonSource);
}

int32_t id_of(const HfBpeTokenizer& t, const std::string& token) {
  const auto id = t.token_id(token);
  EXPECT_TRUE(id.has_value()) << token;
  return id.value_or(-1);
}

// Byte-level BPE must be lossless on any UTF-8 text, including what no merge covers.
TEST(HfBpeTokenizer, RoundTripsArbitraryUtf8) {
  const HfBpeTokenizer t = load(make_tokenizer({"Ġ t", "h e", "Ġt he"}));
  for (const std::string text : {"the theme", "café naïve — “quotes” 東京 🙂",
                                 " \t\n\r x  ", "3.14159 and 12345678", "", "don't it's WE'LL"}) {
    EXPECT_EQ(t.decode(t.encode(text, false)), text) << text;
    EXPECT_EQ(t.decode(t.encode(text, true)), "<|bos|>" + text) << text;
  }
  // Bytes that are not UTF-8 still encode to their byte tokens; decode is lossy like the library.
  EXPECT_EQ(t.encode("\xff", false), std::vector<int32_t>{id_of(t, byte_text(0xff))});
  EXPECT_EQ(t.decode(t.encode("a\xff", false)), "a\xEF\xBF\xBD");
}

TEST(HfBpeTokenizer, MergesLowestRankFirst) {
  // "abc": with "b c" ranked before "a b" the result is a|bc, the other order gives ab|c.
  const HfBpeTokenizer bc_first = load(make_tokenizer({"b c", "a b"}));
  EXPECT_EQ(bc_first.encode("abc", false),
            (std::vector<int32_t>{id_of(bc_first, "a"), id_of(bc_first, "bc")}));
  const HfBpeTokenizer ab_first = load(make_tokenizer({"a b", "b c"}));
  EXPECT_EQ(ab_first.encode("abc", false),
            (std::vector<int32_t>{id_of(ab_first, "ab"), id_of(ab_first, "c")}));
  // Equal pairs merge leftmost first: "aaa" -> aa|a.
  const HfBpeTokenizer aa = load(make_tokenizer({"a a"}));
  EXPECT_EQ(aa.encode("aaa", false), (std::vector<int32_t>{id_of(aa, "aa"), id_of(aa, "a")}));
  // A pre-token is its own BPE word: the space never merges with the word before it.
  const HfBpeTokenizer the = load(make_tokenizer({"Ġ t", "h e", "Ġt he"}));
  EXPECT_EQ(the.encode("the the", false),
            (std::vector<int32_t>{id_of(the, "t"), id_of(the, "he"), id_of(the, "Ġthe")}));
}

TEST(HfBpeTokenizer, PairMergeFormEqualsStringForm) {
  Json pairs = make_tokenizer({"Ġ t", "h e", "Ġt he"});
  const HfBpeTokenizer strings = load(pairs);
  pairs["model"]["merges"] =
      Json::array({Json::array({"Ġ", "t"}), Json::array({"h", "e"}), Json::array({"Ġt", "he"})});
  const HfBpeTokenizer arrays = load(pairs);
  for (const std::string text : {"the theme", " then", "t h e"}) {
    EXPECT_EQ(strings.encode(text, true), arrays.encode(text, true)) << text;
  }
  EXPECT_EQ(arrays.encode(" the", false), std::vector<int32_t>{id_of(arrays, "Ġthe")});
}

TEST(HfBpeTokenizer, IgnoreMergesEmitsAPreTokenInTheVocabWhole) {
  // "Ġhello" is in the vocabulary but no merge sequence builds it from bytes.
  Json root = make_tokenizer({"h e", "l l"}, /*ignore_merges=*/true);
  root["model"]["vocab"]["Ġhello"] = 900;
  const HfBpeTokenizer ignoring = load(root);
  EXPECT_EQ(ignoring.encode(" hello", false), std::vector<int32_t>{900});
  root["model"]["ignore_merges"] = false;
  const HfBpeTokenizer merging = load(root);
  EXPECT_EQ(merging.encode(" hello", false),
            (std::vector<int32_t>{id_of(merging, "Ġ"), id_of(merging, "he"), id_of(merging, "ll"),
                                  id_of(merging, "o")}));
}

TEST(HfBpeTokenizer, AddedTokensAreMatchedInTheRawTextFirst) {
  const HfBpeTokenizer t = load(make_tokenizer({"Ġ t", "h e", "Ġt he"}));
  const int32_t he = id_of(t, "he");
  const int32_t h = id_of(t, "h");
  // Between added tokens the text is pre-tokenized on its own: "he" after <|eot|> has no space.
  EXPECT_EQ(t.encode("he<|eot|>he", false), (std::vector<int32_t>{he, 1001, he}));
  EXPECT_EQ(t.encode("<|eot|><|eot|>", true), (std::vector<int32_t>{1000, 1001, 1001}));
  EXPECT_EQ(t.encode("<|bos|>h", false), (std::vector<int32_t>{1000, h}));
  // A partial special token is plain text.
  const std::vector<int32_t> partial = t.encode("<|eot|", false);
  EXPECT_EQ(std::find(partial.begin(), partial.end(), 1001), partial.end());
  EXPECT_EQ(t.decode({he, 1001, 1000}), "he<|eot|><|bos|>");
}

TEST(HfBpeTokenizer, LongestAddedTokenWinsAndStripFlagsTakeWhitespace) {
  Json root = make_tokenizer({});
  root["added_tokens"].push_back({{"id", 1002}, {"content", "<|eot|>x"}, {"normalized", false}});
  root["added_tokens"].push_back({{"id", 1003},
                                  {"content", "[M]"},
                                  {"lstrip", true},
                                  {"rstrip", true},
                                  {"normalized", false}});
  const HfBpeTokenizer t = load(root);
  EXPECT_EQ(t.encode("<|eot|>x<|eot|>", false), (std::vector<int32_t>{1002, 1001}));
  EXPECT_EQ(t.encode("a  [M]  b", false),
            (std::vector<int32_t>{id_of(t, "a"), 1003, id_of(t, "b")}));
}

TEST(HfBpeTokenizer, PostProcessorDecidesBos) {
  Json root = make_tokenizer({});
  EXPECT_EQ(load(root).bos_id(), std::optional<int32_t>(1000));
  EXPECT_EQ(load(root).encode("", true), std::vector<int32_t>{1000});
  // Llama-3.1 wraps the template in a Sequence after a ByteLevel processor.
  root["post_processor"] = {
      {"type", "Sequence"},
      {"processors", Json::array({{{"type", "ByteLevel"}}, root["post_processor"]})}};
  EXPECT_EQ(load(root).encode("a", true), (std::vector<int32_t>{1000, 97}));
  root["post_processor"] = nullptr;
  EXPECT_EQ(load(root).bos_id(), std::nullopt);
  EXPECT_EQ(load(root).encode("a", true), std::vector<int32_t>{97});
}

TEST(HfBpeTokenizer, PreTokenizerFollowsThePatternAndUnicodeWhitespace) {
  const HfBpeTokenizer t = load(make_tokenizer({}));
  EXPECT_EQ(
      t.pre_tokenize("don't  stop 12345!!\n\nok"),
      (std::vector<std::string>{"don", "'t", " ", " stop", " ", "123", "45", "!!\n\n", "ok"}));
  // \s is Unicode White_Space, as in the library's Oniguruma: U+000B and U+0085 included.
  Json root = make_tokenizer({});
  root["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = R"(\s+|\S+)";
  const HfBpeTokenizer spaces = load(root);
  EXPECT_EQ(spaces.pre_tokenize("a\vb\xC2\x85"
                                "c"),
            (std::vector<std::string>{"a", "\v", "b", "\xC2\x85", "c"}));
  // GPT-2 style: ByteLevel with its own regex and a prefix space.
  root["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}};
  EXPECT_EQ(load(root).pre_tokenize("Hello world"), (std::vector<std::string>{" Hello", " world"}));
}

// Qwen-2's normalizer: NFC between the added tokens, so a decomposed "é" encodes as the composed
// one.
TEST(HfBpeTokenizer, NfcNormalizerComposesTheTextBetweenAddedTokens) {
  Json root = make_tokenizer({});
  const std::string decomposed = "e\xCC\x81";  // e + U+0301
  const std::string composed = "\xC3\xA9";     // U+00E9
  EXPECT_NE(load(root).encode(decomposed, false), load(root).encode(composed, false));
  root["normalizer"] = {{"type", "NFC"}};
  const HfBpeTokenizer nfc = load(root);
  EXPECT_EQ(nfc.encode(decomposed + "<|eot|>" + decomposed, false),
            (std::vector<int32_t>{id_of(nfc, byte_text(0xC3)), id_of(nfc, byte_text(0xA9)), 1001,
                                  id_of(nfc, byte_text(0xC3)), id_of(nfc, byte_text(0xA9))}));
}

TEST(HfBpeTokenizer, RejectsIdsOutsideTheVocabulary) {
  const HfBpeTokenizer t = load(make_tokenizer({}));
  EXPECT_EQ(t.vocab_size(), 1002);
  EXPECT_THROW(t.decode({-1}), ConfigError);
  EXPECT_THROW(t.decode({1002}), ConfigError);
  EXPECT_THROW(t.decode({500}), ConfigError);  // a hole between the vocabulary and added tokens
}

// Every malformed or unsupported file gets one line naming the file, the field and the value.
TEST(HfBpeTokenizer, NamesTheFileFieldAndValueOfUnsupportedInput) {
  const auto expect_rejected = [](const Json& root, std::initializer_list<std::string> fragments) {
    expect_error_naming<IoError>([&] { load(root); }, fragments);
  };
  Json root = make_tokenizer({"a b"});
  root["model"]["type"] = "WordPiece";
  expect_rejected(root, {kJsonSource, "model.type", "WordPiece", "BPE"});
  root["model"]["type"] = "Unigram";
  expect_rejected(root, {kJsonSource, "model.type", "Unigram"});

  root = make_tokenizer({"a b"});
  root["model"].erase("vocab");
  expect_rejected(root, {kJsonSource, "'model.vocab' is missing"});
  root = make_tokenizer({"a b"});
  root["model"].erase("merges");
  expect_rejected(root, {kJsonSource, "'model.merges' is missing"});
  root = make_tokenizer({"a b"});
  root.erase("model");
  expect_rejected(root, {kJsonSource, "'model' is missing"});
  root = make_tokenizer({"a b"});
  root["model"]["merges"] = Json::array({"ab"});
  expect_rejected(root, {kJsonSource, "model.merges[0]", "\"ab\""});
  root["model"]["merges"] = Json::array({"a zz"});
  expect_rejected(root, {kJsonSource, "model.merges[0]", "\"zz\"", "not in model.vocab"});
  root["model"]["merges"] = Json::array({Json::array({"a"})});
  expect_rejected(root, {kJsonSource, "model.merges[0]"});
  root = make_tokenizer({});
  root["model"]["vocab"].erase(byte_text('a'));
  expect_rejected(root, {kJsonSource, "model.vocab", "byte 97"});
  root = make_tokenizer({});
  root["model"]["byte_fallback"] = true;
  expect_rejected(root, {kJsonSource, "model.byte_fallback", "true"});
  root = make_tokenizer({});
  root["model"]["dropout"] = 0.1;
  expect_rejected(root, {kJsonSource, "model.dropout", "0.1"});

  root = make_tokenizer({});
  root["normalizer"] = {{"type", "NFKC"}};
  expect_rejected(root, {kJsonSource, "normalizer.type", "NFKC"});
  root = make_tokenizer({});
  root["pre_tokenizer"] = {{"type", "Metaspace"}};
  expect_rejected(root, {kJsonSource, "pre_tokenizer.type", "Metaspace"});
  root = make_tokenizer({});
  root["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Removed";
  expect_rejected(root, {kJsonSource, "pre_tokenizer.pretokenizers[0].behavior", "Removed"});
  root = make_tokenizer({});
  root["pre_tokenizer"]["pretokenizers"][0]["pattern"] = {{"String", " "}};
  expect_rejected(root, {kJsonSource, "pre_tokenizer.pretokenizers[0].pattern.Regex"});
  root["pre_tokenizer"]["pretokenizers"][0]["pattern"] = {{"Regex", "(unclosed"}};
  expect_rejected(root, {kJsonSource, "pre_tokenizer.pretokenizers[0].pattern.Regex", "(unclosed"});
  root = make_tokenizer({});
  root["pre_tokenizer"]["pretokenizers"].erase(1);
  expect_rejected(root, {kJsonSource, "pre_tokenizer", "no ByteLevel"});
  root = make_tokenizer({});
  root["decoder"] = {{"type", "WordPiece"}};
  expect_rejected(root, {kJsonSource, "decoder.type", "WordPiece"});
  root = make_tokenizer({});
  root["post_processor"] = {{"type", "BertProcessing"}};
  expect_rejected(root, {kJsonSource, "post_processor.type", "BertProcessing"});
  root = make_tokenizer({});
  root["post_processor"]["special_tokens"]["<|bos|>"]["ids"] = {5000};
  expect_rejected(root, {kJsonSource, "post_processor.special_tokens.<|bos|>.ids", "5000"});
  root = make_tokenizer({});
  root["added_tokens"][0].erase("content");
  expect_rejected(root, {kJsonSource, "'added_tokens[0].content' is missing"});
  root = make_tokenizer({});
  root["added_tokens"][1]["single_word"] = true;
  expect_rejected(root, {kJsonSource, "added_tokens[1].single_word"});

  expect_error_naming<IoError>([] { HfBpeTokenizer::from_json_text("{\"model\": [", kJsonSource); },
                               {kJsonSource, "not valid JSON"});
  expect_error_naming<IoError>([] { HfBpeTokenizer::from_json_text("[1, 2]", kJsonSource); },
                               {kJsonSource, "top level is array"});
  expect_error_naming<IoError>(
      [] { HfBpeTokenizer::from_json_text(make_tokenizer({}).dump(), kJsonSource, "<|nope|>"); },
      {kJsonSource, "<|nope|>", "eos_token"});
  expect_error_naming<IoError>([] { HfBpeTokenizer::from_file("/nonexistent/tokenizer.json"); },
                               {"/nonexistent/tokenizer.json"});
}

// A checkpoint directory gives the tokenizer.json reader, with tokenizer_config.json's eos token.
TEST(LoadLlmTokenizer, ReadsACheckpointDirectory) {
  const llm::TempDir dir;
  expect_error_naming<IoError>([&] { load_llm_tokenizer(dir.path()); },
                               {dir.path(), "no tokenizer.json"});
  std::ofstream(dir.path() + "/tokenizer.json") << make_tokenizer({"a b"}).dump();
  EXPECT_EQ(load_llm_tokenizer(dir.path())->eos_ids(), std::vector<int32_t>{});
  std::ofstream(dir.path() + "/tokenizer_config.json")
      << nlohmann::json({{"eos_token", {{"content", "<|eot|>"}}}}).dump();
  const auto tokenizer = load_llm_tokenizer(dir.path());
  ASSERT_NE(dynamic_cast<const HfBpeTokenizer*>(tokenizer.get()), nullptr);
  EXPECT_EQ(tokenizer->eos_ids(), std::vector<int32_t>{1001});
  EXPECT_EQ(tokenizer->encode("ab", true), (std::vector<int32_t>{1000, 256}));
  EXPECT_EQ(load_llm_tokenizer(dir.path() + "/tokenizer.json")->eos_ids(),
            std::vector<int32_t>{1001});
  expect_error_naming<IoError>([&] { load_llm_tokenizer(dir.path() + "/nothing"); },
                               {dir.path() + "/nothing", "no such file"});
}

}  // namespace
}  // namespace bbpt::tokenizer
