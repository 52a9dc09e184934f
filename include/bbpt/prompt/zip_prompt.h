// SPDX-License-Identifier: MIT
// ZIP's prompt parametrisation (algorithms.md 2.2; ref: LOG-postech/ZIP trainers/zip.py): a
// low-rank plus feature-shared intrinsic code Z in R^{M x d}, mapped per context token by a frozen
// Fastfood projection and added to a frozen random initial context p0. Dimension letters:
// include/bbpt/model/README.md (M context tokens, W token width, K settings, d per-token intrinsic
// dim, r rank, N = num_parameters()).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bbpt/prompt/fastfood.h"

namespace bbpt::prompt {

/// ZIP's shape options; the defaults are the ViT-B/16 config (algorithms.md 2.1).
struct ZipPromptOptions {
  /// M: context tokens (N_CTX = 8).
  int64_t num_context = 8;
  /// Total intrinsic dimension (INTRINSIC_DIM = 500); per-token d = floor(intrinsic_dim / M) = 62.
  int64_t intrinsic_dim = 500;
  /// r: rank of U diag(s) V^T (5). Ignored when low_rank is false.
  int64_t rank = 5;
  /// Adds the feature-sharing term 1 v_sh^T to Z (ablation: false).
  bool shared_feature = true;
  /// false: Z is a free M x d matrix (dense intrinsic code, ablation). With shared_feature also
  /// true, v_sh is still appended (M d + d parameters, 558 by default) although it is redundant
  /// there: set shared_feature = false for the plain dense code (M d = 496 parameters).
  bool low_rank = true;
  /// p0 ~ N(0, init_std^2) (CTX_INIT = "": CoOp's random context init, std 0.02).
  double init_std = 0.02;
};

/// ZIP prompt: theta -> M context vectors. The parameter vector theta (length N) is flattened as
/// [U (M x r, row-major), s (r), V (d x r, row-major), v_sh (d, when shared_feature)] in low-rank
/// mode (algorithms.md 2.2/2.3) and [Z (M x d, row-major), v_sh (d, when shared_feature)] in dense
/// mode. Then
///   Z = U diag(s) V^T + 1_M v_sh^T     [M, d]
///   ctx_i = p0_i + FF_i(Z_i)           [W] for each token i, with its own Fastfood map.
///
/// Frozen random parameters come from core::Rng(seed, stream) with the stream ids of
/// rng_streams.h: p0 (kZipContextStream), FF_i (kZipFastfoodStream + i), V0 (kZipInitialVStream).
/// The official code draws them all from one torch/numpy generator in the order p0, (b, pi, g)
/// per token, V; bbpt's separate streams make each draw independent of the others' sizes.
class ZipPrompt {
 public:
  /// width: W, the text token-embedding width. Throws ConfigError on non-positive sizes, on
  /// intrinsic_dim < num_context (d would be 0), on d > L = 2^ceil(log2 W) or on M > kMaxZipTokens.
  ZipPrompt(const ZipPromptOptions& options, int64_t width, uint64_t seed);

  const ZipPromptOptions& options() const { return options_; }
  /// M.
  int64_t num_context() const { return options_.num_context; }
  /// W.
  int64_t width() const { return width_; }
  /// d = floor(intrinsic_dim / M).
  int64_t token_dim() const { return token_dim_; }
  /// N: 417 with the defaults = U (8 x 5) + s (5) + V (62 x 5) + v_sh (62); 355 without the shared
  /// feature; dense: M d = 496 (+ d = 558 with the shared feature).
  int64_t num_parameters() const;
  /// theta_0 (length N): low-rank U = 0, s = 1, V = V0 ~ N(0, 1) (drawn at construction), v_sh = 0,
  /// so Z = 0 and the context is p0 (algorithms.md 2.2); dense: all zeros.
  const std::vector<double>& initial_parameters() const { return initial_parameters_; }

  /// thetas: [K, N] (float32 or float64, any device) -> Z: [K, M, d] float32 on this prompt's
  /// device (computed in float64).
  torch::Tensor intrinsic_codes(const torch::Tensor& thetas) const;
  /// thetas: [K, N] -> contexts p0 + FF_i(Z_i): [K, M, W] float32 on this prompt's device.
  torch::Tensor contexts(const torch::Tensor& thetas) const;
  /// p0: [M, W] float32.
  const torch::Tensor& initial_context() const { return initial_context_; }
  /// The M per-token Fastfood maps.
  const std::vector<Fastfood>& fastfood() const { return fastfood_; }

  /// Frozen random parameters to store with a checkpoint (the official code stores none of them,
  /// algorithms.md 2.2 "checkpoint pitfall"): "p0" [M, W] float32; per token i
  /// "fastfood.<i>.signs" [L] float32, "fastfood.<i>.permutation" [L] int64,
  /// "fastfood.<i>.gaussian" [L] float32; and, in low-rank mode, "V0" [d, r] float64 (the initial V
  /// draw). Tensors are on this prompt's device.
  std::vector<std::pair<std::string, torch::Tensor>> frozen_tensors() const;
  /// Replaces the frozen tensors by saved ones (names and shapes as frozen_tensors(); other names
  /// are ignored; dtypes are converted). Restoring V0 also resets the V block of
  /// initial_parameters(). Throws ConfigError naming the tensor when one is missing, its shape
  /// differs or a permutation is not one; nothing is changed then.
  void load_frozen_tensors(const std::vector<std::pair<std::string, torch::Tensor>>& tensors);
  /// Moves the frozen tensors to device.
  void to(torch::Device device);
  torch::Device device() const { return initial_context_.device(); }

 private:
  ZipPromptOptions options_;
  int64_t width_ = 0;                       // W
  int64_t token_dim_ = 0;                   // d
  std::vector<double> initial_parameters_;  // [N]
  torch::Tensor initial_context_;           // [M, W] float32, p0
  torch::Tensor initial_v_;                 // [d, r] float64 CPU, V0 (low-rank only)
  std::vector<Fastfood> fastfood_;          // M maps R^d -> R^W
};

}  // namespace bbpt::prompt
