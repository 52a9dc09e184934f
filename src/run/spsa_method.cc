// SPDX-License-Identifier: MIT
// ZIP (algorithms.md 2) and SPSA-GC on the text prompt (algorithms.md 3.2): SPSA over a prompt
// parametrisation, 2q queries per step on one mini-batch, all 2q contexts encoded in one batched
// text forward. ZIP optimises the 417-scalar intrinsic code of ZipPrompt with intrinsic-dimensional
// clipping; SPSA-GC optimises the M x W context itself with BlackVIP's gradient correction.
// BlackVIP's visual coordinator needs a pretrained MAE encoder that is not available here, so
// SPSA-GC is applied to the text prompt (docs/methods.md).
#include "bbpt/core/error.h"
#include "bbpt/core/rng.h"
#include "bbpt/eval/query_engine.h"
#include "bbpt/optim/spsa.h"
#include "bbpt/prompt/zip_prompt.h"
#include "bbpt/run/trial_context.h"
#include "counted_method.h"
#include "method_factory.h"
#include "tensor_bytes.h"

namespace bbpt::run {
namespace {

optim::SpsaOptions read_spsa_options(RunConfig& config, bool gradient_correction) {
  optim::SpsaOptions o;
  o.gradient_correction = gradient_correction;
  // ZIP and the ZIP port of BlackVIP share SPSA_PARAMS = [o, c, a, alpha, gamma]
  // (algorithms.md 2.1, 3.2).
  o.num_perturbations = static_cast<int>(config.get_int("num_perturbations", o.num_perturbations));
  o.schedule.o = config.get_double("spsa_o", o.schedule.o);
  o.schedule.c = config.get_double("spsa_c", o.schedule.c);
  o.schedule.a = config.get_double("spsa_a", o.schedule.a);
  o.schedule.alpha = config.get_double("spsa_alpha", o.schedule.alpha);
  o.schedule.gamma = config.get_double("spsa_gamma", o.schedule.gamma);
  if (gradient_correction) {
    o.momentum = config.get_double("momentum", o.momentum);  // MOMS = 0.8 (algorithms.md 3.2)
    o.clip = optim::parse_clip_mode(config.get_string("clip", "none"));
  } else {
    o.clip = optim::parse_clip_mode(config.get_string("clip", optim::to_string(o.clip)));
  }
  o.clip_threshold = config.get_double("clip_threshold", o.clip_threshold);
  BBPT_CHECK(o.num_perturbations >= 1, ConfigError,
             "num_perturbations (= " << o.num_perturbations << ") must be >= 1");
  BBPT_CHECK(o.clip != optim::ClipMode::kFixed || o.clip_threshold > 0, ConfigError,
             "clip: fixed needs clip_threshold > 0 (got " << o.clip_threshold << ")");
  return o;
}

class SpsaMethod : public CountedMethod {
 public:
  SpsaMethod(bool zip, const CommonOptions& common, RunConfig& config, TrialContext& context)
      : CountedMethod(common.budget_queries), zip_(zip), context_(context) {
    const int64_t width = context.model->config().transformer_width;
    const uint64_t prompt_seed = derive_seed(context.spec.seed, SeedPurpose::kPrompt);
    if (zip) {
      prompt::ZipPromptOptions p;
      p.num_context = config.get_int("num_context", p.num_context);
      p.intrinsic_dim = config.get_int("intrinsic_dim", p.intrinsic_dim);
      p.rank = config.get_int("rank", p.rank);
      p.shared_feature = config.get_bool("shared_feature", p.shared_feature);
      p.low_rank = config.get_bool("low_rank", p.low_rank);
      p.init_std = config.get_double("init_std", p.init_std);
      zip_prompt_ = std::make_unique<prompt::ZipPrompt>(p, width, prompt_seed);
      zip_prompt_->to(context.model->text_projection.device());
      num_context_ = p.num_context;
    } else {
      num_context_ =
          config.get_int("num_context", 8);  // ZIP's M = 8, for a like-for-like text prompt
      const double init_std = config.get_double("init_std", 0.02);  // CoOp/ZIP init N(0, 0.02^2)
      BBPT_CHECK(num_context_ >= 1, ConfigError,
                 "num_context (= " << num_context_ << ") must be >= 1");
      initial_context_ = torch::empty({num_context_, width}, torch::kDouble);  // [M, W]
      core::Rng rng(prompt_seed, 0);
      auto* p0 = initial_context_.data_ptr<double>();
      for (int64_t i = 0; i < initial_context_.numel(); ++i) p0[i] = init_std * rng.normal();
    }
    const auto options = read_spsa_options(config, /*gradient_correction=*/!zip);
    query_chunk_ = read_query_chunk(config);
    std::vector<double> theta0 =
        zip ? zip_prompt_->initial_parameters()
            : std::vector<double>(initial_context_.data_ptr<double>(),
                                  initial_context_.data_ptr<double>() + initial_context_.numel());
    auto spsa_options = options;
    spsa_options.seed = derive_seed(context.spec.seed, SeedPurpose::kOptimizer);
    optimizer_ = std::make_unique<optim::Spsa>(to_eigen(theta0), spsa_options);

    auto [features, labels] = context.train_features(common.views);
    auto prompts = context.model->prepare_context_prompts(context.placeholder_tokens(num_context_),
                                                          num_context_);
    engine_ = std::make_unique<eval::ContextQueryEngine>(
        context.model, prompts, features, labels, common.batch_size,
        derive_seed(context.spec.seed, SeedPurpose::kBatches),
        derive_seed(context.spec.seed, SeedPurpose::kViews));
  }

