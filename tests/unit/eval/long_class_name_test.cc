// SPDX-License-Identifier: MIT
// Issue #18: a class name too long for CLIP's 77-token context (with the template) is cut; that
// must be said, once per class, naming the class, the template and the token count, and the
// result must still be the one clip.tokenize(truncate=True) gives. Through `bbpt zeroshot`, and
// ClassPrompts directly.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bbpt/eval/class_prompts.h"
#include "bbpt/eval/zero_shot.h"
#include "image_folder_writer.h"
#include "run_fixture.h"

namespace {
namespace fs = std::filesystem;

const std::string kVocab = std::string(BBPT_SHARED_DIR) + "/assets/bpe_simple_vocab_16e6.txt.gz";

// 90 one-letter words: 90 tokens before the template's.
std::string long_class_name() {
  std::string name;
  for (int i = 0; i < 90; ++i) name += std::string(i ? "_" : "") + static_cast<char>('a' + i % 26);
  return name;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(ClassPrompts, CutPromptsEqualClipTruncationAndAreReportedOncePerClass) {
  if (!fs::exists(kVocab)) GTEST_SKIP() << "no vocabulary at " << kVocab;
  const auto tokenizer = bbpt::tokenizer::ClipTokenizer::from_file(kVocab);
  const std::vector<std::string> names = {"cat", long_class_name()};
  bbpt::eval::ClassPrompts prompts(tokenizer, names, 77);
  const auto tokens = prompts.tokenize("a photo of a {}.");
  const auto expected = bbpt::eval::tokenize_texts(
      tokenizer, {"a photo of a cat.", bbpt::eval::fill_template("a photo of a {}.", names[1])},
      77);
  EXPECT_TRUE(torch::equal(tokens, expected));
  EXPECT_EQ(tokens[1][76].item<int64_t>(), bbpt::tokenizer::kEotToken);
  prompts.tokenize("a {}.");
  const auto cut = prompts.truncated();
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_EQ(cut[0].class_name, names[1]);
  EXPECT_EQ(cut[0].text_template, "a photo of a {}.");
  EXPECT_EQ(cut[0].num_tokens, 2 + 4 + 90 + 1);  // SOT, "a photo of a", the letters, ".", EOT
  // A class that fits exactly (77 with SOT and EOT) is not cut.
  std::string fits;
  for (int i = 0; i < 75; ++i) fits += std::string(i ? " " : "") + "a";
  bbpt::eval::ClassPrompts exact(tokenizer, {fits}, 77);
  exact.tokenize("{}");
  EXPECT_TRUE(exact.truncated().empty());
}

TEST(LongClassName, ZeroshotWarnsOncePerClassNamingClassTemplateAndTokens) {
  if (!fs::exists(bbpt::testing::kGoldenModel) || !fs::exists(kVocab)) {
    GTEST_SKIP() << "no golden model or vocabulary";
  }
  const fs::path root = fs::temp_directory_path() / "bbpt_long_class_name_test";
  fs::remove_all(root);
  const std::string name = long_class_name();
  for (int i = 0; i < 2; ++i) {
    bbpt::testing::write_image_file(root / "ds/test", "cat", std::to_string(i) + ".png",
                                    bbpt::testing::noise_png(32, 1 + i, 4000));
    bbpt::testing::write_image_file(root / "ds/test", name, std::to_string(i) + ".png",
                                    bbpt::testing::noise_png(32, 10 + i, 4000));
  }
  const std::string out = (root / "result.json").string();
  const auto r = bbpt::testing::run_to_end(
      {BBPT_EXECUTABLE, "--cache-dir", (root / "cache").string(), "--assets",
       std::string(BBPT_SHARED_DIR) + "/assets", "zeroshot", "--model", bbpt::testing::kGoldenModel,
       "--dataset", (root / "ds").string(), "--split", "test", "--template", "a photo of a {}.",
       "--template", "a {}.", "--out", out});
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(count_of(r.output, "class '" + name + "' does not fit"), 1u) << r.output;
  EXPECT_NE(r.output.find("template 'a photo of a {}.': 97 tokens"), std::string::npos) << r.output;
  EXPECT_EQ(count_of(r.output, "does not fit"), 1u) << r.output;  // not for 'cat'
  // The run still gives its result, over all four images.
  const auto json = nlohmann::json::parse(bbpt::core::read_file(out));
  EXPECT_EQ(json.at("num_images").get<int64_t>(), 4);
}

}  // namespace
