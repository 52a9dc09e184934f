// SPDX-License-Identifier: MIT
// ClipConfig: the hyper-parameters of a CLIP model, inferred from checkpoint tensor shapes exactly
// as the reference build_model() does. Deliberately free of libtorch so that prompt code can use
// it. ref: https://github.com/openai/CLIP/blob/main/clip/model.py (build_model)
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bbpt::model {

/// Checkpoint entry name -> tensor shape.
using ShapeMap = std::map<std::string, std::vector<int64_t>>;

struct ClipConfig {
  /// Joint embedding dimension E (text_projection columns), e.g. 512 for ViT-B/16.
  int64_t embed_dim = 0;
  /// Input image side R in pixels, e.g. 224.
  int64_t image_resolution = 0;
  /// ViT: one entry, the number of transformer layers. ModifiedResNet: blocks per stage (4
  /// entries).
  std::vector<int64_t> vision_layers;
  /// ViT: transformer width, e.g. 768. ResNet: stem width, e.g. 64.
  int64_t vision_width = 0;
  /// ViT patch size P (e.g. 16); 0 for ResNet towers.
  int64_t vision_patch_size = 0;
  /// Attention heads of the image tower: width / 64 (ViT) or width * 32 / 64 (ResNet attention
  /// pool).
  int64_t vision_heads = 0;
  /// Text context length (77 for released models).
  int64_t context_length = 0;
  /// Token vocabulary size (49408 for the CLIP BPE).
  int64_t vocab_size = 0;
  /// Text transformer width W, heads (W / 64) and layers.
  int64_t transformer_width = 0;
  int64_t transformer_heads = 0;
  int64_t transformer_layers = 0;

  bool is_vit() const { return vision_patch_size > 0; }
  /// "ViT-B/16"-style name when the shape matches a released model, else a descriptive one.
  std::string architecture_name() const;
  /// One "key: value" line per field, as printed by `bbpt model inspect`.
  std::string to_key_value_lines() const;
};

/// Entries of released checkpoints that are not weights; loaders skip them.
bool is_non_weight_entry(const std::string& name);

/// Infers the configuration from entry shapes (names without any "module." prefix). Throws
/// ModelError naming `source` and the missing entry when the shapes are not a CLIP model.
ClipConfig infer_clip_config(const ShapeMap& shapes, const std::string& source);

}  // namespace bbpt::model
