// SPDX-License-Identifier: MIT
// The forward pass: the KV cache changes the cost, not the logits; the steered newest position
// equals re-running the whole sequence with only that position shifted; grouped-query attention
// serves query head h from key/value head h / (H / Hkv), as transformers' repeat_kv does; the
// llama3 RoPE scaling follows transformers' rule.
#include "bbpt/lm/llama_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "bbpt/core/error.h"
#include "lm_test_util.h"

namespace bbpt::lm {
namespace {

using namespace testing;

double max_rel(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs().max() / b.abs().max()).item<double>();
}

TEST(LlamaModel, CachedIncrementalLogitsEqualFullSequence) {
  const LlamaModel model = LlamaModel::load(write_hf_checkpoint("cache", small_config_json()));
  const torch::Tensor ids =
      torch::tensor({{1, 7, 3, 22, 9, 41, 5, 17}, {1, 4, 4, 8, 30, 2, 11, 6}}, torch::kInt64);
  const torch::Tensor full = model.logits(ids);  // [2, 8, V]
  KvCache cache = model.new_cache(2, 8);
  model.forward(ids.narrow(1, 0, 3), cache);  // a 3-token prefill, then one token at a time
  EXPECT_EQ(cache.length(), 3);
  for (int64_t t = 3; t < 8; ++t) {
    const torch::Tensor step = model.forward(ids.narrow(1, t, 1), cache);  // [2, V]
    EXPECT_LT(max_rel(step, full.select(1, t)), 1e-5) << "position " << t;
  }
  EXPECT_EQ(cache.length(), 8);
}

TEST(LlamaModel, SteeredNewestPositionEqualsFullRerunAndCacheStaysUnshifted) {
  const LlamaModel model = LlamaModel::load(write_hf_checkpoint("steer", small_config_json()));
  const torch::Tensor ids = torch::tensor({{1, 7, 3, 22, 9, 41}}, torch::kInt64);
  torch::manual_seed(3);
  const SteeringOffset steer{1, 2.0 * torch::randn({32})};
  // The official way: the whole sequence at once with its last position shifted.
  KvCache fresh = model.new_cache(1, 6);
  const torch::Tensor rerun = model.forward(ids, fresh, steer);
  // Cached: five positions, then the sixth with the offset.
  KvCache cache = model.new_cache(1, 7);
  model.forward(ids.narrow(1, 0, 5), cache);
  const torch::Tensor cached = model.forward(ids.narrow(1, 5, 1), cache, steer);
  EXPECT_LT(max_rel(cached, rerun), 1e-5);
  const torch::Tensor plain = model.logits(ids).select(1, 5);
  EXPECT_GT(max_rel(cached, plain), 1e-2) << "the offset must change the logits";
  // The sixth position is cached unshifted: the next token sees exactly the unsteered history.
  const torch::Tensor next = torch::tensor({{13}}, torch::kInt64);
  const torch::Tensor after = model.forward(next, cache);
  EXPECT_LT(max_rel(after, model.logits(torch::cat({ids, next}, 1)).select(1, 6)), 1e-5);
}

TEST(LlamaModel, GroupedQueryAttentionMatchesReplicatedHeads) {
  // One key/value head shared by 4 query heads equals 4 key/value heads holding copies of it.
  nlohmann::json one = small_config_json(1), four = small_config_json(4);
  const std::string dir_one = write_hf_checkpoint("gqa1", one);
  const LlamaModel a = LlamaModel::load(dir_one);
  LlamaWeights w = a.weights();
  LlamaConfig c = a.config();
  c.num_kv_heads = 4;
  for (auto& layer : w.layers) {
    layer.k_proj = layer.k_proj.repeat({4, 1});  // [Hd, D] -> [4*Hd, D]
    layer.v_proj = layer.v_proj.repeat({4, 1});
  }
  const LlamaModel b(c, w, {});
  const torch::Tensor ids = torch::tensor({{1, 9, 8, 7, 6}}, torch::kInt64);
  EXPECT_LT(max_rel(a.logits(ids), b.logits(ids)), 1e-6);

  // 2 kv heads for 4 query heads: query heads 0,1 read kv head 0 and 2,3 read kv head 1.
  const LlamaModel g = LlamaModel::load(write_hf_checkpoint("gqa2", small_config_json(2)));
  LlamaWeights wg = g.weights();
  LlamaConfig cg = g.config();
  cg.num_kv_heads = 4;
  for (auto& layer : wg.layers) {
    const auto k = layer.k_proj.view({2, 8, 32}), v = layer.v_proj.view({2, 8, 32});
    layer.k_proj = k.repeat_interleave(2, 0).reshape({32, 32});
    layer.v_proj = v.repeat_interleave(2, 0).reshape({32, 32});
  }
  EXPECT_LT(max_rel(g.logits(ids), LlamaModel(cg, wg, {}).logits(ids)), 1e-6);
}

TEST(LlamaModel, Llama3RopeScalingFollowsTransformersRule) {
  LlamaConfig c;
  c.head_dim = 8;
  c.rope_theta = 500000.0;
  c.has_rope_scaling = true;
  c.rope_scaling = {8.0, 1.0, 4.0, 8192};
  const torch::Tensor got = rope_inverse_frequencies(c);
  for (int64_t j = 0; j < 4; ++j) {
    const double base = 1.0 / std::pow(500000.0, 2.0 * j / 8.0);
    const double wavelen = 2 * M_PI / base;
    double expected = base;
    if (wavelen > 8192.0) {
      expected = base / 8.0;
    } else if (wavelen >= 2048.0) {
      const double smooth = (8192.0 / wavelen - 1.0) / (4.0 - 1.0);
      expected = (1 - smooth) * base / 8.0 + smooth * base;
    }
    EXPECT_NEAR(got[j].item<double>() / expected, 1.0, 1e-5) << "j " << j << " wavelen " << wavelen;
  }
}

TEST(LlamaModel, TiedHeadSharesEmbeddings) {
  nlohmann::json config = small_config_json();
  config["tie_word_embeddings"] = true;
  const LlamaModel model = LlamaModel::load(write_hf_checkpoint("tied", config));
  EXPECT_TRUE(model.weights().lm_head.is_same(model.weights().embed_tokens));
}

TEST(LlamaModel, OutOfVocabularyIdIsRefused) {
  const LlamaModel model = LlamaModel::load(write_hf_checkpoint("oov", small_config_json()));
  EXPECT_THROW(model.logits(torch::tensor({{1, 50}}, torch::kInt64)), ConfigError);
}

}  // namespace
}  // namespace bbpt::lm
