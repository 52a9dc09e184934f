// SPDX-License-Identifier: MIT
// Implements fwht and Fastfood (algorithms.md 2.2; ref: LOG-postech/ZIP projections/intrinsic.py,
// fastfood_torched / fast_walsh_hadamard_torched).
#include "bbpt/prompt/fastfood.h"

#include <cmath>
#include <numeric>
#include <vector>

#include "bbpt/core/error.h"

namespace bbpt::prompt {
namespace {

bool is_power_of_two(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

double fastfood_scale(const torch::Tensor& gaussian, int64_t out_dim) {
  const int64_t padded = gaussian.size(0);
  const double g_norm2 = gaussian.to(torch::kCPU, torch::kDouble).square().sum().item<double>();
  // algorithms.md 2.2: divide y[0:D] by sqrt(L * ||g||^2) * sqrt(D / L).
  return 1.0 / (std::sqrt(static_cast<double>(padded) * g_norm2) *
                std::sqrt(static_cast<double>(out_dim) / static_cast<double>(padded)));
}

}  // namespace

int64_t next_power_of_two(int64_t n) {
  BBPT_ASSERT(n >= 1, "next_power_of_two needs n >= 1, got " << n);
  int64_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

torch::Tensor fwht(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() >= 1, "fwht needs at least one dimension");
  const int64_t length = x.size(-1);
  TORCH_CHECK(is_power_of_two(length), "fwht needs a power-of-two last dimension, got ", length);
  auto sizes = x.sizes().vec();
  const int64_t rows = x.numel() / length;
  auto y = x.reshape({rows, length});  // [N, L]
  // Butterfly at stride h: index = block * 2h + half * h + offset, (a, b) -> (a + b, a - b).
  for (int64_t h = 1; h < length; h <<= 1) {
    auto v = y.view({rows, length / (2 * h), 2, h});           // [N, L / 2h, 2, h]
    auto a = v.select(2, 0);                                   // [N, L / 2h, h]
    auto b = v.select(2, 1);                                   // [N, L / 2h, h]
    y = torch::stack({a + b, a - b}, 2).view({rows, length});  // [N, L]
  }
  return y.view(sizes);  // [..., L]
}

Fastfood Fastfood::draw(int64_t in_dim, int64_t out_dim, core::Rng& rng) {
  BBPT_CHECK(out_dim >= 1, ConfigError,
             "Fastfood output dimension (= " << out_dim << ") must be >= 1");
  const int64_t padded = next_power_of_two(out_dim);  // algorithms.md 2.2: L = 2^ceil(log2 D)
  BBPT_CHECK(in_dim >= 1 && in_dim <= padded, ConfigError,
             "Fastfood input dimension (= " << in_dim << ") must be in [1, L = " << padded
                                            << "] for output dimension " << out_dim);
  std::vector<float> signs(static_cast<size_t>(padded));
  for (auto& b : signs) b = static_cast<float>(rng.rademacher());
  std::vector<int64_t> permutation(static_cast<size_t>(padded));
  std::iota(permutation.begin(), permutation.end(), int64_t{0});
  for (int64_t i = padded - 1; i >= 1; --i) {
    const auto j = static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(i + 1)));
    std::swap(permutation[static_cast<size_t>(i)], permutation[static_cast<size_t>(j)]);
  }
  std::vector<float> gaussian(static_cast<size_t>(padded));
  for (auto& g : gaussian) g = static_cast<float>(rng.normal());

  Fastfood ff;
  ff.in_dim = in_dim;
  ff.out_dim = out_dim;
  ff.padded_dim = padded;
  ff.signs = torch::tensor(signs, torch::kFloat);             // [L]
  ff.permutation = torch::tensor(permutation, torch::kLong);  // [L]
  ff.gaussian = torch::tensor(gaussian, torch::kFloat);       // [L]
  ff.scale = fastfood_scale(ff.gaussian, out_dim);
  return ff;
}

