// SPDX-License-Identifier: MIT
// The trainer on synthetic data: two runs from the same seed give bit-identical weights (the
// embedded model must be reproducible on one machine). That training lowers the loss on real data
// is checked by pretrain_quick_test.
#include <gtest/gtest.h>

#include "bbpt/pretrain/contrastive_trainer.h"

namespace bbpt::pretrain {
namespace {

// 4 classes; an image's class shows as a brighter quadrant. Captions: 2 styles per class.
PretrainData synthetic_data() {
  torch::manual_seed(7);
  PretrainData data;
  data.name = "synthetic";
  const int64_t n = 96;
  data.labels = torch::arange(n, torch::kLong).remainder(4);
  data.images = torch::randn({n, 3, 32, 32}) * 0.1;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = data.labels[i].item<int64_t>();
    data.images[i].narrow(1, 16 * (c / 2), 16).narrow(2, 16 * (c % 2), 16).add_(3.0);
  }
  data.caption_tokens = torch::zeros({8, 77}, torch::kLong);
  data.caption_class = torch::empty({8}, torch::kLong);
  for (int64_t c = 0; c < 4; ++c) {
    for (int64_t s = 0; s < 2; ++s) {
      const int64_t row = 2 * c + s;
      data.caption_tokens[row][0] = 49406;
      data.caption_tokens[row][1] = 320 + s;   // style word
      data.caption_tokens[row][2] = 1000 + c;  // class word
      data.caption_tokens[row][3] = 49407;
      data.caption_class[row] = c;
    }
  }
  data.flip = false;  // a mirror image would swap the quadrants of classes 0-1 and 2-3
  return data;
}

PretrainConfig tiny_config() {
  PretrainConfig config;
  config.seed = 5;
  config.model.embed_dim = 32;
  config.model.vision_width = 64;
  config.model.vision_layers = 1;
  config.model.text_width = 64;
  config.model.text_layers = 1;
  config.train.steps = 100;
  config.train.batch_size = 32;
  config.train.warmup_steps = 5;
  config.train.learning_rate = 3e-3;
  config.train.log_every_steps = 10;
  config.datasets.push_back({"synthetic", {"{}"}, false});
  return config;
}

TEST(ContrastiveTrainer, SameSeedGivesIdenticalWeights) {
  const auto data = synthetic_data();
  auto config = tiny_config();
  config.train.steps = 12;
  auto a = train_clip(config, {data}, 49408, [](const PretrainLogRecord&) {});
  auto b = train_clip(config, {data}, 49408, [](const PretrainLogRecord&) {});
  config.seed = 6;
  auto c = train_clip(config, {data}, 49408, [](const PretrainLogRecord&) {});
  const auto pa = a->named_parameters(), pb = b->named_parameters(), pc = c->named_parameters();
  bool any_differs_with_other_seed = false;
  for (const auto& item : pa) {
    EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
    any_differs_with_other_seed |= !torch::equal(item.value(), pc[item.key()]);
  }
  EXPECT_TRUE(any_differs_with_other_seed);
  EXPECT_FALSE(a->token_embedding->weight.requires_grad());  // frozen by default
}

}  // namespace
}  // namespace bbpt::pretrain
