// SPDX-License-Identifier: MIT
// Implements SubspacePrompt (algorithms.md 5.1; ref: LOG-postech/ZIP trainers/bptvlm.py, after
// ECNU-ICALK/BPT-VLM model/Shallow_Prompt_CLIP.py).
#include "bbpt/prompt/subspace_prompt.h"

#include <cmath>
#include <map>

#include "bbpt/core/error.h"
#include "bbpt/core/rng.h"
#include "bbpt/prompt/rng_streams.h"

namespace bbpt::prompt {
namespace {

// The fan-in BPT-VLM normalises the visual init by: hard-coded to ViT-B/32's conv1 fan-in
// 3 * 32 * 32 = 3072 in the official code and the ZIP port, whatever the backbone
// (algorithms.md 5.1).
constexpr double kVisualInitFanIn = 3072.0;

// [rows, cols] float32 with entries mean + std * normal(), drawn row-major.
torch::Tensor draw_normal(
    int64_t rows, int64_t cols, double mean, double std, uint64_t seed, uint64_t stream) {
  core::Rng rng(seed, stream);
  std::vector<float> values(static_cast<size_t>(rows * cols));
  for (auto& v : values) v = static_cast<float>(mean + std * rng.normal());
  return torch::tensor(values, torch::kFloat).view({rows, cols});
}

torch::Tensor project(const torch::Tensor& x,
                      int64_t offset,
                      const torch::Tensor& projection,
                      int64_t tokens,
                      int64_t width) {
  const int64_t k = x.size(0);
  auto part =
      x.narrow(1, offset, projection.size(1)).to(projection.device(), torch::kFloat);  // [K, n]
  return part.mm(projection.t()).view({k, tokens, width});  // [K, tokens, width]
}

}  // namespace

SubspacePrompt::SubspacePrompt(const SubspacePromptOptions& options,
                               int64_t text_width,
                               int64_t visual_width,
                               double token_embedding_std,
                               double conv_mean,
                               double conv_std,
                               uint64_t seed)
    : options_(options), text_width_(text_width), visual_width_(visual_width) {
  BBPT_CHECK(options.text_tokens >= 1 && options.text_dim >= 1, ConfigError,
             "BPT-VLM text_tokens (= " << options.text_tokens << ") and text_dim (= "
                                       << options.text_dim << ") must be >= 1");
  BBPT_CHECK(text_width >= 1, ConfigError,
             "BPT-VLM text width (= " << text_width << ") must be >= 1");
  BBPT_CHECK(visual_width >= 0, ConfigError,
             "BPT-VLM visual width (= " << visual_width << ") must be >= 0 (0: no visual prompts)");
  BBPT_CHECK(options.sigma > 0.0, ConfigError,
             "BPT-VLM sigma (= " << options.sigma << ") must be > 0");
  BBPT_CHECK(token_embedding_std >= 0.0 && conv_std >= 0.0, ConfigError,
             "BPT-VLM init stds (token embedding " << token_embedding_std << ", conv1 " << conv_std
                                                   << ") must be >= 0");
  // algorithms.md 5.1: A_L ~ N(0, sigma_emb / (sqrt(text_dim) * sigma)).
  const double text_std =
      token_embedding_std / (std::sqrt(static_cast<double>(options.text_dim)) * options.sigma);
  text_projection_ = draw_normal(options.text_tokens * text_width, options.text_dim, 0.0, text_std,
                                 seed, kSubspaceTextStream);  // [Mt W, text_dim]
  if (visual_width > 0) {
    BBPT_CHECK(options.visual_tokens >= 1 && options.visual_dim >= 1, ConfigError,
               "BPT-VLM visual_tokens (= " << options.visual_tokens << ") and visual_dim (= "
                                           << options.visual_dim << ") must be >= 1");
    // algorithms.md 5.1: A_V ~ N(mu_conv * 3072 / visual_dim, sigma_conv * sqrt(3072 / visual_dim)
    // * sigma).
    const double ratio = kVisualInitFanIn / static_cast<double>(options.visual_dim);
    visual_projection_ =
        draw_normal(options.visual_tokens * visual_width, options.visual_dim, conv_mean * ratio,
                    conv_std * std::sqrt(ratio) * options.sigma, seed,
                    kSubspaceVisualStream);  // [Mv Dv, visual_dim]
  }
}

int64_t SubspacePrompt::num_parameters() const {
  return options_.text_dim + (has_visual() ? options_.visual_dim : 0);
}

std::vector<double> SubspacePrompt::initial_parameters() const {
  return std::vector<double>(static_cast<size_t>(num_parameters()), 0.0);
}

torch::Tensor SubspacePrompt::text_contexts(const torch::Tensor& x) const {
  const int64_t n = num_parameters();
  TORCH_CHECK(x.dim() == 2 && x.size(1) == n, "SubspacePrompt expects x [K, ", n, "], got ",
              x.sizes());
  return project(x, 0, text_projection_, options_.text_tokens, text_width_);  // [K, Mt, W]
}

torch::Tensor SubspacePrompt::visual_prompts(const torch::Tensor& x) const {
  const int64_t n = num_parameters();
  TORCH_CHECK(x.dim() == 2 && x.size(1) == n, "SubspacePrompt expects x [K, ", n, "], got ",
              x.sizes());
  if (!has_visual()) return {};
  return project(x, options_.text_dim, visual_projection_, options_.visual_tokens,
                 visual_width_);  // [K, Mv, Dv]
}

std::vector<std::pair<std::string, torch::Tensor>> SubspacePrompt::frozen_tensors() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  out.emplace_back("text_projection", text_projection_);
  if (has_visual()) out.emplace_back("visual_projection", visual_projection_);
  return out;
}

void SubspacePrompt::load_frozen_tensors(
    const std::vector<std::pair<std::string, torch::Tensor>>& tensors) {
  std::map<std::string, torch::Tensor> by_name(tensors.begin(), tensors.end());
  const auto fetch = [&](const std::string& name, const torch::Tensor& current) {
    const auto it = by_name.find(name);
    BBPT_CHECK(it != by_name.end() && it->second.defined(), ConfigError,
               "BPT-VLM prompt: frozen tensor '" << name << "' is missing");
    BBPT_CHECK(it->second.sizes() == current.sizes(), ConfigError,
               "BPT-VLM prompt: frozen tensor '" << name << "' has shape " << it->second.sizes()
                                                 << ", expected " << current.sizes());
    return it->second.to(current.device(), torch::kFloat).contiguous();
  };
  auto text = fetch("text_projection", text_projection_);
  torch::Tensor visual;
  if (has_visual()) visual = fetch("visual_projection", visual_projection_);
  text_projection_ = text;
  visual_projection_ = visual;
}

void SubspacePrompt::to(torch::Device device) {
  text_projection_ = text_projection_.to(device);
  if (has_visual()) visual_projection_ = visual_projection_.to(device);
}

}  // namespace bbpt::prompt
