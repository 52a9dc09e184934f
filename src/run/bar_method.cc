// SPDX-License-Identifier: MIT
// BAR (algorithms.md 4): a visual frame program W around the image, shrunk to the inner size
// (194 at 224) and pasted in a zero canvas; the randomized gradient-free estimator with q one-sided
// forward differences (1 + q queries per step, each an image-tower forward of the step's batch);
// focal loss (gamma 2) against the hand-crafted template's class features.
#include "bbpt/core/error.h"
#include "bbpt/eval/image_batches.h"
#include "bbpt/eval/query_engine.h"
#include "bbpt/eval/zero_shot.h"
#include "bbpt/optim/random_gradient.h"
#include "bbpt/prompt/frame_program.h"
#include "bbpt/run/trial_context.h"
#include "counted_method.h"
#include "method_factory.h"
#include "tensor_bytes.h"

namespace bbpt::run {
namespace {

class BarMethod : public CountedMethod {
 public:
  BarMethod(const CommonOptions& common, RunConfig& config, TrialContext& context)
      : CountedMethod(common.budget_queries),
        context_(context),
        augment_pixels_(common.views > 0),
        sampler_(static_cast<int64_t>(context.few_shot.train.size()),
                 common.batch_size,
                 derive_seed(context.spec.seed, SeedPurpose::kBatches)),
        program_(context.model->config().image_resolution) {
    optim::RandomGradientOptions o;
    o.num_directions = static_cast<int>(config.get_int("num_perturbations", o.num_directions));
    o.smoothing = config.get_double("smoothing", o.smoothing);
    o.lr0 = config.get_double("lr0", o.lr0);
    o.lr_min = config.get_double("lr_min", o.lr_min);
    // T = 0.9 * batches_per_epoch * MAX_EPOCH (algorithms.md 4; MAX_EPOCH = 1000 in the ZIP port).
    const int64_t max_epoch = config.get_int("max_epoch", 1000);
    o.decay_steps = std::max<int64_t>(
        1,
        static_cast<int64_t>(0.9 * static_cast<double>(sampler_.batches_per_epoch() * max_epoch)));
    o.seed = derive_seed(context.spec.seed, SeedPurpose::kOptimizer);
    focal_gamma_ = config.get_double("focal_gamma", 2.0);  // algorithms.md 4: focal loss, gamma = 2
    query_chunk_ = read_query_chunk(config);
    BBPT_CHECK(o.num_directions >= 1 && o.smoothing > 0, ConfigError,
               "num_perturbations (= " << o.num_directions << ") must be >= 1 and smoothing (= "
                                       << o.smoothing << ") > 0");
    program_.to(device());
    optimizer_ = std::make_unique<optim::RandomGradient>(
        to_eigen(prompt::FrameProgram::initial_parameters(
            program_.resolution(), derive_seed(context.spec.seed, SeedPurpose::kPrompt))),
        o);
    loader_ = std::make_unique<eval::TrainImageLoader>(
        *context.few_shot_train,
        eval::index_range(static_cast<int64_t>(context.few_shot.train.size())), pixel_options(),
        derive_seed(context.spec.seed, SeedPurpose::kAugment));
    torch::NoGradGuard no_grad;
    class_features_ = eval::class_text_features(context.model, *context.tokenizer,
                                                context.description.class_names,
                                                {context.hand_crafted_template()});  // [C, E]
  }

  StepMetrics step() override {
    torch::NoGradGuard no_grad;
    const auto batch = loader_->load(sampler_.batch(steps_), steps_);
    // Rank 0 broadcasts [k, w]; the ranks redraw the directions from (seed, k) and take the 1 + q
    // image-tower queries one chunk at a time from rank 0 (dynamic: they are the heavy part).
    auto& group = context_.group;
    std::vector<double> message;
    if (group.is_leader()) message = optimizer_->step_message();
    group.broadcast(message);
    const int64_t queries = optimizer_->num_queries_per_step();  // 1 + q
    const auto labels = batch.labels.to(device());
    const dist::StepWork work{queries, query_chunk_, 2, dist::Balancing::kDynamic};
    const auto results = eval::QueryResults::from_interleaved(
        group.evaluate(work, [&](int64_t first, int64_t count) {
          const auto settings = settings_to_tensor(
              optimizer_->columns_from_message(message, first, count));   // [count, N]
          const auto logits = programmed_logits(batch.images, settings);  // [count, B, C]
          return eval::summarize_queries(logits, labels, eval::LossKind::kFocal, focal_gamma_)
              .interleaved();
        }));
    counter_.add(queries);  // 1 + q queries (algorithms.md 2.6)
    if (group.is_leader()) optimizer_->tell(results.losses);
    ++steps_;
    last_loss_ = results.losses[0];  // L0, the unperturbed program
    last_acc_ = results.accuracies[0];
    return step_metrics();
  }

