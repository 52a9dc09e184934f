// SPDX-License-Identifier: MIT
// Implements the ViT image tower (reference: clip/model.py VisionTransformer).
#include "bbpt/model/vision_transformer.h"

namespace bbpt::model {

VisionTransformerImpl::VisionTransformerImpl(int64_t input_resolution,
                                             int64_t patch_size,
                                             int64_t width,
                                             int64_t layers,
                                             int64_t heads,
                                             int64_t output_dim) {
  const int64_t grid = input_resolution / patch_size;
  conv1 = register_module(
      "conv1", torch::nn::Conv2d(
                   torch::nn::Conv2dOptions(3, width, patch_size).stride(patch_size).bias(false)));
  class_embedding = register_parameter("class_embedding", torch::zeros({width}));
  positional_embedding =
      register_parameter("positional_embedding", torch::zeros({grid * grid + 1, width}));
  ln_pre = register_module("ln_pre", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
  transformer = register_module("transformer", Transformer(width, layers, heads));
  ln_post = register_module("ln_post", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
  proj = register_parameter("proj", torch::zeros({width, output_dim}));
}

torch::Tensor VisionTransformerImpl::forward(const torch::Tensor& images,
                                             const torch::Tensor& visual_prompts) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3, "images must be [B, 3, R, R], got ",
              images.sizes());
  const int64_t batch = images.size(0);
  auto x = conv1(images.to(conv1->weight.scalar_type()));  // [B, D, G, G]
  x = x.flatten(2).transpose(1, 2);                        // [B, D, G*G] -> [B, G*G, D]
  auto cls = class_embedding.to(x.scalar_type()).expand({batch, 1, x.size(2)});  // [B, 1, D]
  x = torch::cat({cls, x}, 1);                                                   // [B, G*G+1, D]
  TORCH_CHECK(x.size(1) == positional_embedding.size(0), "image resolution does not match the ",
              "model: got ", x.size(1) - 1, " patches, the positional embedding has ",
              positional_embedding.size(0) - 1);
  x = x + positional_embedding.to(x.scalar_type());
  if (visual_prompts.defined()) {
    auto prompts = visual_prompts.dim() == 2 ? visual_prompts.unsqueeze(0).expand({batch, -1, -1})
                                             : visual_prompts;  // [B, V, D]
    x = torch::cat({x, prompts.to(x.scalar_type())}, 1);        // [B, G*G+1+V, D]
  }
  x = layer_norm_fp32(x, ln_pre);
  x = transformer(x);
  x = layer_norm_fp32(x.select(1, 0), ln_post);  // class token: [B, D]
  return torch::matmul(x, proj);                 // [B, E]
}

}  // namespace bbpt::model
