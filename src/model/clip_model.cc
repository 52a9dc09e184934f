// SPDX-License-Identifier: MIT
// Implements ClipModel (reference: clip/model.py CLIP.encode_image/encode_text/forward, and CoOp's
// PromptLearner/TextEncoder for context injection).
#include "bbpt/model/clip_model.h"

#include <limits>

namespace bbpt::model {

torch::Tensor causal_mask(int64_t length, const torch::TensorOptions& options) {
  return torch::full({length, length}, -std::numeric_limits<float>::infinity(), options).triu(1);
}

ClipModelImpl::ClipModelImpl(const ClipConfig& config) : config_(config) {
  const int64_t width = config.transformer_width;
  transformer = register_module(
      "transformer", Transformer(width, config.transformer_layers, config.transformer_heads));
  token_embedding =
      register_module("token_embedding", torch::nn::Embedding(config.vocab_size, width));
  positional_embedding =
      register_parameter("positional_embedding", torch::zeros({config.context_length, width}));
  ln_final =
      register_module("ln_final", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
  text_projection = register_parameter("text_projection", torch::zeros({width, config.embed_dim}));
  logit_scale = register_parameter("logit_scale", torch::zeros({}));
  if (config.is_vit()) {
    visual_vit = register_module(
        "visual",
        VisionTransformer(config.image_resolution, config.vision_patch_size, config.vision_width,
                          config.vision_layers.at(0), config.vision_heads, config.embed_dim));
  } else {
    visual_resnet = register_module(
        "visual", ModifiedResNet(config.vision_layers, config.embed_dim, config.vision_heads,
                                 config.image_resolution, config.vision_width));
  }
}

torch::Tensor ClipModelImpl::encode_image(const torch::Tensor& images,
                                          const torch::Tensor& visual_prompts) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3 &&
                  images.size(2) == config_.image_resolution &&
                  images.size(3) == config_.image_resolution,
              "encode_image expects [B, 3, ", config_.image_resolution, ", ",
              config_.image_resolution, "] images, got ", images.sizes());
  if (visual_vit) return visual_vit(images, visual_prompts);
  TORCH_CHECK(!visual_prompts.defined(), "visual prompts need a ViT image tower");
  return visual_resnet(images);
}

torch::Tensor ClipModelImpl::encode_text_embeddings(const torch::Tensor& x,
                                                    const torch::Tensor& eot_index) {
  TORCH_CHECK(x.dim() == 3 && x.size(2) == config_.transformer_width,
              "text embeddings must be [B, L, ", config_.transformer_width, "], got ", x.sizes());
  TORCH_CHECK(eot_index.dim() == 1 && eot_index.size(0) == x.size(0),
              "eot_index must be [B] with B = ", x.size(0), ", got ", eot_index.sizes());
  // Causal attention: positions after the last EOT never influence any EOT feature, so they are
  // dropped; this is exact, not an approximation.
  const int64_t length = truncate_text ? eot_index.max().item<int64_t>() + 1
                                       : std::min(x.size(1), config_.context_length);
  const int64_t batch = x.size(0);
  // On CPU, bound the largest intermediate (the MLP's [rows, L, 4W] activations): a fresh multi-MiB
  // allocation is served by mmap and page-faults on first touch, which costs more than the maths
  // (docs/performance.md). Rows are independent, so chunking is exact.
  const int64_t row_bytes = length * 4 * config_.transformer_width * x.element_size();
  const int64_t rows_per_chunk = x.is_cuda() || cpu_chunk_bytes <= 0
                                     ? batch
                                     : std::max<int64_t>(1, cpu_chunk_bytes / row_bytes);
  if (rows_per_chunk >= batch) return encode_text_positions(x.narrow(1, 0, length), eot_index);
  std::vector<torch::Tensor> chunks;
  for (int64_t first = 0; first < batch; first += rows_per_chunk) {
    const int64_t rows = std::min(rows_per_chunk, batch - first);
    chunks.push_back(encode_text_positions(x.narrow(0, first, rows).narrow(1, 0, length),
                                           eot_index.narrow(0, first, rows)));
  }
  return torch::cat(chunks);  // [B, E]
}

torch::Tensor ClipModelImpl::encode_text_positions(const torch::Tensor& x,
                                                   const torch::Tensor& eot_index) {
  const int64_t length = x.size(1);
  auto h = x + positional_embedding.narrow(0, 0, length);  // [B, L', W]
  h = transformer(h, causal_mask(length, h.options()));
  h = layer_norm_fp32(h, ln_final);
  auto batch_index = torch::arange(h.size(0), eot_index.options());
  auto eot_features = h.index({batch_index, eot_index});  // [B, W]
  return torch::matmul(eot_features, text_projection);    // [B, E]
}

