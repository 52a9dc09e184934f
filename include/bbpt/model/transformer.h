// SPDX-License-Identifier: MIT
// The pre-LayerNorm transformer shared by CLIP's text tower and ViT image tower, with submodules
// registered under the checkpoint key names (attn.in_proj_weight, ln_1, mlp.c_fc, ...).
// Sequences are batch-first [B, L, D]; CLIP's reference code is [L, B, D] but the maths is the
// same.
#pragma once

#include <torch/torch.h>

namespace bbpt::model {

/// x * sigmoid(1.702 x), CLIP's activation. ref: clip/model.py QuickGELU
torch::Tensor quick_gelu(const torch::Tensor& x);

/// LayerNorm computed in fp32 and cast back (CLIP's LayerNorm subclass handles fp16 inputs so).
torch::Tensor layer_norm_fp32(const torch::Tensor& x, torch::nn::LayerNorm norm);

/// Multi-head self-attention with nn.MultiheadAttention's parameter names.
class SelfAttentionImpl : public torch::nn::Module {
 public:
  SelfAttentionImpl(int64_t width, int64_t heads);
  /// x: [B, L, D]; attn_mask: additive [L, L] or undefined. Returns [B, L, D].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& attn_mask);

  torch::Tensor in_proj_weight;  // [3D, D]
  torch::Tensor in_proj_bias;    // [3D]
  torch::nn::Linear out_proj{nullptr};
  int64_t heads;
};
TORCH_MODULE(SelfAttention);

/// x + attn(ln_1(x)); x + mlp(ln_2(x)), with mlp = c_fc -> QuickGELU -> c_proj.
class ResidualAttentionBlockImpl : public torch::nn::Module {
 public:
  ResidualAttentionBlockImpl(int64_t width, int64_t heads);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& attn_mask);

  SelfAttention attn{nullptr};
  torch::nn::LayerNorm ln_1{nullptr};
  torch::nn::LayerNorm ln_2{nullptr};
  torch::nn::Linear c_fc{nullptr};    // registered as "mlp.c_fc"
  torch::nn::Linear c_proj{nullptr};  // registered as "mlp.c_proj"
};
TORCH_MODULE(ResidualAttentionBlock);

/// A stack of residual attention blocks, "resblocks.<i>".
class TransformerImpl : public torch::nn::Module {
 public:
  TransformerImpl(int64_t width, int64_t layers, int64_t heads);
  /// x: [B, L, D] -> [B, L, D].
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& attn_mask = {});

  torch::nn::ModuleList resblocks;
};
TORCH_MODULE(Transformer);

}  // namespace bbpt::model
