// SPDX-License-Identifier: MIT
// CoOp, the white-box reference (algorithms.md 6): M = 16 generic context vectors, init N(0,
// 0.02^2), cross-entropy on CLIP logits with gradients through the frozen text encoder (libtorch
// autograd), SGD (lr 0.002, momentum 0.9, weight decay 5e-4, batch 32) with a cosine schedule over
// max_epoch and one constant warm-up epoch at 1e-5. Every forward on a mini-batch is counted as a
// query for comparability, but the epochs, not the budget, end the run (budget 0 in
// configs/methods/coop.yaml).
#include <cmath>

#include "bbpt/core/error.h"
#include "bbpt/core/rng.h"
#include "bbpt/eval/query_engine.h"
#include "bbpt/run/trial_context.h"
#include "counted_method.h"
#include "method_factory.h"
#include "tensor_bytes.h"

namespace bbpt::run {
namespace {

struct CoopOptions {
  int64_t num_context = 16;  // N_CTX = 16 (algorithms.md 6)
  double init_std = 0.02;
  double lr = 0.002;  // Dassl SGD defaults used by CoOp
  double momentum = 0.9;
  double weight_decay = 5e-4;
  int64_t max_epoch = 200;  // 8 and 16 shots: the 200-epoch config
  int64_t warmup_epoch = 1;
  double warmup_lr = 1e-5;
};

class CoopMethod : public CountedMethod {
 public:
  CoopMethod(const CommonOptions& common, RunConfig& config, TrialContext& context)
      : CountedMethod(common.budget_queries), context_(context) {
    o_.num_context = config.get_int("num_context", o_.num_context);
    o_.init_std = config.get_double("init_std", o_.init_std);
    o_.lr = config.get_double("lr", o_.lr);
    o_.momentum = config.get_double("momentum", o_.momentum);
    o_.weight_decay = config.get_double("weight_decay", o_.weight_decay);
    o_.max_epoch = config.get_int("max_epoch", o_.max_epoch);
    o_.warmup_epoch = config.get_int("warmup_epoch", o_.warmup_epoch);
    o_.warmup_lr = config.get_double("warmup_lr", o_.warmup_lr);
    BBPT_CHECK(o_.num_context >= 1 && o_.max_epoch >= 1 && o_.lr > 0, ConfigError,
               "coop needs num_context >= 1, max_epoch >= 1 and lr > 0 (got "
                   << o_.num_context << ", " << o_.max_epoch << ", " << o_.lr << ")");
    const int64_t width = context.model->config().transformer_width;
    auto ctx = torch::empty({o_.num_context, width}, torch::kFloat);  // [M, W]
    core::Rng rng(derive_seed(context.spec.seed, SeedPurpose::kPrompt), 0);
    auto* p = ctx.data_ptr<float>();
    for (int64_t i = 0; i < ctx.numel(); ++i) p[i] = static_cast<float>(o_.init_std * rng.normal());
    context_vectors_ = ctx.to(device());
    momentum_buffer_ = torch::zeros_like(context_vectors_);

    auto [features, labels] = context.train_features(common.views);
    auto prompts = context.model->prepare_context_prompts(
        context.placeholder_tokens(o_.num_context), o_.num_context);
    engine_ = std::make_unique<eval::ContextQueryEngine>(
        context.model, prompts, features, labels, common.batch_size,
        derive_seed(context.spec.seed, SeedPurpose::kBatches),
        derive_seed(context.spec.seed, SeedPurpose::kViews));
    total_steps_ = o_.max_epoch * engine_->sampler().batches_per_epoch();
  }

  bool finished() const override { return steps_ >= total_steps_ || CountedMethod::finished(); }