  double subset_test_accuracy(const std::vector<int64_t>& test_items) override {
    return test_accuracy(test_items);
  }

  FinalMetrics finish() override {
    const auto all = eval::index_range(static_cast<int64_t>(context_.test_split->size()));
    FinalMetrics f;
    f.train_loss = last_loss_;
    f.train_acc = last_acc_;
    f.test_acc = test_accuracy(all);
    f.test_images = static_cast<int64_t>(all.size());
    f.learned_parameters = to_std_vector(optimizer_->current());
    f.extra["num_parameters"] = program_.num_parameters();
    f.extra["num_effective_parameters"] = program_.num_effective_parameters();
    return f;
  }

  double target_test_accuracy(TrialContext& target) override {
    torch::NoGradGuard no_grad;
    const auto classes =
        eval::class_text_features(target.model, *target.tokenizer, target.description.class_names,
                                  {target.hand_crafted_template()});  // [C, E]
    const auto w = vector_to_tensor(optimizer_->current());           // [1, N]
    const auto all = eval::index_range(static_cast<int64_t>(target.test_split->size()));
    return eval::pixel_accuracy(
        *target.test_split, all, pixel_options(),
        [&](const torch::Tensor& images) { return programmed_logits(images, w, classes)[0]; });
  }

  void save(MethodState& state) const override {
    state.optimizer_state = optimizer_->serialize_state();
    save_progress(state);
  }

  void load(const MethodState& state) override {
    optimizer_->restore_state(state.optimizer_state);
    load_progress(state);
  }

 private:
  torch::Device device() const { return context_.model->text_projection.device(); }

  /// images01 [B, 3, r, r], programs [K, N] -> scaled logits [K, B, C]; one image-tower forward
  /// of the batch per program. Against the trial's class features, or the given ones [C, E].
  torch::Tensor programmed_logits(const torch::Tensor& images01,
                                  const torch::Tensor& programs,
                                  const torch::Tensor& class_features = torch::Tensor()) {
    const auto images = program_.apply(images01.to(device()),
                                       programs.to(device(), torch::kFloat));  // [K, B, 3, R, R]
    std::vector<torch::Tensor> per_program;
    for (int64_t k = 0; k < images.size(0); ++k) {
      auto f = context_.model->encode_image(images[k]);  // [B, E]
      per_program.push_back(f / f.norm(2, -1, true));
    }
    auto features = torch::stack(per_program);  // [K, B, E]
    const auto& classes = class_features.defined() ? class_features : class_features_;
    return context_.model->logit_scale.exp() * torch::matmul(features, classes.t());  // [K, B, C]
  }

  /// BAR pastes [0, 1] pixels at the inner size into its canvas (algorithms.md 4); views: 0 trains
  /// on center crops, any other value on Dassl's train transform drawn per step.
  eval::ImageBatchOptions pixel_options() const {
    eval::ImageBatchOptions options;
    options.resolution = static_cast<int>(program_.inner_size());
    options.augment = augment_pixels_;
    options.normalize = false;
    return options;
  }

  double test_accuracy(const std::vector<int64_t>& items) {
    const auto w = vector_to_tensor(optimizer_->current());  // [1, N]
    return eval::pixel_accuracy(
        *context_.test_split, items, pixel_options(),
        [&](const torch::Tensor& images) { return programmed_logits(images, w)[0]; });
  }

  TrialContext& context_;
  bool augment_pixels_;  // views > 0
  eval::MiniBatchSampler sampler_;
  prompt::FrameProgram program_;
  std::unique_ptr<optim::RandomGradient> optimizer_;
  std::unique_ptr<eval::TrainImageLoader> loader_;
  torch::Tensor class_features_;  // [C, E] unit rows
  double focal_gamma_ = 2.0;
  int64_t query_chunk_ = 1;
};

}  // namespace

std::unique_ptr<Method> make_bar_method(const CommonOptions& common,
                                        RunConfig& config,
                                        TrialContext& context) {
  return std::make_unique<BarMethod>(common, config, context);
}

}  // namespace bbpt::run
