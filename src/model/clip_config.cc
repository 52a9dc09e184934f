// SPDX-License-Identifier: MIT
// Implements configuration inference from checkpoint shapes (reference: clip/model.py build_model).
#include "bbpt/model/clip_config.h"

#include <cmath>
#include <set>
#include <sstream>

#include "bbpt/core/error.h"

namespace bbpt::model {
namespace {

const std::vector<int64_t>& require(const ShapeMap& shapes,
                                    const std::string& name,
                                    size_t rank,
                                    const std::string& source) {
  auto it = shapes.find(name);
  BBPT_CHECK(it != shapes.end(), ModelError,
             source << ": not a CLIP checkpoint of a known layout: entry '" << name
                    << "' is missing (expected the OpenAI CLIP state-dict names, e.g. "
                       "'token_embedding.weight', 'visual.conv1.weight')");
  BBPT_CHECK(it->second.size() == rank, ModelError,
             source << ": entry '" << name << "' has " << it->second.size()
                    << " dimensions, expected " << rank);
  return it->second;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Number of distinct "<prefix><index>." sub-modules, e.g. prefix "transformer.resblocks.".
int64_t count_indexed_children(const ShapeMap& shapes, const std::string& prefix) {
  std::set<std::string> indices;
  for (const auto& [name, shape] : shapes) {
    if (!starts_with(name, prefix)) continue;
    const auto dot = name.find('.', prefix.size());
    indices.insert(name.substr(prefix.size(), dot - prefix.size()));
  }
  return static_cast<int64_t>(indices.size());
}

int64_t rounded_sqrt(int64_t n) { return std::llround(std::sqrt(static_cast<double>(n))); }

}  // namespace

bool is_non_weight_entry(const std::string& name) {
  return name == "input_resolution" || name == "context_length" || name == "vocab_size";
}

ClipConfig infer_clip_config(const ShapeMap& shapes, const std::string& source) {
  ClipConfig config;
  const bool vit = shapes.count("visual.proj") > 0;
  if (vit) {
    const auto& conv1 = require(shapes, "visual.conv1.weight", 4, source);  // [D, 3, P, P]
    config.vision_width = conv1[0];
    config.vision_patch_size = conv1[3];
    int64_t layers = 0;
    for (const auto& [name, shape] : shapes) {
      layers += starts_with(name, "visual.") && ends_with(name, ".attn.in_proj_weight");
    }
    config.vision_layers = {layers};
    const auto& pos = require(shapes, "visual.positional_embedding", 2, source);  // [G*G+1, D]
    const int64_t grid = rounded_sqrt(pos[0] - 1);
    BBPT_CHECK(grid * grid + 1 == pos[0], ModelError,
               source << ": visual.positional_embedding has " << pos[0]
                      << " rows, expected grid*grid+1 for a square patch grid");
    config.image_resolution = config.vision_patch_size * grid;
    config.vision_heads = config.vision_width / 64;
  } else {
    for (int stage = 1; stage <= 4; ++stage) {
      const int64_t blocks =
          count_indexed_children(shapes, "visual.layer" + std::to_string(stage) + ".");
      BBPT_CHECK(
          blocks > 0, ModelError,
          source << ": not a CLIP checkpoint of a known layout: no 'visual.proj' (ViT) and no "
                    "'visual.layer"
                 << stage << ".*' entries (ModifiedResNet)");
      config.vision_layers.push_back(blocks);
    }
    config.vision_width = require(shapes, "visual.layer1.0.conv1.weight", 4, source)[0];
    const auto& pos = require(shapes, "visual.attnpool.positional_embedding", 2, source);
    const int64_t output_width = rounded_sqrt(pos[0] - 1);
    BBPT_CHECK(output_width * output_width + 1 == pos[0], ModelError,
               source << ": visual.attnpool.positional_embedding has " << pos[0]
                      << " rows, expected w*w+1");
    config.image_resolution = output_width * 32;
    config.vision_heads = config.vision_width * 32 / 64;
  }
  config.embed_dim = require(shapes, "text_projection", 2, source)[1];
  config.context_length = require(shapes, "positional_embedding", 2, source)[0];
  config.vocab_size = require(shapes, "token_embedding.weight", 2, source)[0];
  config.transformer_width = require(shapes, "ln_final.weight", 1, source)[0];
  config.transformer_heads = config.transformer_width / 64;
  config.transformer_layers = count_indexed_children(shapes, "transformer.resblocks.");
  BBPT_CHECK(config.transformer_layers > 0, ModelError,
             source << ": no 'transformer.resblocks.*' entries (expected the text transformer)");
  BBPT_CHECK(config.transformer_heads > 0 && config.vision_heads > 0, ModelError,
             source << ": widths too small for 64-wide attention heads (text width "
                    << config.transformer_width << ", vision width " << config.vision_width << ")");
  return config;
}

std::string ClipConfig::architecture_name() const {
  if (is_vit()) {
    const char* size = vision_width == 768 ? "B" : vision_width == 1024 ? "L" : nullptr;
    std::ostringstream name;
    if (size != nullptr) {
      name << "ViT-" << size << "/" << vision_patch_size;
      if (image_resolution != 224) name << "@" << image_resolution << "px";
    } else {
      name << "ViT (width " << vision_width << ", patch " << vision_patch_size << ")";
    }
    return name.str();
  }
  std::ostringstream name;
  name << "ModifiedResNet (layers";
  for (auto n : vision_layers) name << " " << n;
  name << ", width " << vision_width << ")";
  return name.str();
}

std::string ClipConfig::to_key_value_lines() const {
  std::ostringstream out;
  out << "architecture: " << architecture_name() << "\n";
  out << "vision_tower: " << (is_vit() ? "vit" : "modified_resnet") << "\n";
  out << "embed_dim: " << embed_dim << "\n";
  out << "image_resolution: " << image_resolution << "\n";
  out << "vision_layers: ";
  for (size_t i = 0; i < vision_layers.size(); ++i) out << (i ? "," : "") << vision_layers[i];
  out << "\n";
  out << "vision_width: " << vision_width << "\n";
  out << "vision_patch_size: " << vision_patch_size << "\n";
  out << "vision_heads: " << vision_heads << "\n";
  out << "context_length: " << context_length << "\n";
  out << "vocab_size: " << vocab_size << "\n";
  out << "transformer_width: " << transformer_width << "\n";
  out << "transformer_heads: " << transformer_heads << "\n";
  out << "transformer_layers: " << transformer_layers << "\n";
  return out.str();
}

}  // namespace bbpt::model
