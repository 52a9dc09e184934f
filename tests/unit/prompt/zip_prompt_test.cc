// SPDX-License-Identifier: MIT
// ZipPrompt must match algorithms.md 2.2 exactly: the parameter counts that fix the SPSA clipping
// threshold (2.3), theta_0 giving back p0 (the run starts from the random context), the flatten
// order, and frozen parameters that are reproducible from the seed and restorable from a
// checkpoint.
#include "bbpt/prompt/zip_prompt.h"

#include <gtest/gtest.h>

#include "bbpt/core/error.h"

namespace bbpt::prompt {
namespace {

torch::Tensor initial_thetas(const ZipPrompt& prompt, int64_t k) {
  auto theta = torch::tensor(prompt.initial_parameters(), torch::kDouble);  // [N]
  return theta.unsqueeze(0).repeat({k, 1});                                 // [K, N]
}

TEST(ZipPrompt, ParameterCounts) {
  const int64_t width = 512;
  EXPECT_EQ(ZipPrompt({}, width, 1).num_parameters(),
            417);  // 40 + 5 + 310 + 62 (algorithms.md 2.1)
  EXPECT_EQ(ZipPrompt({}, width, 1).token_dim(), 62);
  ZipPromptOptions o;
  o.shared_feature = false;
  EXPECT_EQ(ZipPrompt(o, width, 1).num_parameters(), 355);
  o.low_rank = false;
  EXPECT_EQ(ZipPrompt(o, width, 1).num_parameters(), 496);  // dense Z, 8 x 62
  o.shared_feature = true;
  EXPECT_EQ(ZipPrompt(o, width, 1).num_parameters(), 558);  // dense Z + v_sh
  ZipPromptOptions rank1;
  rank1.rank = 1;
  EXPECT_EQ(ZipPrompt(rank1, width, 1).num_parameters(), 8 + 1 + 62 + 62);
  ZipPromptOptions big;
  big.intrinsic_dim = 1000;  // d = 125
  EXPECT_EQ(ZipPrompt(big, width, 1).num_parameters(), 40 + 5 + 625 + 125);
  for (const auto& p : {ZipPrompt({}, width, 1), ZipPrompt(o, width, 1)}) {
    EXPECT_EQ(static_cast<int64_t>(p.initial_parameters().size()), p.num_parameters());
  }
}

TEST(ZipPrompt, RejectsBadOptions) {
  ZipPromptOptions o;
  o.intrinsic_dim = 7;  // < M = 8: d = 0
  EXPECT_THROW(ZipPrompt(o, 512, 1), ConfigError);
  ZipPromptOptions wide;
  wide.intrinsic_dim = 8 * 100;  // d = 100 > L = 64
  EXPECT_THROW(ZipPrompt(wide, 64, 1), ConfigError);
  EXPECT_THROW(ZipPrompt({}, 0, 1), ConfigError);
}

// U = 0, v_sh = 0 at theta_0, so every setting of the batch is exactly p0.
TEST(ZipPrompt, InitialParametersGiveP0Exactly) {
  for (bool low_rank : {true, false}) {
    ZipPromptOptions o;
    o.low_rank = low_rank;
    const ZipPrompt prompt(o, 512, 5);
    const auto contexts = prompt.contexts(initial_thetas(prompt, 3));  // [K, M, W]
    ASSERT_EQ(contexts.sizes(), (std::vector<int64_t>{3, 8, 512}));
    EXPECT_EQ(contexts.scalar_type(), torch::kFloat);
    for (int64_t k = 0; k < 3; ++k)
      EXPECT_TRUE(torch::equal(contexts[k], prompt.initial_context()));
  }
  // p0 ~ N(0, 0.02^2).
  const ZipPrompt prompt({}, 512, 5);
  EXPECT_NEAR(prompt.initial_context().std().item<double>(), 0.02, 0.002);
  // theta_0 = [U = 0, s = 1, V = V0 ~ N(0, 1), v_sh = 0].
  const auto& theta = prompt.initial_parameters();
  for (int i = 0; i < 40; ++i) EXPECT_EQ(theta[i], 0.0);
  for (int i = 40; i < 45; ++i) EXPECT_EQ(theta[i], 1.0);
  for (int i = 355; i < 417; ++i) EXPECT_EQ(theta[i], 0.0);
  double sum2 = 0;
  for (int i = 45; i < 355; ++i) sum2 += theta[i] * theta[i];
  EXPECT_NEAR(std::sqrt(sum2 / 310), 1.0, 0.15);
}

// The flatten order U, s, V, v_sh (algorithms.md 2.3), against a per-element evaluation of
// Z = U diag(s) V^T + 1 v_sh^T.
TEST(ZipPrompt, IntrinsicCodesFollowFlattenOrder) {
  ZipPromptOptions o;
  o.num_context = 3;
  o.intrinsic_dim = 12;  // d = 4
  o.rank = 2;
  const ZipPrompt prompt(o, 16, 1);
  const int64_t m = 3, d = 4, r = 2;
  ASSERT_EQ(prompt.num_parameters(), m * r + r + d * r + d);
  torch::manual_seed(2);
  auto thetas = torch::randn({2, prompt.num_parameters()}, torch::kDouble);
  auto z = prompt.intrinsic_codes(thetas);  // [K, M, d]
  ASSERT_EQ(z.sizes(), (std::vector<int64_t>{2, m, d}));
  auto t = thetas.accessor<double, 2>();
  for (int64_t k = 0; k < 2; ++k) {
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < d; ++j) {
        double want = t[k][m * r + r + d * r + j];  // v_sh[j]
        for (int64_t q = 0; q < r; ++q) {
          want += t[k][i * r + q] * t[k][m * r + q] * t[k][m * r + r + j * r + q];  // U s V
        }
        EXPECT_NEAR(z[k][i][j].item<double>(), want, 1e-5);
      }
    }
  }
  // Dense mode: Z is theta's first M d entries, row-major (+ v_sh when shared).
  o.low_rank = false;
  o.shared_feature = false;
  const ZipPrompt dense(o, 16, 1);
  auto td = torch::randn({2, dense.num_parameters()}, torch::kDouble);
  EXPECT_TRUE(torch::allclose(dense.intrinsic_codes(td), td.view({2, m, d}).to(torch::kFloat)));
}

