// SPDX-License-Identifier: MIT
// Implements ZipPrompt (algorithms.md 2.2; ref: LOG-postech/ZIP trainers/zip.py PromptLearner and
// projections/intrinsic.py).
#include "bbpt/prompt/zip_prompt.h"

#include <algorithm>
#include <map>

#include "bbpt/core/error.h"
#include "bbpt/core/rng.h"
#include "bbpt/prompt/rng_streams.h"

namespace bbpt::prompt {
namespace {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

std::string fastfood_name(int64_t token, const char* field) {
  return "fastfood." + std::to_string(token) + "." + field;
}

const torch::Tensor& find_tensor(const std::map<std::string, torch::Tensor>& by_name,
                                 const std::string& name,
                                 c10::IntArrayRef shape) {
  const auto it = by_name.find(name);
  BBPT_CHECK(it != by_name.end() && it->second.defined(), ConfigError,
             "ZIP prompt: frozen tensor '" << name << "' is missing");
  BBPT_CHECK(it->second.sizes() == shape, ConfigError,
             "ZIP prompt: frozen tensor '" << name << "' has shape " << it->second.sizes()
                                           << ", expected " << shape);
  return it->second;
}

}  // namespace

ZipPrompt::ZipPrompt(const ZipPromptOptions& options, int64_t width, uint64_t seed)
    : options_(options), width_(width) {
  const int64_t m = options.num_context;
  BBPT_CHECK(m >= 1 && m <= kMaxZipTokens, ConfigError,
             "ZIP num_context (= " << m << ") must be in [1, " << kMaxZipTokens << "]");
  BBPT_CHECK(width >= 1, ConfigError, "ZIP token width (= " << width << ") must be >= 1");
  BBPT_CHECK(options.intrinsic_dim >= m, ConfigError,
             "ZIP intrinsic_dim (= " << options.intrinsic_dim << ") must be >= num_context (= " << m
                                     << ") so that each token gets at least one dimension");
  BBPT_CHECK(!options.low_rank || options.rank >= 1, ConfigError,
             "ZIP rank (= " << options.rank << ") must be >= 1");
  BBPT_CHECK(options.init_std >= 0.0, ConfigError,
             "ZIP init_std (= " << options.init_std << ") must be >= 0");
  // algorithms.md 2.1: the intrinsic dimension is split evenly over the tokens, rounding down
  // (500 / 8 -> 62, so 496 are effective).
  token_dim_ = options.intrinsic_dim / m;
  const int64_t d = token_dim_;

  // p0 ~ N(0, init_std^2), [M, W] (algorithms.md 2.1 "context init").
  core::Rng context_rng(seed, kZipContextStream);
  std::vector<float> p0(static_cast<size_t>(m * width));
  for (auto& v : p0) v = static_cast<float>(options.init_std * context_rng.normal());
  initial_context_ = torch::tensor(p0, torch::kFloat).view({m, width});  // [M, W]

  fastfood_.reserve(static_cast<size_t>(m));
  for (int64_t i = 0; i < m; ++i) {
    core::Rng rng(seed, kZipFastfoodStream + static_cast<uint64_t>(i));
    fastfood_.push_back(Fastfood::draw(d, width, rng));
  }

  initial_parameters_.assign(static_cast<size_t>(num_parameters()), 0.0);
  if (options.low_rank) {
    // algorithms.md 2.2: U = 0, s = 1, V ~ N(0, 1), v_sh = 0.
    const int64_t r = options.rank;
    core::Rng v_rng(seed, kZipInitialVStream);
    std::vector<double> v0(static_cast<size_t>(d * r));
    for (auto& v : v0) v = v_rng.normal();
    initial_v_ = torch::tensor(v0, torch::kDouble).view({d, r});  // [d, r]
    auto it = initial_parameters_.begin() + m * r;
    std::fill(it, it + r, 1.0);
    std::copy(v0.begin(), v0.end(), it + r);
  }
}

int64_t ZipPrompt::num_parameters() const {
  const int64_t m = options_.num_context, d = token_dim_, r = options_.rank;
  const int64_t shared = options_.shared_feature ? d : 0;
  return options_.low_rank ? m * r + r + d * r + shared : m * d + shared;
}

torch::Tensor ZipPrompt::intrinsic_codes(const torch::Tensor& thetas) const {
  const int64_t n = num_parameters();
  TORCH_CHECK(thetas.dim() == 2 && thetas.size(1) == n, "ZipPrompt expects thetas [K, ", n,
              "], got ", thetas.sizes());
  const int64_t k = thetas.size(0), m = options_.num_context, d = token_dim_, r = options_.rank;
  auto t = thetas.to(device(), torch::kDouble);  // [K, N]
  torch::Tensor z;                               // [K, M, d]
  int64_t offset = 0;
  if (options_.low_rank) {
    auto u = t.narrow(1, offset, m * r).view({k, m, r});  // [K, M, r]
    offset += m * r;
    auto s = t.narrow(1, offset, r);  // [K, r]
    offset += r;
    auto v = t.narrow(1, offset, d * r).view({k, d, r});  // [K, d, r]
    offset += d * r;
    z = torch::bmm(u * s.unsqueeze(1), v.transpose(1, 2));  // [K, M, d] = U diag(s) V^T
  } else {
    z = t.narrow(1, offset, m * d).view({k, m, d});  // [K, M, d]
    offset += m * d;
  }
  if (options_.shared_feature) {
    z = z + t.narrow(1, offset, d).unsqueeze(1);  // [K, M, d] += 1_M v_sh^T
  }
  return z.to(torch::kFloat);
}

torch::Tensor ZipPrompt::contexts(const torch::Tensor& thetas) const {
  auto z = intrinsic_codes(thetas);  // [K, M, d]
  std::vector<torch::Tensor> tokens;
  tokens.reserve(fastfood_.size());
  for (int64_t i = 0; i < options_.num_context; ++i) {
    tokens.push_back(fastfood_[static_cast<size_t>(i)].apply(z.select(1, i)));  // [K, W]
  }
  return initial_context_.unsqueeze(0) + torch::stack(tokens, 1);  // [K, M, W]
}

NamedTensors ZipPrompt::frozen_tensors() const {
  NamedTensors out;
  out.emplace_back("p0", initial_context_);
  for (int64_t i = 0; i < options_.num_context; ++i) {
    const auto& ff = fastfood_[static_cast<size_t>(i)];
    out.emplace_back(fastfood_name(i, "signs"), ff.signs);
    out.emplace_back(fastfood_name(i, "permutation"), ff.permutation);
    out.emplace_back(fastfood_name(i, "gaussian"), ff.gaussian);
  }
  if (options_.low_rank) out.emplace_back("V0", initial_v_.to(device()));
  return out;
}

void ZipPrompt::load_frozen_tensors(const NamedTensors& tensors) {
  std::map<std::string, torch::Tensor> by_name(tensors.begin(), tensors.end());
  const int64_t m = options_.num_context, d = token_dim_;
  // Build everything first so that a bad tensor leaves this prompt unchanged.
  auto p0 = find_tensor(by_name, "p0", {m, width_}).to(device(), torch::kFloat).contiguous();
  std::vector<Fastfood> maps;
  maps.reserve(static_cast<size_t>(m));
  for (int64_t i = 0; i < m; ++i) {
    const int64_t l = fastfood_[static_cast<size_t>(i)].padded_dim;
    const auto& signs = find_tensor(by_name, fastfood_name(i, "signs"), {l});
    const auto& perm = find_tensor(by_name, fastfood_name(i, "permutation"), {l});
    const auto& gauss = find_tensor(by_name, fastfood_name(i, "gaussian"), {l});
    try {
      maps.push_back(Fastfood::from_tensors(d, width_, signs.to(device()), perm.to(device()),
                                            gauss.to(device())));
    } catch (const ConfigError& e) {
      BBPT_THROW(ConfigError, "ZIP prompt: frozen tensors 'fastfood." << i << ".*': " << e.what());
    }
  }
  torch::Tensor v0;
  if (options_.low_rank) {
    v0 =
        find_tensor(by_name, "V0", {d, options_.rank}).to(torch::kCPU, torch::kDouble).contiguous();
  }

  initial_context_ = p0;
  fastfood_ = std::move(maps);
  if (options_.low_rank) {
    initial_v_ = v0;
    const auto* data = initial_v_.data_ptr<double>();
    std::copy(data, data + initial_v_.numel(),
              initial_parameters_.begin() + m * options_.rank + options_.rank);
  }
}

void ZipPrompt::to(torch::Device device) {
  initial_context_ = initial_context_.to(device);
  for (auto& ff : fastfood_) ff.to(device);
}

}  // namespace bbpt::prompt
