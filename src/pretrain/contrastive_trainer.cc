// SPDX-License-Identifier: MIT
// Implements the pretraining loop: CLIP's initialisation, AdamW with warm-up and cosine decay,
// per-dataset shuffled batches with shift/flip augmentation, the multi-positive InfoNCE loss.
#include "bbpt/pretrain/contrastive_trainer.h"

#include <chrono>
#include <cmath>
#include <numeric>

#include "bbpt/core/rng.h"

namespace bbpt::pretrain {
namespace {

constexpr double kPi = 3.14159265358979323846;

// CLIP's initialize_parameters (ref: clip/model.py CLIP.initialize_parameters, and
// VisionTransformer's scale = width ** -0.5 for class/positional embeddings and proj).
void initialise_like_clip(model::ClipModel& clip) {
  torch::NoGradGuard no_grad;
  const auto& c = clip->config();
  clip->token_embedding->weight.normal_(0.0, 0.02);
  clip->positional_embedding.normal_(0.0, 0.01);
  auto init_transformer = [](model::Transformer& transformer, int64_t width, int64_t layers) {
    const double attn_std = std::pow(static_cast<double>(width), -0.5);
    const double proj_std = attn_std * std::pow(2.0 * static_cast<double>(layers), -0.5);
    const double fc_std = std::pow(2.0 * static_cast<double>(width), -0.5);
    for (const auto& module : *transformer->resblocks) {
      auto* block = module->as<model::ResidualAttentionBlock>();
      block->attn->in_proj_weight.normal_(0.0, attn_std);
      block->attn->in_proj_bias.zero_();
      block->attn->out_proj->weight.normal_(0.0, proj_std);
      block->attn->out_proj->bias.zero_();
      block->c_fc->weight.normal_(0.0, fc_std);
      block->c_proj->weight.normal_(0.0, proj_std);
    }
  };
  init_transformer(clip->transformer, c.transformer_width, c.transformer_layers);
  clip->text_projection.normal_(0.0, std::pow(static_cast<double>(c.transformer_width), -0.5));
  auto& visual = clip->visual_vit;
  const double scale = std::pow(static_cast<double>(c.vision_width), -0.5);
  visual->class_embedding.normal_(0.0, scale);
  visual->positional_embedding.normal_(0.0, scale);
  visual->proj.normal_(0.0, scale);
  init_transformer(visual->transformer, c.vision_width, c.vision_layers.at(0));
}

// Warm-up then cosine decay to zero.
double learning_rate_at(int64_t step, const PretrainTrainOptions& t) {
  if (step < t.warmup_steps)
    return t.learning_rate * static_cast<double>(step + 1) / t.warmup_steps;
  const double progress = static_cast<double>(step - t.warmup_steps) /
                          static_cast<double>(std::max<int64_t>(1, t.steps - t.warmup_steps));
  return t.learning_rate * 0.5 * (1.0 + std::cos(kPi * progress));
}

// Shuffled epochs over one dataset, drawn from the trainer's stream.
class BatchSampler {
 public:
  explicit BatchSampler(int64_t size) : order_(static_cast<size_t>(size)), cursor_(order_.size()) {}

  std::vector<int64_t> next(int64_t batch_size, core::Rng& rng) {
    std::vector<int64_t> batch;
    batch.reserve(static_cast<size_t>(batch_size));
    while (static_cast<int64_t>(batch.size()) < batch_size) {
      if (cursor_ == order_.size()) reshuffle(rng);
      batch.push_back(order_[cursor_++]);
    }
    return batch;
  }

 private:
  void reshuffle(core::Rng& rng) {
    std::iota(order_.begin(), order_.end(), int64_t{0});
    for (size_t i = order_.size(); i > 1; --i) {  // Fisher-Yates
      std::swap(order_[i - 1], order_[rng.uniform_int(i)]);
    }
    cursor_ = 0;
  }