torch::Tensor ClipModelImpl::encode_text(const torch::Tensor& tokens) {
  TORCH_CHECK(tokens.dim() == 2 && tokens.size(1) <= config_.context_length,
              "tokens must be [B, L] with L <= ", config_.context_length, ", got ", tokens.sizes());
  auto ids = tokens.to(torch::kLong);
  // EOT (49407) is the largest id, so its position is the argmax (as in the reference).
  auto eot_index = ids.argmax(-1);                                 // [B]
  return encode_text_embeddings(token_embedding(ids), eot_index);  // [B, L, W] -> [B, E]
}

ContextPrompts ClipModelImpl::prepare_context_prompts(const torch::Tensor& class_tokens,
                                                      int64_t num_context) {
  TORCH_CHECK(class_tokens.dim() == 2, "class_tokens must be [C, L], got ", class_tokens.sizes());
  TORCH_CHECK(num_context >= 0 && num_context + 2 <= class_tokens.size(1), "num_context (",
              num_context, ") does not fit in ", class_tokens.size(1), " positions");
  torch::NoGradGuard no_grad;
  auto ids = class_tokens.to(torch::kLong);
  ContextPrompts prompts;
  prompts.num_context = num_context;
  prompts.eot_index = ids.argmax(-1);  // [C]
  TORCH_CHECK(prompts.eot_index.min().item<int64_t>() > num_context,
              "every class prompt needs its EOT after the ", num_context, " context slots");
  const int64_t length = truncate_text ? prompts.eot_index.max().item<int64_t>() + 1 : ids.size(1);
  auto embedded = token_embedding(ids.narrow(1, 0, length));                       // [C, L', W]
  prompts.prefix = embedded.narrow(1, 0, 1);                                       // [C, 1, W]
  prompts.suffix = embedded.narrow(1, 1 + num_context, length - 1 - num_context);  // [C, L'-1-M, W]
  return prompts;
}

torch::Tensor ClipModelImpl::encode_contexts(const ContextPrompts& prompts,
                                             const torch::Tensor& contexts) {
  const int64_t num_classes = prompts.num_classes(), num_context = prompts.num_context;
  const int64_t width = config_.transformer_width;
  TORCH_CHECK((contexts.dim() == 3 || contexts.dim() == 4) && contexts.size(-2) == num_context &&
                  contexts.size(-1) == width,
              "contexts must be [K, M, W] or [K, C, M, W] with M = ", num_context, ", W = ", width,
              ", got ", contexts.sizes());
  const int64_t num_candidates = contexts.size(0);
  auto ctx = contexts.dim() == 3 ? contexts.unsqueeze(1).expand({-1, num_classes, -1, -1})
                                 : contexts;  // [K, C, M, W]
  TORCH_CHECK(ctx.size(1) == num_classes, "class-specific contexts have ", ctx.size(1),
              " classes, the prompts ", num_classes);
  auto dtype = prompts.prefix.scalar_type();
  auto prefix = prompts.prefix.unsqueeze(0).expand({num_candidates, -1, -1, -1});  // [K, C, 1, W]
  auto suffix = prompts.suffix.unsqueeze(0).expand({num_candidates, -1, -1, -1});  // [K, C, S, W]
  auto x = torch::cat({prefix, ctx.to(dtype), suffix}, 2);                         // [K, C, L', W]
  x = x.reshape({num_candidates * num_classes, x.size(2), width});                 // [K*C, L', W]
  auto eot = prompts.eot_index.repeat({num_candidates});                           // [K*C]
  return encode_text_embeddings(x, eot).view({num_candidates, num_classes, -1});   // [K, C, E]
}

torch::Tensor ClipModelImpl::encode_text_with_context(const torch::Tensor& context,
                                                      const torch::Tensor& class_tokens) {
  TORCH_CHECK(context.dim() == 2 || context.dim() == 3, "context must be [M, W] or [C, M, W], got ",
              context.sizes());
  auto prompts = prepare_context_prompts(class_tokens, context.size(-2));
  return encode_contexts(prompts, context.unsqueeze(0)).squeeze(0);  // [1, C, E] -> [C, E]
}

torch::Tensor ClipModelImpl::logits(const torch::Tensor& image_features,
                                    const torch::Tensor& text_features) {
  auto image = image_features / image_features.norm(2, -1, /*keepdim=*/true);
  auto text = text_features / text_features.norm(2, -1, /*keepdim=*/true);
  return logit_scale.exp() * torch::matmul(image, text.t());  // [Bi, Bt]
}

}  // namespace bbpt::model
