// SPDX-License-Identifier: MIT
// Fastfood must be exactly the linear map algorithms.md 2.2 writes down (ZIP's search space depends
// on it) and approximately norm preserving (so the SPSA step sizes of 2.3 mean the same thing).
#include "bbpt/prompt/fastfood.h"

#include <gtest/gtest.h>

#include <iostream>

#include "bbpt/core/error.h"
#include "bbpt/core/rng.h"

namespace bbpt::prompt {
namespace {

// Sylvester Hadamard matrix H[i, j] = (-1)^popcount(i & j), in double.
torch::Tensor hadamard(int64_t length) {
  auto h = torch::empty({length, length}, torch::kDouble);
  auto a = h.accessor<double, 2>();
  for (int64_t i = 0; i < length; ++i) {
    for (int64_t j = 0; j < length; ++j) a[i][j] = (__builtin_popcountll(i & j) % 2) ? -1.0 : 1.0;
  }
  return h;
}

double max_rel_err(const torch::Tensor& got, const torch::Tensor& want) {
  return (got.to(torch::kDouble) - want.to(torch::kDouble)).abs().max().item<double>() /
         want.to(torch::kDouble).abs().max().item<double>();
}

// fwht is the multiplication by the explicit matrix, batched over leading dims, and H H = L I.
TEST(Fwht, EqualsExplicitHadamardAndIsItsOwnInverseUpToL) {
  torch::manual_seed(0);
  for (int64_t length : {1, 2, 8, 512}) {
    auto x = torch::randn({2, 3, length}, torch::kDouble);  // [2, 3, L]
    auto want = x.matmul(hadamard(length));                 // H is symmetric
    auto got = fwht(x);
    ASSERT_EQ(got.sizes(), x.sizes());
    EXPECT_LE(max_rel_err(got, want), 1e-12) << "L = " << length;
    EXPECT_LE(max_rel_err(fwht(got), x * static_cast<double>(length)), 1e-12) << "L = " << length;
  }
  // float32 works too (the dtype ZipPrompt runs it in).
  auto xf = torch::randn({4, 512});
  EXPECT_LE(max_rel_err(fwht(xf), xf.to(torch::kDouble).matmul(hadamard(512))), 1e-5);
}

TEST(Fwht, RejectsNonPowerOfTwo) { EXPECT_THROW(fwht(torch::zeros({3, 6})), c10::Error); }

// apply() (butterflies, gather) must equal the matrix written from the formula with explicit H, P.
TEST(Fastfood, ApplyEqualsDenseMatrix) {
  struct Case {
    int64_t in_dim, out_dim, padded;
  };
  for (const Case c : {Case{62, 512, 512}, Case{62, 100, 128}, Case{62, 128, 128}, Case{4, 3, 4}}) {
    core::Rng rng(7, 1);
    const auto ff = Fastfood::draw(c.in_dim, c.out_dim, rng);
    ASSERT_EQ(ff.padded_dim, c.padded);
    auto z = torch::randn({6, c.in_dim}, torch::kDouble);  // [K, d]
    auto got = ff.apply(z);                                // [K, D]
    ASSERT_EQ(got.sizes(), (std::vector<int64_t>{6, c.out_dim}));
    EXPECT_EQ(got.scalar_type(), torch::kFloat);
    auto dense = ff.dense_matrix();  // [D, d]
    ASSERT_EQ(dense.sizes(), (std::vector<int64_t>{c.out_dim, c.in_dim}));
    const double err = max_rel_err(got, z.mm(dense.to(torch::kDouble).t()));
    std::cout << "Fastfood d=" << c.in_dim << " D=" << c.out_dim << ": max_rel_err = " << err
              << "\n";
    EXPECT_LE(err, 1e-5);
  }
}

// The draw is a function of the stream alone: pi is a permutation, b is +-1, scale follows g.
TEST(Fastfood, DrawIsDeterministicAndWellFormed) {
  core::Rng a(3, 9), b(3, 9), c(4, 9);
  const auto fa = Fastfood::draw(62, 512, a), fb = Fastfood::draw(62, 512, b),
             fc = Fastfood::draw(62, 512, c);
  EXPECT_TRUE(torch::equal(fa.signs, fb.signs));
  EXPECT_TRUE(torch::equal(fa.permutation, fb.permutation));
  EXPECT_TRUE(torch::equal(fa.gaussian, fb.gaussian));
  EXPECT_FALSE(torch::equal(fa.gaussian, fc.gaussian));
  EXPECT_TRUE(torch::equal(std::get<0>(fa.permutation.sort()), torch::arange(512, torch::kLong)));
  EXPECT_TRUE(torch::equal(fa.signs.abs(), torch::ones({512})));
  // D = L = 512: scale = 1 / (sqrt(512) ||g||) (algorithms.md 2.2).
  const double g_norm = fa.gaussian.to(torch::kDouble).norm().item<double>();
  EXPECT_NEAR(fa.scale * std::sqrt(512.0) * g_norm, 1.0, 1e-12);
  const auto restored = Fastfood::from_tensors(62, 512, fa.signs, fa.permutation, fa.gaussian);
  EXPECT_EQ(restored.scale, fa.scale);
}

TEST(Fastfood, RejectsInputLargerThanPaddedDim) {
  core::Rng rng(1);
  EXPECT_THROW(Fastfood::draw(129, 100, rng), ConfigError);
  EXPECT_THROW(Fastfood::from_tensors(62, 512, torch::ones({512}),
                                      torch::zeros({512}, torch::kLong), torch::ones({512})),
               ConfigError);  // not a permutation
}

// ||FF(z)|| ~ ||z|| on average, so a step of size a in theta moves the prompt by about a.
TEST(Fastfood, ApproximatelyPreservesNorm) {
  torch::manual_seed(1);
  for (int64_t out_dim : {512, 100}) {
    core::Rng rng(11, static_cast<uint64_t>(out_dim));
    const auto ff = Fastfood::draw(62, out_dim, rng);
    auto z = torch::randn({256, 62});
    const double ratio = (ff.apply(z).norm(2, 1) / z.norm(2, 1)).mean().item<double>();
    std::cout << "Fastfood D=" << out_dim << ": mean ||FF(z)|| / ||z|| = " << ratio << "\n";
    EXPECT_NEAR(ratio, 1.0, 0.1);
  }
}

}  // namespace
}  // namespace bbpt::prompt
