// SPDX-License-Identifier: MIT
// The Fastfood random projection R^d -> R^D that ZIP applies per context token (algorithms.md 2.2,
// after Aghajanyan et al., "Intrinsic dimensionality explains the effectiveness of language model
// fine-tuning", ref: LOG-postech/ZIP projections/intrinsic.py), and the fast Walsh-Hadamard
// transform it is built on.
// Dimension letters: include/bbpt/model/README.md; here d = input (intrinsic) dim, D = output dim,
// L = padded dim (a power of two), K = settings.
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "bbpt/core/rng.h"

namespace bbpt::prompt {

/// Unnormalised Walsh-Hadamard transform along the last dimension: y = x H with
/// H[i, j] = (-1)^popcount(i & j) (Sylvester order, H H = L I). x: [..., L], L a power of two;
/// -> [..., L], same dtype and device. O(L log L) butterflies with tensor ops.
torch::Tensor fwht(const torch::Tensor& x);

/// Smallest power of two >= n (n >= 1).
int64_t next_power_of_two(int64_t n);

/// One frozen Fastfood map FF: R^d -> R^D (algorithms.md 2.2):
///   z' = z zero-padded to L = 2^ceil(log2 D),  y = H diag(g) P_pi H diag(b) z',
///   FF(z) = y[0:D] * scale,  scale = 1 / (sqrt(L * ||g||^2) * sqrt(D / L)),
/// with (P_pi x)[i] = x[pi(i)]. Approximately norm preserving: ||FF(z)|| ~ ||z||.
struct Fastfood {
  int64_t in_dim = 0;         // d (<= L)
  int64_t out_dim = 0;        // D
  int64_t padded_dim = 0;     // L = 2^ceil(log2 D)
  torch::Tensor signs;        // [L] float32, b in {-1, +1}
  torch::Tensor permutation;  // [L] int64, pi
  torch::Tensor gaussian;     // [L] float32, g ~ N(0, 1)
  /// The factor applied to y[0:D]: 1 / (sqrt(L * ||g||^2) * sqrt(D / L)), ||g|| computed in double
  /// from the float32 g (so a map restored from its tensors has the same scale).
  double scale = 0.0;

  /// Draws b (L rademacher()), then pi (Fisher-Yates from the identity, i = L-1 down to 1 swapping
  /// i with uniform_int(i + 1)), then g (L normal()), in that order, from rng. Tensors on the CPU.
  /// Throws ConfigError unless 1 <= in_dim <= L and out_dim >= 1.
  static Fastfood draw(int64_t in_dim, int64_t out_dim, core::Rng& rng);

  /// Builds a map from saved tensors (shapes checked, pi checked to be a permutation; ConfigError
  /// otherwise); the scale is recomputed from g.
  static Fastfood from_tensors(int64_t in_dim,
                               int64_t out_dim,
                               const torch::Tensor& signs,
                               const torch::Tensor& permutation,
                               const torch::Tensor& gaussian);

  /// z: [K, d] (any floating dtype, any device) -> FF(z): [K, D] float32 on the device of the map.
  torch::Tensor apply(const torch::Tensor& z) const;

  /// The matrix apply() stands for, built explicitly in double from H, g, pi and b (independent of
  /// fwht): apply(z) = z dense_matrix()^T. -> [D, d] float32 on the CPU. O(L^3): tests only.
  torch::Tensor dense_matrix() const;

  /// Moves the frozen tensors to device.
  void to(torch::Device device);
};

}  // namespace bbpt::prompt
