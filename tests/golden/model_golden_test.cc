// SPDX-License-Identifier: MIT
// Parity with the openai/CLIP reference code: both released-layout fixtures (ViT and
// ModifiedResNet, fp16 TorchScript archives) must reproduce image/text features, logits and
// CoOp-style soft-prompt features to rel_err <= 1e-4, and the state-dict path must load the same
// weights.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/model/checkpoint.h"
#include "bbpt/model/reference_check.h"

namespace bbpt::model {
namespace {

const std::string kGolden = std::string(BBPT_SHARED_DIR) + "/assets/golden/";

class ModelGolden : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!core::is_regular_file(kGolden + GetParam() + "_openai.pt")) {
      GTEST_SKIP() << "golden fixtures not found under " << kGolden;
    }
  }
};

TEST_P(ModelGolden, MatchesReferenceOutputs) {
  ClipModel model = load_clip(kGolden + GetParam() + "_openai.pt");
  const auto results = check_against_reference(model, kGolden + GetParam() + "_reference.pt");
  EXPECT_EQ(results.size(), 5u);
  for (const auto& r : results) {
    std::cout << GetParam() << " " << r.name << " max_abs_err=" << r.max_abs_err
              << " rel_err=" << r.rel_err << "\n";
    EXPECT_LE(r.rel_err, 1e-4) << r.name;
  }
}

TEST_P(ModelGolden, StateDictWithWrapperAndPrefixLoadsTheSameWeights) {
  // An open_clip-style file: {"state_dict": {"module.<name>": tensor}, "epoch": 3}, written in the
  // torch.save zip format by torch::pickle_save.
  const StateDict jit_state = read_state_dict(kGolden + GetParam() + "_openai.pt");
  c10::Dict<std::string, torch::Tensor> weights;
  for (const auto& [name, tensor] : jit_state.entries) weights.insert("module." + name, tensor);
  c10::impl::GenericDict wrapper(c10::StringType::get(), c10::AnyType::get());
  wrapper.insert("state_dict", weights);
  wrapper.insert("epoch", 3);
  const auto bytes = torch::pickle_save(wrapper);
  const std::string path =
      (std::filesystem::temp_directory_path() / ("bbpt_state_dict_" + GetParam() + ".pt")).string();
  core::write_file_atomic(path, std::string(bytes.begin(), bytes.end()));

  const StateDict loaded = read_state_dict(path);
  EXPECT_EQ(loaded.format, CheckpointFormat::kStateDict);
  EXPECT_EQ(loaded.entries.size(), jit_state.entries.size());
  ClipModel model = load_clip(path);
  for (const auto& r : check_against_reference(model, kGolden + GetParam() + "_reference.pt")) {
    EXPECT_LE(r.rel_err, 1e-4) << r.name;
  }
}

TEST_P(ModelGolden, InferredConfigurationMatchesFixtureDescription) {
  const ClipConfig config =
      infer_clip_config(read_state_dict(kGolden + GetParam() + "_openai.pt").shapes(), "fixture");
  // shared/assets/README.md: ViT embed 64, 32px, patch 8, width 128 x 2 layers, text 128 x 2;
  // RN layers (1,1,1,1), width 16, 64px.
  EXPECT_EQ(config.embed_dim, 64);
  EXPECT_EQ(config.transformer_width, 128);
  EXPECT_EQ(config.transformer_layers, 2);
  EXPECT_EQ(config.context_length, 77);
  EXPECT_EQ(config.vocab_size, 49408);
  if (GetParam() == "tiny_vit") {
    EXPECT_TRUE(config.is_vit());
    EXPECT_EQ(config.image_resolution, 32);
    EXPECT_EQ(config.vision_patch_size, 8);
    EXPECT_EQ(config.vision_width, 128);
    EXPECT_EQ(config.vision_layers, std::vector<int64_t>{2});
  } else {
    EXPECT_FALSE(config.is_vit());
    EXPECT_EQ(config.image_resolution, 64);
    EXPECT_EQ(config.vision_width, 16);
    EXPECT_EQ(config.vision_layers, (std::vector<int64_t>{1, 1, 1, 1}));
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ModelGolden, ::testing::Values("tiny_vit", "tiny_rn"));

}  // namespace
}  // namespace bbpt::model