  std::vector<int64_t> order_;
  size_t cursor_;  // == order_.size(): the next draw starts a new shuffled epoch
};

// images [B, 3, R, R]: each image shifted by up to `pad` pixels (zero = mean colour after
// normalisation) and, when `flip`, mirrored with probability 1/2. Draws: dy, dx, then flip.
torch::Tensor augment(const torch::Tensor& images, int64_t pad, bool flip, core::Rng& rng) {
  const int64_t batch = images.size(0), side = images.size(2);
  auto padded = pad > 0 ? torch::constant_pad_nd(images, {pad, pad, pad, pad}, 0.0) : images;
  std::vector<torch::Tensor> out;
  out.reserve(static_cast<size_t>(batch));
  for (int64_t i = 0; i < batch; ++i) {
    const auto dy =
        static_cast<int64_t>(pad > 0 ? rng.uniform_int(static_cast<uint64_t>(2 * pad + 1)) : 0);
    const auto dx =
        static_cast<int64_t>(pad > 0 ? rng.uniform_int(static_cast<uint64_t>(2 * pad + 1)) : 0);
    auto view = padded[i].narrow(1, dy, side).narrow(2, dx, side);  // [3, R, R]
    if (flip && rng.uniform01() < 0.5) view = view.flip({2});
    out.push_back(view);
  }
  return torch::stack(out);  // [B, 3, R, R]
}

}  // namespace

torch::Tensor multi_positive_clip_loss(const torch::Tensor& image_features,
                                       const torch::Tensor& caption_features,
                                       const torch::Tensor& logit_scale,
                                       const torch::Tensor& labels,
                                       const torch::Tensor& caption_class) {
  auto images = image_features / image_features.norm(2, -1, true);
  auto captions = caption_features / caption_features.norm(2, -1, true);
  auto logits = logit_scale.exp() * torch::matmul(images, captions.t());                  // [B, U]
  auto positive = labels.unsqueeze(1).eq(caption_class.unsqueeze(0)).to(logits.dtype());  // [B, U]
  auto image_targets = positive / positive.sum(1, true).clamp_min(1.0);
  auto image_to_text = -(image_targets * torch::log_softmax(logits, 1)).sum(1).mean();
  auto caption_positive = positive.t();          // [U, B]
  auto has_image = caption_positive.sum(1) > 0;  // [U]
  auto caption_targets = caption_positive / caption_positive.sum(1, true).clamp_min(1.0);
  auto per_caption = -(caption_targets * torch::log_softmax(logits.t(), 1)).sum(1);  // [U]
  auto text_to_image = per_caption.masked_select(has_image).mean();
  return 0.5 * (image_to_text + text_to_image);
}

model::ClipModel train_clip(const PretrainConfig& config,
                            const std::vector<PretrainData>& datasets,
                            int64_t vocab_size,
                            const std::function<void(const PretrainLogRecord&)>& on_log) {
  validate(config, "pretrain config");
  const auto& t = config.train;
  torch::manual_seed(config.seed);
  model::ClipModel clip(clip_config_for(config.model, vocab_size));
  initialise_like_clip(clip);
  {
    torch::NoGradGuard no_grad;
    clip->logit_scale.fill_(std::log(1.0 / t.init_temperature));
  }
  clip->train();

  // Decay only matrices that act as weights; gains, biases, embeddings and the temperature are
  // free.
  std::vector<torch::Tensor> decay, no_decay;
  if (t.freeze_token_embedding) clip->token_embedding->weight.set_requires_grad(false);
  for (const auto& p : clip->named_parameters()) {
    if (!p.value().requires_grad()) continue;
    const std::string& name = p.key();
    const bool is_embedding = name.find("embedding") != std::string::npos;
    (p.value().dim() >= 2 && !is_embedding ? decay : no_decay).push_back(p.value());
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                 torch::optim::AdamWOptions(t.learning_rate)
                                     .betas({0.9, 0.98})
                                     .eps(1e-6)
                                     .weight_decay(t.weight_decay)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(t.learning_rate)
                                        .betas({0.9, 0.98})
                                        .eps(1e-6)
                                        .weight_decay(0.0)));
  torch::optim::AdamW optimizer(std::move(groups));

  core::Rng rng(config.seed, /*stream=*/1);
  std::vector<BatchSampler> samplers;
  for (const auto& d : datasets) samplers.emplace_back(d.images.size(0));
  const double max_log_scale = std::log(t.max_logit_scale);

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  double loss_sum = 0;
  int64_t loss_count = 0, images_since_log = 0;
  auto last_log = start;
  for (int64_t step = 0; step < t.steps; ++step) {
    const double lr = learning_rate_at(step, t);
    for (auto& group : optimizer.param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    }
    const size_t which = static_cast<size_t>(step) % datasets.size();
    const PretrainData& data = datasets[which];
    const auto indices = samplers[which].next(t.batch_size, rng);
    auto index = torch::tensor(indices, torch::kLong);
    auto images = augment(data.images.index_select(0, index), t.shift_pad, data.flip, rng);
    auto labels = data.labels.index_select(0, index);

    auto image_features = clip->encode_image(images);                // [B, E]
    auto caption_features = clip->encode_text(data.caption_tokens);  // [U, E]
    auto loss = multi_positive_clip_loss(image_features, caption_features, clip->logit_scale,
                                         labels, data.caption_class);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    {
      torch::NoGradGuard no_grad;
      clip->logit_scale.clamp_(0.0, max_log_scale);
    }
    loss_sum += loss.item<double>();
    ++loss_count;
    images_since_log += t.batch_size;

    if ((step + 1) % t.log_every_steps == 0 || step + 1 == t.steps) {
      const auto now = Clock::now();
      PretrainLogRecord record;
      record.step = step + 1;
      record.dataset = data.name;
      record.loss = loss_sum / static_cast<double>(loss_count);
      record.learning_rate = lr;
      record.logit_scale = std::exp(clip->logit_scale.item<double>());
      record.images_per_second = static_cast<double>(images_since_log) /
                                 std::chrono::duration<double>(now - last_log).count();
      record.elapsed_s = std::chrono::duration<double>(now - start).count();
      on_log(record);
      loss_sum = 0;
      loss_count = 0;
      images_since_log = 0;
      last_log = now;
    }
  }
  clip->eval();
  return clip;
}

}  // namespace bbpt::pretrain
