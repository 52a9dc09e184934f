// SPDX-License-Identifier: MIT
// Zero-shot evaluation: the accuracy arithmetic on constructed features, the ensemble rule
// (one template is its own ensemble; the ensemble reuses the per-template features), and one
// report entry per template, checked on a small random CLIP with the real tokenizer.
#include "bbpt/eval/zero_shot.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "bbpt/core/error.h"
#include "small_clip.h"

namespace bbpt::eval {
namespace {

const char* const kVocabPath = BBPT_SHARED_DIR "/assets/bpe_simple_vocab_16e6.txt.gz";

// Unit-row class features [C, E] of C orthogonal-ish random directions.
torch::Tensor random_unit_rows(int64_t rows, int64_t cols, uint64_t seed) {
  torch::manual_seed(seed);
  auto x = torch::randn({rows, cols});
  return x / x.norm(2, -1, true);
}

// Images that are (scaled) copies of their class's feature must all be classified correctly:
// the accuracy path normalises images and compares argmax with the label.
TEST(ZeroShot, ImagesEqualToClassFeaturesGiveFullAccuracy) {
  const auto classes = random_unit_rows(5, 16, 1);                         // [C, E]
  const auto labels = torch::tensor({0, 1, 2, 3, 4, 2, 1}, torch::kLong);  // [N]
  const auto images = classes.index_select(0, labels) * 3.5;               // [N, E], any scale
  const auto result = evaluate_zero_shot(images, labels, classes);
  EXPECT_EQ(result.num_images, 7);
  EXPECT_EQ(result.num_correct, 7);
  EXPECT_DOUBLE_EQ(result.accuracy(), 1.0);
}

// Known mix of right and wrong labels gives exactly that fraction (accuracy is a fraction).
TEST(ZeroShot, AccuracyIsFractionOfCorrectTop1) {
  const auto classes = random_unit_rows(4, 16, 2);
  const auto truth = torch::tensor({0, 1, 2, 3, 0, 1, 2, 3}, torch::kLong);
  const auto images = classes.index_select(0, truth);
  const auto labels = torch::tensor({0, 1, 2, 3, 1, 2, 3, 0}, torch::kLong);  // half wrong
  const auto result = evaluate_zero_shot(images, labels, classes);
  EXPECT_EQ(result.num_correct, 4);
  EXPECT_DOUBLE_EQ(result.accuracy(), 0.5);
  EXPECT_DOUBLE_EQ(ZeroShotResult{}.accuracy(), 0.0);
}

// Per-template results are per template, in order; the best is the most accurate (first on ties);
// the ensemble is computed from the same per-template features.
TEST(ZeroShot, ReportHasOneEntryPerTemplateAndEnsemble) {
  const auto good = random_unit_rows(4, 16, 3);
  const auto bad = good.roll(1, 0);  // class c's feature moved to row c + 1: every image wrong
  const auto labels = torch::tensor({0, 1, 2, 3, 3, 2}, torch::kLong);
  const auto images = good.index_select(0, labels);
  const std::vector<std::string> templates = {"bad {}.", "good {}.", "also good {}."};
  const auto report = evaluate_templates(images, labels, {bad, good, good}, templates);
  ASSERT_EQ(report.per_template.size(), 3u);
  EXPECT_EQ(report.per_template[0].text_template, "bad {}.");
  EXPECT_EQ(report.per_template[0].result.num_correct, 0);
  EXPECT_EQ(report.per_template[1].result.num_correct, 6);
  EXPECT_EQ(report.per_template[2].result.num_correct, 6);
  EXPECT_EQ(report.best_template(), 1u);
  const auto expected =
      evaluate_zero_shot(images, labels, ensemble_text_features({bad, good, good}));
  EXPECT_EQ(report.ensemble.num_images, 6);
  EXPECT_EQ(report.ensemble.num_correct, expected.num_correct);
}

// A single template is its own ensemble: the renormalised mean of one unit-row matrix is itself.
TEST(ZeroShot, EnsembleOfOneIsThatTemplate) {
  const auto features = random_unit_rows(6, 16, 4);
  EXPECT_TRUE(torch::allclose(ensemble_text_features({features}), features, 1e-6, 1e-7));
  const auto labels = torch::tensor({0, 1, 2, 3, 4, 5}, torch::kLong);
  const auto images = random_unit_rows(6, 16, 5);
  const auto report = evaluate_templates(images, labels, {features}, {"a {}."});
  EXPECT_EQ(report.ensemble.num_correct, report.per_template[0].result.num_correct);
  EXPECT_EQ(report.ensemble.num_correct, evaluate_zero_shot(images, labels, features).num_correct);
}

TEST(ZeroShot, BadTemplateListsAreConfigErrors) {
  const auto features = random_unit_rows(2, 8, 6);
  const auto images = random_unit_rows(3, 8, 7);
  const auto labels = torch::tensor({0, 1, 0}, torch::kLong);
  EXPECT_THROW(evaluate_templates(images, labels, {}, {}), ConfigError);
  EXPECT_THROW(evaluate_templates(images, labels, {features, features}, {"a {}", "a {}"}),
               ConfigError);
  EXPECT_THROW(evaluate_templates(images, labels, {features}, {"a {}", "b {}"}), ConfigError);
  EXPECT_THROW(fill_template("no slot", "cat"), ConfigError);
  EXPECT_EQ(fill_template("a photo of a {}.", "sea_lion"), "a photo of a sea lion.");
}

// With the real model path: each template is encoded once into unit rows, the ensemble of the
// per-template features equals class_text_features, and one template's report equals its own
// evaluation.
TEST(ZeroShot, RandomClipPerTemplateFeaturesAndEnsemble) {
  if (!std::filesystem::exists(kVocabPath)) GTEST_SKIP() << "no vocabulary at " << kVocabPath;
  const auto tokenizer = tokenizer::ClipTokenizer::from_file(kVocabPath);
  auto model = testing::random_clip(testing::small_clip_config(32, 16, 49408, 1));
  const std::vector<std::string> class_names = {"cat", "golden_retriever", "tulip"};
  const std::vector<std::string> templates = {"a photo of a {}.", "a drawing of a {}.",
                                              "itap of the {}."};
  const auto per_template = per_template_text_features(model, tokenizer, class_names, templates);
  ASSERT_EQ(per_template.size(), templates.size());
  for (const auto& features : per_template) {
    ASSERT_EQ(features.sizes(), (std::vector<int64_t>{3, 32}));
    EXPECT_TRUE(torch::allclose(features.norm(2, -1), torch::ones({3}), 1e-5, 1e-6));
  }
  EXPECT_FALSE(torch::allclose(per_template[0], per_template[1], 1e-3, 1e-3));
  const auto ensemble = class_text_features(model, tokenizer, class_names, templates);
  EXPECT_TRUE(torch::allclose(ensemble, ensemble_text_features(per_template), 1e-5, 1e-6));

  // Images equal to the ensemble's class features: the ensemble gets them all right.
  const auto labels = torch::tensor({0, 1, 2, 2, 0}, torch::kLong);
  const auto images = ensemble.index_select(0, labels) * 0.25;
  const auto report = evaluate_templates(images, labels, model, tokenizer, class_names, templates);
  ASSERT_EQ(report.per_template.size(), 3u);
  EXPECT_EQ(report.ensemble.num_correct, 5);
  for (size_t t = 0; t < templates.size(); ++t) {
    EXPECT_EQ(report.per_template[t].text_template, templates[t]);
    EXPECT_EQ(report.per_template[t].result.num_correct,
              evaluate_zero_shot(images, labels, per_template[t]).num_correct);
  }

  const auto single =
      evaluate_templates(images, labels, model, tokenizer, class_names, {templates[1]});
  EXPECT_EQ(single.ensemble.num_correct, single.per_template[0].result.num_correct);
  EXPECT_EQ(single.per_template[0].result.num_correct, report.per_template[1].result.num_correct);
}

}  // namespace
}  // namespace bbpt::eval