  StepMetrics step() override {
    const int64_t epoch = steps_ / engine_->sampler().batches_per_epoch();
    const double lr = learning_rate(epoch);
    const auto batch = engine_->batch(steps_);
    auto ctx = context_vectors_.detach().clone().set_requires_grad(true);
    auto loss = engine_->context_loss(batch, ctx);
    loss.backward();
    counter_.add(1);
    {
      // torch.optim.SGD (dampening 0, no Nesterov): d = g + wd p; buf = m buf + d (buf = d first);
      // p -= lr buf.
      torch::NoGradGuard no_grad;
      auto d = ctx.grad() + o_.weight_decay * context_vectors_;
      momentum_buffer_ = steps_ == 0 ? d : o_.momentum * momentum_buffer_ + d;
      context_vectors_ = context_vectors_ - lr * momentum_buffer_;
    }
    ++steps_;
    torch::NoGradGuard no_grad;
    auto logits =
        engine_->logits(batch, engine_->class_features(ctx.detach().unsqueeze(0)));  // [1, B, C]
    last_loss_ = loss.item<double>();
    last_acc_ = eval::per_setting_accuracy(logits, batch.labels)[0].item<double>();
    StepMetrics m = step_metrics();
    m.extra["lr"] = lr;
    m.extra["epoch"] = epoch;
    return m;
  }

  double subset_test_accuracy(const std::vector<int64_t>& test_items) override {
    return context_.test_accuracy(current_class_features(), &test_items);
  }

  FinalMetrics finish() override {
    FinalMetrics f;
    f.train_loss = last_loss_;
    f.train_acc = last_acc_;
    f.test_acc = context_.test_accuracy(current_class_features());
    f.test_images = context_.test_features().first.size(0);
    auto flat = context_vectors_.to(torch::kCPU, torch::kDouble).contiguous();
    f.learned_parameters.assign(flat.data_ptr<double>(), flat.data_ptr<double>() + flat.numel());
    f.extra["num_parameters"] = flat.numel();
    f.extra["epochs"] = o_.max_epoch;
    return f;
  }

  double target_test_accuracy(TrialContext& target) override {
    torch::NoGradGuard no_grad;
    const auto prompts = target.model->prepare_context_prompts(
        target.placeholder_tokens(o_.num_context), o_.num_context);
    return target.test_accuracy(
        eval::context_class_features(target.model, prompts, context_vectors_.unsqueeze(0))
            .squeeze(0));
  }

  void save(MethodState& state) const override {
    save_progress(state);
    add_tensors(state, "", {{"context", context_vectors_}, {"momentum", momentum_buffer_}});
  }

  void load(const MethodState& state) override {
    load_progress(state);
    context_vectors_ = tensor_named(state, "context").to(device());
    momentum_buffer_ = tensor_named(state, "momentum").to(device());
  }

 private:
  torch::Device device() const { return context_.model->text_projection.device(); }

  /// Dassl's ConstantWarmupScheduler around CosineAnnealingLR(T_max = max_epoch), stepped once per
  /// epoch: warm-up epochs run at warmup_lr, epoch e after them at the cosine value of e - warmup.
  double learning_rate(int64_t epoch) const {
    if (epoch < o_.warmup_epoch) return o_.warmup_lr;
    const double t = static_cast<double>(epoch - o_.warmup_epoch);
    return 0.5 * o_.lr * (1.0 + std::cos(M_PI * t / static_cast<double>(o_.max_epoch)));
  }

  torch::Tensor current_class_features() {
    torch::NoGradGuard no_grad;
    return engine_->class_features(context_vectors_.unsqueeze(0)).squeeze(0);  // [C, E]
  }

  TrialContext& context_;
  CoopOptions o_;
  torch::Tensor context_vectors_;  // [M, W]
  torch::Tensor momentum_buffer_;  // [M, W]
  std::unique_ptr<eval::ContextQueryEngine> engine_;
  int64_t total_steps_ = 0;
};

}  // namespace

std::unique_ptr<Method> make_coop_method(const CommonOptions& common,
                                         RunConfig& config,
                                         TrialContext& context) {
  return std::make_unique<CoopMethod>(common, config, context);
}

}  // namespace bbpt::run
