// SPDX-License-Identifier: MIT
// ClipModel: OpenAI CLIP (text transformer + ViT or ModifiedResNet image tower) with the encoders
// black-box prompt tuning needs: token and soft-prompt (CoOp-style context injection) text
// encoding, computed only over the positions the longest prompt in the batch needs.
// Dimension letters: include/bbpt/model/README.md.
#pragma once

#include <torch/torch.h>

#include "bbpt/model/clip_config.h"
#include "bbpt/model/modified_resnet.h"
#include "bbpt/model/transformer.h"
#include "bbpt/model/vision_transformer.h"

namespace bbpt::model {

/// Frozen token embeddings of per-class placeholder prompts ("X X ... X <class>.") cut around the M
/// context slots, so that a batch of contexts can be encoded without re-embedding any token.
struct ContextPrompts {
  torch::Tensor prefix;     // [C, 1, W]        SOT embedding
  torch::Tensor suffix;     // [C, L - 1 - M, W] class tokens, ".", EOT (and padding up to L)
  torch::Tensor eot_index;  // [C] int64, position of EOT in each prompt
  int64_t num_context = 0;  // M
  int64_t num_classes() const { return prefix.size(0); }
};

class ClipModelImpl : public torch::nn::Module {
 public:
  explicit ClipModelImpl(const ClipConfig& config);

  const ClipConfig& config() const { return config_; }

  /// images: [B, 3, R, R] normalised; visual_prompts (ViT only): [V, D] or [B, V, D]. -> [B, E]
  torch::Tensor encode_image(const torch::Tensor& images, const torch::Tensor& visual_prompts = {});

  /// tokens: [B, L] int (SOT ... EOT, zero padding, L <= context_length). -> [B, E]
  torch::Tensor encode_text(const torch::Tensor& tokens);

  /// CoOp-style injection: rows 1..M of the token embeddings of class_tokens are replaced by the
  /// context. context: [M, W] (shared) or [C, M, W] (class-specific); class_tokens: [C, L]. -> [C,
  /// E]
  torch::Tensor encode_text_with_context(const torch::Tensor& context,
                                         const torch::Tensor& class_tokens);

  /// Embeds class_tokens once and cuts them around M context slots (see ContextPrompts).
  ContextPrompts prepare_context_prompts(const torch::Tensor& class_tokens, int64_t num_context);

  /// Encodes K prompt settings in one batched forward. contexts: [K, M, W] (shared by all classes)
  /// or [K, C, M, W]. -> [K, C, E]
  torch::Tensor encode_contexts(const ContextPrompts& prompts, const torch::Tensor& contexts);

  /// The text tower after token embedding: x [B, L, W] (no positional embedding yet), eot_index
  /// [B]. Only the first max(eot_index) + 1 positions are computed (exact: the mask is causal). ->
  /// [B, E]
  torch::Tensor encode_text_embeddings(const torch::Tensor& x, const torch::Tensor& eot_index);

  /// logit_scale.exp() * normalise(image_features) @ normalise(text_features).T: [Bi, E], [Bt, E]
  /// -> [Bi, Bt]
  torch::Tensor logits(const torch::Tensor& image_features, const torch::Tensor& text_features);

  /// When false, the text tower always runs all context_length positions (for tests and
  /// benchmarks).
  bool truncate_text = true;
  /// CPU only: the text batch is encoded in chunks whose MLP activations stay below this many bytes
  /// (<= 0: one chunk). Results are the same; see docs/performance.md for why it is faster.
  int64_t cpu_chunk_bytes = int64_t{4} << 20;

  torch::nn::Embedding token_embedding{nullptr};  // [vocab, W]
  torch::Tensor positional_embedding;             // [L, W]
  Transformer transformer{nullptr};
  torch::nn::LayerNorm ln_final{nullptr};
  torch::Tensor text_projection;          // [W, E]
  torch::Tensor logit_scale;              // [] (log of the logit scale)
  VisionTransformer visual_vit{nullptr};  // registered as "visual" when config.is_vit()
  ModifiedResNet visual_resnet{nullptr};  // registered as "visual" otherwise

 private:
  /// encode_text_embeddings on x [B, L', W] already cut to the positions needed.
  torch::Tensor encode_text_positions(const torch::Tensor& x, const torch::Tensor& eot_index);

  ClipConfig config_;
};
TORCH_MODULE(ClipModel);

/// Additive causal mask [L, L]: 0 on and below the diagonal, -inf above.
torch::Tensor causal_mask(int64_t length, const torch::TensorOptions& options);

}  // namespace bbpt::model