  /// Rank 0 broadcasts [k, theta]; every rank redraws the perturbations from (seed, k), scores
  /// its chunks of the 2q queries on the step's batch, and all ranks get all 2q results.
  StepMetrics step() override {
    const auto batch = engine_->batch(steps_);
    auto& group = context_.group;
    std::vector<double> message;
    if (group.is_leader()) message = optimizer_->step_message();
    group.broadcast(message);
    const int64_t queries = optimizer_->num_queries_per_step();  // 2q
    const dist::StepWork work{queries, query_chunk_, 2, dist::Balancing::kStatic};
    const auto results = eval::QueryResults::from_interleaved(
        group.evaluate(work, [&](int64_t first, int64_t count) {
          const auto settings =
              optimizer_->columns_from_message(message, first, count);  // [N, count]
          return engine_->score(batch, to_contexts(settings_to_tensor(settings))).interleaved();
        }));
    counter_.add(queries);  // one query per prompt setting (algorithms.md 2.6)
    if (group.is_leader()) optimizer_->tell(results.losses);
    ++steps_;
    // ZIP reports the average of the last +/- pair as the step's train loss/accuracy
    // (algorithms.md 2.3).
    const size_t last = results.losses.size() - 2;
    last_loss_ = 0.5 * (results.losses[last] + results.losses[last + 1]);
    last_acc_ = 0.5 * (results.accuracies[last] + results.accuracies[last + 1]);
    StepMetrics m = step_metrics();
    m.extra["grad_norm"] = optimizer_->last_gradient_norm();
    if (zip_) m.extra["clipped"] = optimizer_->last_clipped();
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
    f.learned_parameters = to_std_vector(optimizer_->current());
    f.extra["num_parameters"] = optimizer_->dimension();
    return f;
  }

  double target_test_accuracy(TrialContext& target) override {
    torch::NoGradGuard no_grad;
    const auto prompts = target.model->prepare_context_prompts(
        target.placeholder_tokens(num_context_), num_context_);
    const auto contexts = to_contexts(vector_to_tensor(optimizer_->current()));  // [1, M, W]
    return target.test_accuracy(
        eval::context_class_features(target.model, prompts, contexts).squeeze(0));
  }

  void save(MethodState& state) const override {
    state.optimizer_state = optimizer_->serialize_state();
    save_progress(state);
    if (zip_) {
      add_tensors(state, "prompt.", zip_prompt_->frozen_tensors());
    } else {
      add_tensors(state, "prompt.", {{"p0", initial_context_}});
    }
  }

  void load(const MethodState& state) override {
    optimizer_->restore_state(state.optimizer_state);
    load_progress(state);
    if (zip_) {
      zip_prompt_->load_frozen_tensors(tensors_with_prefix(state, "prompt."));
      zip_prompt_->to(context_.model->text_projection.device());
    } else {
      initial_context_ = tensor_named(state, "prompt.p0");
    }
  }

 private:
  torch::Tensor to_contexts(const torch::Tensor& thetas) const {  // [K, N] -> [K, M, W]
    if (zip_) return zip_prompt_->contexts(thetas);
    const int64_t width = context_.model->config().transformer_width;
    return thetas.to(context_.model->text_projection.device(), torch::kFloat)
        .view({thetas.size(0), num_context_, width});
  }

  torch::Tensor current_class_features() {
    torch::NoGradGuard no_grad;
    return engine_->class_features(to_contexts(vector_to_tensor(optimizer_->current())))
        .squeeze(0);  // [C, E]
  }

  bool zip_;
  TrialContext& context_;
  int64_t num_context_ = 0;
  int64_t query_chunk_ = 1;
  std::unique_ptr<prompt::ZipPrompt> zip_prompt_;
  torch::Tensor initial_context_;  // [M, W] float64 (SPSA-GC)
  std::unique_ptr<optim::Spsa> optimizer_;
  std::unique_ptr<eval::ContextQueryEngine> engine_;
};

}  // namespace

std::unique_ptr<Method> make_zip_method(const CommonOptions& common,
                                        RunConfig& config,
                                        TrialContext& context) {
  return std::make_unique<SpsaMethod>(true, common, config, context);
}

std::unique_ptr<Method> make_spsa_gc_method(const CommonOptions& common,
                                            RunConfig& config,
                                            TrialContext& context) {
  return std::make_unique<SpsaMethod>(false, common, config, context);
}

}  // namespace bbpt::run