// With U = 0 every token gets the shared code: ctx_i = p0_i + FF_i(v_sh), each token through its
// own map.
TEST(ZipPrompt, ZeroUGivesP0PlusSharedFeature) {
  const ZipPrompt prompt({}, 512, 3);
  torch::manual_seed(3);
  auto thetas = torch::randn({2, 417}, torch::kDouble);
  thetas.narrow(1, 0, 40).zero_();
  auto v_sh = thetas.narrow(1, 355, 62);  // [K, d]
  const auto contexts = prompt.contexts(thetas);
  for (int64_t i = 0; i < 8; ++i) {
    auto want = prompt.initial_context()[i].unsqueeze(0) + prompt.fastfood()[i].apply(v_sh);
    EXPECT_TRUE(torch::allclose(contexts.select(1, i), want, 1e-5, 1e-6)) << "token " << i;
  }
  // The maps are independent: two tokens with the same code get different vectors.
  EXPECT_FALSE(torch::allclose(contexts.select(1, 0) - prompt.initial_context()[0],
                               contexts.select(1, 1) - prompt.initial_context()[1]));
}

// Same seed, same frozen tensors on every construction; another seed, other tensors.
TEST(ZipPrompt, FrozenTensorsAreAFunctionOfTheSeed) {
  const ZipPrompt a({}, 512, 42), b({}, 512, 42), c({}, 512, 43);
  const auto fa = a.frozen_tensors(), fb = b.frozen_tensors(), fc = c.frozen_tensors();
  ASSERT_EQ(fa.size(), 1u + 3u * 8u + 1u);
  ASSERT_EQ(fa.size(), fc.size());
  for (size_t i = 0; i < fa.size(); ++i) {
    EXPECT_EQ(fa[i].first, fb[i].first);
    EXPECT_TRUE(torch::equal(fa[i].second, fb[i].second)) << fa[i].first;
    EXPECT_FALSE(torch::equal(fa[i].second, fc[i].second)) << fa[i].first;
  }
  EXPECT_EQ(a.initial_parameters(), b.initial_parameters());
  EXPECT_NE(a.initial_parameters(), c.initial_parameters());
}

// A prompt rebuilt with a different seed and the saved tensors evaluates identically.
TEST(ZipPrompt, LoadFrozenTensorsRoundTrip) {
  const ZipPrompt saved({}, 512, 1);
  ZipPrompt restored({}, 512, 2);
  restored.load_frozen_tensors(saved.frozen_tensors());
  EXPECT_EQ(restored.initial_parameters(), saved.initial_parameters());
  torch::manual_seed(4);
  auto thetas = torch::randn({3, 417});
  EXPECT_TRUE(torch::equal(restored.contexts(thetas), saved.contexts(thetas)));

  auto missing = saved.frozen_tensors();
  missing.erase(missing.begin() + 5);  // "fastfood.1.permutation"
  ZipPrompt target({}, 512, 2);
  try {
    target.load_frozen_tensors(missing);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("fastfood.1.permutation"), std::string::npos) << e.what();
  }
  auto reshaped = saved.frozen_tensors();
  reshaped[0].second = reshaped[0].second.narrow(0, 0, 4);  // p0 [4, 512]
  EXPECT_THROW(target.load_frozen_tensors(reshaped), ConfigError);
  // Failed loads leave the prompt as it was.
  EXPECT_TRUE(torch::equal(target.initial_context(), ZipPrompt({}, 512, 2).initial_context()));
}

TEST(ZipPrompt, RejectsWrongThetaShape) {
  const ZipPrompt prompt({}, 512, 1);
  EXPECT_THROW(prompt.contexts(torch::zeros({2, 416})), c10::Error);
  EXPECT_THROW(prompt.contexts(torch::zeros({417})), c10::Error);
}

}  // namespace
}  // namespace bbpt::prompt
