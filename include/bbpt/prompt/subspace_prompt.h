// SPDX-License-Identifier: MIT
// BPT-VLM's prompt parametrisation (algorithms.md 5.1; ref: LOG-postech/ZIP trainers/bptvlm.py, the
// port the ZIP paper compares against): CMA-ES searches x = [x_L; x_V] and frozen random linear
// maps turn it into text context tokens (CoOp-style injection) and visual prompt tokens (appended
// after the CLS and patch tokens, algorithms.md 1.1). Dimension letters:
// include/bbpt/model/README.md (K settings, Mt/Mv text/visual prompt tokens, W text width, Dv
// vision width, N = num_parameters()).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bbpt::prompt {

/// BPT-VLM subspace options; the defaults are the ZIP port's ViT-B/16 config (algorithms.md 5.1).
struct SubspacePromptOptions {
  /// Mt: text context tokens (TOKENS_L = 5).
  int64_t text_tokens = 5;
  /// Dimension of x_L (2000).
  int64_t text_dim = 2000;
  /// Mv: visual prompt tokens (TOKENS_V = 5).
  int64_t visual_tokens = 5;
  /// Dimension of x_V (2000).
  int64_t visual_dim = 2000;
  /// SIGMA (1.0), the scale in the projection inits (not CMA-ES's sigma0).
  double sigma = 1.0;
};

/// x (length N) = [x_L (text_dim); x_V (visual_dim, only when has_visual())];
///   text contexts   = reshape(A_L x_L, [Mt, W])    A_L: [Mt W, text_dim]
///   visual prompts  = reshape(A_V x_V, [Mv, Dv])   A_V: [Mv Dv, visual_dim]
/// No bias and no additive initial prompt (init_prompt = None in the port). A_L and A_V are drawn
/// row-major from core::Rng(seed, kSubspaceTextStream / kSubspaceVisualStream) (rng_streams.h).
class SubspacePrompt {
 public:
  /// visual_width 0: text prompts only (ResNet towers, or the text-only ablation). Inits
  /// (algorithms.md 5.1):
  ///   A_L ~ N(0, token_embedding_std / (sqrt(text_dim) * sigma)),
  ///   A_V ~ N(conv_mean * 3072 / visual_dim, conv_std * sqrt(3072 / visual_dim) * sigma),
  /// where token_embedding_std is the std of all of CLIP's token_embedding weights and
  /// conv_mean/conv_std the mean/std of the visual conv1 weights. Throws ConfigError on
  /// non-positive sizes or sigma.
  SubspacePrompt(const SubspacePromptOptions& options,
                 int64_t text_width,
                 int64_t visual_width,
                 double token_embedding_std,
                 double conv_mean,
                 double conv_std,
                 uint64_t seed);

  const SubspacePromptOptions& options() const { return options_; }
  /// text_dim + (has_visual() ? visual_dim : 0): 4000 with the defaults and a ViT.
  int64_t num_parameters() const;
  /// x0 = 0 (the CMA-ES mean, algorithms.md 5.1).
  std::vector<double> initial_parameters() const;
  bool has_visual() const { return visual_width_ > 0; }
  /// W.
  int64_t text_width() const { return text_width_; }
  /// Dv (0 without visual prompts).
  int64_t visual_width() const { return visual_width_; }

  /// x: [K, N] (float32 or float64, any device) -> [K, Mt, W] float32 on this prompt's device.
  torch::Tensor text_contexts(const torch::Tensor& x) const;
  /// x: [K, N] -> [K, Mv, Dv] float32 on this prompt's device; an undefined tensor when
  /// !has_visual().
  torch::Tensor visual_prompts(const torch::Tensor& x) const;

  /// A_L: [Mt W, text_dim] float32.
  const torch::Tensor& text_projection() const { return text_projection_; }
  /// A_V: [Mv Dv, visual_dim] float32 (undefined when !has_visual()).
  const torch::Tensor& visual_projection() const { return visual_projection_; }

  /// "text_projection" and, when has_visual(), "visual_projection", on this prompt's device.
  std::vector<std::pair<std::string, torch::Tensor>> frozen_tensors() const;
  /// Replaces the projections by saved ones (other names ignored, dtypes converted). Throws
  /// ConfigError naming the tensor when one is missing or its shape differs; nothing is changed
  /// then.
  void load_frozen_tensors(const std::vector<std::pair<std::string, torch::Tensor>>& tensors);
  /// Moves the frozen tensors to device.
  void to(torch::Device device);
  torch::Device device() const { return text_projection_.device(); }

 private:
  SubspacePromptOptions options_;
  int64_t text_width_ = 0;           // W
  int64_t visual_width_ = 0;         // Dv (0: none)
  torch::Tensor text_projection_;    // [Mt W, text_dim] float32
  torch::Tensor visual_projection_;  // [Mv Dv, visual_dim] float32
};

}  // namespace bbpt::prompt
