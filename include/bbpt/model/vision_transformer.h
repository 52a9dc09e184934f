// SPDX-License-Identifier: MIT
// CLIP's ViT image tower: patch conv, class token, positional embedding, ln_pre, transformer,
// ln_post on the class token, projection. Optional visual prompt tokens (BPT-VLM's shallow variant)
// are appended after the positional embedding.
#pragma once

#include <torch/torch.h>

#include "bbpt/model/transformer.h"

namespace bbpt::model {

class VisionTransformerImpl : public torch::nn::Module {
 public:
  VisionTransformerImpl(int64_t input_resolution,
                        int64_t patch_size,
                        int64_t width,
                        int64_t layers,
                        int64_t heads,
                        int64_t output_dim);

  /// images: [B, 3, R, R]; visual_prompts: optional [V, D] or [B, V, D] tokens appended after the
  /// G*G+1 positional-embedded tokens (they get no positional embedding). Returns [B, E].
  torch::Tensor forward(const torch::Tensor& images, const torch::Tensor& visual_prompts = {});

  torch::nn::Conv2d conv1{nullptr};    // [D, 3, P, P], no bias
  torch::Tensor class_embedding;       // [D]
  torch::Tensor positional_embedding;  // [G*G+1, D]
  torch::nn::LayerNorm ln_pre{nullptr};
  Transformer transformer{nullptr};
  torch::nn::LayerNorm ln_post{nullptr};
  torch::Tensor proj;  // [D, E]
};
TORCH_MODULE(VisionTransformer);

}  // namespace bbpt::model
