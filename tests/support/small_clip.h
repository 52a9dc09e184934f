// SPDX-License-Identifier: MIT
// Small CLIP models with random weights for tests: a ViT image tower and a text tower over a
// vocabulary whose largest id is EOT (like CLIP's), cheap enough for unit tests.
#pragma once

#include <torch/torch.h>

#include "bbpt/model/clip_model.h"

namespace bbpt::testing {

/// ViT tower at `image_resolution` with patch 8; text width 64. vocab_size 49408 suits the real
/// tokenizer; smaller vocabularies suit hand-made tokens.
inline model::ClipConfig small_clip_config(int64_t embed_dim = 32,
                                           int64_t image_resolution = 16,
                                           int64_t vocab_size = 100,
                                           int64_t text_layers = 2) {
  model::ClipConfig c;
  c.embed_dim = embed_dim;
  c.image_resolution = image_resolution;
  c.vision_layers = {1};
  c.vision_width = 64;
  c.vision_patch_size = 8;
  c.vision_heads = 1;
  c.context_length = 77;
  c.vocab_size = vocab_size;
  c.transformer_width = 64;
  c.transformer_heads = 2;
  c.transformer_layers = text_layers;
  return c;
}

/// The model of `config` with every parameter drawn from N(0, std^2) after
/// torch::manual_seed(seed), in inference mode.
inline model::ClipModel random_clip(const model::ClipConfig& config,
                                    double std = 0.1,
                                    uint64_t seed = 0) {
  torch::manual_seed(seed);
  model::ClipModel clip(config);
  torch::NoGradGuard no_grad;
  for (auto& p : clip->parameters()) p.normal_(0.0, std);
  clip->eval();
  return clip;
}

}  // namespace bbpt::testing