Fastfood Fastfood::from_tensors(int64_t in_dim,
                                int64_t out_dim,
                                const torch::Tensor& signs,
                                const torch::Tensor& permutation,
                                const torch::Tensor& gaussian) {
  BBPT_CHECK(out_dim >= 1, ConfigError,
             "Fastfood output dimension (= " << out_dim << ") must be >= 1");
  const int64_t padded = next_power_of_two(out_dim);
  BBPT_CHECK(in_dim >= 1 && in_dim <= padded, ConfigError,
             "Fastfood input dimension (= " << in_dim << ") must be in [1, " << padded << "]");
  const auto check_shape = [&](const torch::Tensor& t, const char* what) {
    BBPT_CHECK(t.defined() && t.dim() == 1 && t.size(0) == padded, ConfigError,
               "Fastfood " << what << " must have shape [" << padded << "], got "
                           << (t.defined() ? t.sizes() : c10::IntArrayRef{}));
  };
  check_shape(signs, "signs");
  check_shape(permutation, "permutation");
  check_shape(gaussian, "gaussian");
  auto perm = permutation.to(torch::kCPU, torch::kLong);
  const bool is_permutation =
      torch::equal(std::get<0>(perm.sort()), torch::arange(padded, torch::kLong));
  BBPT_CHECK(is_permutation, ConfigError,
             "Fastfood permutation is not a permutation of 0.." << padded - 1);

  Fastfood ff;
  ff.in_dim = in_dim;
  ff.out_dim = out_dim;
  ff.padded_dim = padded;
  const auto device = gaussian.device();
  ff.signs = signs.to(device, torch::kFloat).contiguous();
  ff.permutation = perm.to(device).contiguous();
  ff.gaussian = gaussian.to(device, torch::kFloat).contiguous();
  ff.scale = fastfood_scale(ff.gaussian, out_dim);
  return ff;
}

torch::Tensor Fastfood::apply(const torch::Tensor& z) const {
  TORCH_CHECK(z.dim() == 2 && z.size(1) == in_dim, "Fastfood::apply expects z [K, ", in_dim,
              "], got ", z.sizes());
  auto x = z.to(gaussian.device(), torch::kFloat);          // [K, d]
  x = torch::constant_pad_nd(x, {0, padded_dim - in_dim});  // [K, L] z'
  x = fwht(x * signs);                                      // [K, L] H diag(b) z'
  x = x.index_select(1, permutation);                       // [K, L] (P x)[i] = x[pi(i)]
  x = fwht(x * gaussian);                                   // [K, L] H diag(g) ...
  return x.narrow(1, 0, out_dim) * scale;                   // [K, D]
}

torch::Tensor Fastfood::dense_matrix() const {
  const auto opts = torch::TensorOptions().dtype(torch::kDouble);
  auto idx = torch::arange(padded_dim, torch::kLong);
  // H[i, j] = (-1)^popcount(i & j): accumulate the parity bit by bit.
  auto anded = torch::bitwise_and(idx.unsqueeze(1), idx.unsqueeze(0));  // [L, L]
  auto parity = torch::zeros({padded_dim, padded_dim}, torch::kLong);   // [L, L]
  for (int64_t bit = 1; bit < padded_dim; bit <<= 1) {
    parity =
        torch::bitwise_xor(parity, torch::ne(torch::bitwise_and(anded, bit), 0).to(torch::kLong));
  }
  auto hadamard = 1.0 - 2.0 * parity.to(torch::kDouble);  // [L, L]
  auto perm = permutation.to(torch::kCPU);
  auto p = torch::zeros({padded_dim, padded_dim}, opts);           // [L, L]
  p.index_put_({idx, perm}, 1.0);                                  // P[i, pi(i)] = 1
  auto g = torch::diag(gaussian.to(torch::kCPU, torch::kDouble));  // [L, L]
  auto b = torch::diag(signs.to(torch::kCPU, torch::kDouble));     // [L, L]
  auto full = hadamard.mm(g).mm(p).mm(hadamard).mm(b);             // [L, L]
  return (full.narrow(0, 0, out_dim).narrow(1, 0, in_dim) * scale).to(torch::kFloat);  // [D, d]
}

void Fastfood::to(torch::Device device) {
  signs = signs.to(device);
  permutation = permutation.to(device);
  gaussian = gaussian.to(device);
}

}  // namespace bbpt::prompt
