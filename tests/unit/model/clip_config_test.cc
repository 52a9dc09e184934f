// SPDX-License-Identifier: MIT
// Configuration inference must reproduce build_model() on the released shapes, since every later
// module sizes its tensors from it.
#include "bbpt/model/clip_config.h"

#include <gtest/gtest.h>

#include "bbpt/core/error.h"

namespace bbpt::model {
namespace {

// Shapes of the released ViT-B/16 text tower and an abbreviated image tower.
ShapeMap vit_b16_shapes() {
  ShapeMap s;
  s["visual.proj"] = {768, 512};
  s["visual.conv1.weight"] = {768, 3, 16, 16};
  s["visual.positional_embedding"] = {197, 768};
  for (int i = 0; i < 12; ++i) {
    s["visual.transformer.resblocks." + std::to_string(i) + ".attn.in_proj_weight"] = {2304, 768};
    s["transformer.resblocks." + std::to_string(i) + ".attn.in_proj_weight"] = {1536, 512};
  }
  s["text_projection"] = {512, 512};
  s["positional_embedding"] = {77, 512};
  s["token_embedding.weight"] = {49408, 512};
  s["ln_final.weight"] = {512};
  return s;
}

TEST(ClipConfig, InfersViTB16) {
  const ClipConfig c = infer_clip_config(vit_b16_shapes(), "test");
  EXPECT_EQ(c.embed_dim, 512);
  EXPECT_EQ(c.image_resolution, 224);
  EXPECT_EQ(c.vision_patch_size, 16);
  EXPECT_EQ(c.vision_width, 768);
  EXPECT_EQ(c.vision_heads, 12);
  EXPECT_EQ(c.vision_layers, std::vector<int64_t>{12});
  EXPECT_EQ(c.transformer_heads, 8);
  EXPECT_EQ(c.transformer_layers, 12);
  EXPECT_EQ(c.architecture_name(), "ViT-B/16");
  EXPECT_NE(c.to_key_value_lines().find("image_resolution: 224\n"), std::string::npos);
}

TEST(ClipConfig, InfersRn50Stages) {
  ShapeMap s = vit_b16_shapes();
  for (auto it = s.begin(); it != s.end();) {
    it = it->first.rfind("visual.", 0) == 0 ? s.erase(it) : std::next(it);
  }
  const int blocks[4] = {3, 4, 6, 3};
  for (int stage = 1; stage <= 4; ++stage) {
    for (int b = 0; b < blocks[stage - 1]; ++b) {
      s["visual.layer" + std::to_string(stage) + "." + std::to_string(b) + ".conv1.weight"] = {
          64, 64, 1, 1};
    }
  }
  s["visual.attnpool.positional_embedding"] = {50, 2048};
  s["text_projection"] = {512, 1024};
  const ClipConfig c = infer_clip_config(s, "test");
  EXPECT_FALSE(c.is_vit());
  EXPECT_EQ(c.vision_layers, (std::vector<int64_t>{3, 4, 6, 3}));
  EXPECT_EQ(c.image_resolution, 224);
  EXPECT_EQ(c.vision_heads, 32);
  EXPECT_EQ(c.embed_dim, 1024);
}

TEST(ClipConfig, UnknownLayoutNamesSourceAndMissingEntry) {
  ShapeMap s;
  s["encoder.layer.0.weight"] = {4, 4};
  try {
    infer_clip_config(s, "/models/bert.pt");
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("/models/bert.pt"), std::string::npos) << what;
    EXPECT_NE(what.find("visual.layer1"), std::string::npos) << what;
  }
}

TEST(ClipConfig, NonWeightEntriesAreRecognised) {
  EXPECT_TRUE(is_non_weight_entry("input_resolution"));
  EXPECT_TRUE(is_non_weight_entry("context_length"));
  EXPECT_TRUE(is_non_weight_entry("vocab_size"));
  EXPECT_FALSE(is_non_weight_entry("logit_scale"));
}

}  // namespace
}  // namespace bbpt::model
