// SPDX-License-Identifier: MIT
// FLOP counts shared by the benchmarks (matrix products only; multiply-add = 2 FLOPs).
#pragma once
#include <cstdint>

#include "bbpt/model/clip_config.h"

namespace bbpt::bench {

/// One text prompt of `length` positions through the text tower, width D, N layers, embed E:
///   N * (24 L D^2 + 4 L^2 D) + 2 D E
/// (QKV 6LD^2, attention out 2LD^2, MLP 16LD^2, scores and weighted sum 4L^2D; the causal mask is
/// not exploited, so the L^2 terms count the full square.)
inline double text_flops(int64_t length, const model::ClipConfig& c) {
  const double L = static_cast<double>(length), D = static_cast<double>(c.transformer_width);
  return static_cast<double>(c.transformer_layers) * (24 * L * D * D + 4 * L * L * D) +
         2 * D * static_cast<double>(c.embed_dim);
}

}  // namespace bbpt::bench
