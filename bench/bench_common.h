// SPDX-License-Identifier: MIT
// What the benchmarks share beside FLOP counts (bench_flops.h): the ViT-B/16-sized CLIP they build
// with random weights, timing, the machine facts every JSON records, and ZIP's placeholder prompts.
#pragma once
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "bbpt/core/utc_time.h"
#include "bbpt/eval/zero_shot.h"
#include "bbpt/model/clip_config.h"
#include "bbpt/model/clip_model.h"
#include "bbpt/tokenizer/clip_tokenizer.h"

namespace bbpt::bench {

using Clock = std::chrono::steady_clock;

/// OpenAI's ViT-B/16 shapes: 12 x 768 image tower at 224 px, 12 x 512 text tower, E = 512.
inline model::ClipConfig vit_b16_config() {
  model::ClipConfig c;
  c.embed_dim = 512;
  c.image_resolution = 224;
  c.vision_layers = {12};
  c.vision_width = 768;
  c.vision_patch_size = 16;
  c.vision_heads = 12;
  c.context_length = 77;
  c.vocab_size = 49408;
  c.transformer_width = 512;
  c.transformer_heads = 8;
  c.transformer_layers = 12;
  return c;
}

/// N(0, 0.02^2) weights, LayerNorms at their identity initialisation and CLIP's logit scale 100,
/// so that logits spread as in a trained model (draws from torch's global generator: seed it
/// first).
inline void randomize_clip_weights(model::ClipModel& model) {
  for (auto& item : model->named_parameters()) {
    const std::string& name = item.key();
    auto& p = item.value();
    const bool layer_norm = name.find("ln_") != std::string::npos;
    if (layer_norm && name.size() >= 7 && name.compare(name.size() - 7, 7, ".weight") == 0) {
      p.fill_(1.0);
    } else if (layer_norm) {
      p.zero_();
    } else {
      p.normal_(0.0, 0.02);
    }
  }
  model->logit_scale.fill_(std::log(100.0));
}

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The first value of a /proc/cpuinfo field ("model name", "cpu cores", "siblings"), or "unknown".
inline std::string cpuinfo_field(const std::string& field) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind(field, 0) == 0 &&
        line.find_first_not_of(" \t", field.size()) == line.find(':')) {
      const auto colon = line.find(':');
      const auto start = line.find_first_not_of(' ', colon + 1);
      return start == std::string::npos ? "" : line.substr(start);
    }
  }
  return "unknown";
}

/// The 1, 5 and 15 minute load averages of /proc/loadavg: other work on the machine moves every
/// number a benchmark prints, so each run records it.
inline std::string load_average() {
  std::ifstream file("/proc/loadavg");
  std::string one, five, fifteen;
  file >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

using core::utc_now;

/// ZIP's placeholder class prompts "X X ... X class <c>." (num_context X's) with the real CLIP
/// tokenizer -> [C, context_length].
inline torch::Tensor placeholder_tokens(const tokenizer::ClipTokenizer& tokenizer,
                                        int64_t num_classes,
                                        int64_t num_context,
                                        int64_t context_length) {
  std::string placeholder;
  for (int64_t i = 0; i < num_context; ++i) placeholder += "X ";
  std::vector<std::string> texts;
  for (int64_t c = 0; c < num_classes; ++c) {
    texts.push_back(eval::fill_template(placeholder + "{}.", "class " + std::to_string(c)));
  }
  return eval::tokenize_texts(tokenizer, texts, context_length);
}

}  // namespace bbpt::bench
