// SPDX-License-Identifier: MIT
// BPT-VLM as ported in the ZIP repository (algorithms.md 5.1): CMA-ES (popsize 15, sigma0 1, mean
// 0) over a random linear subspace of 5 text prompt tokens and, for ViT towers, 5 visual prompt
// tokens appended after the patch tokens. A candidate's fitness is the mean over one epoch of
// mini-batches of the per-batch mean cross-entropy, one query per batch; the budget is checked
// after each candidate and a generation cut by the budget is never told. Selection keeps the
// candidate with the lowest running epoch-average loss, updated batch by batch (the port's quirk).
// All candidates of a generation see the same epoch (batches and augmentation), and their text
// prompts are encoded in one batched forward.
#include <limits>
#include <map>

#include "bbpt/core/error.h"
#include "bbpt/eval/image_batches.h"
#include "bbpt/eval/query_engine.h"
#include "bbpt/optim/cma_es.h"
#include "bbpt/prompt/subspace_prompt.h"
#include "bbpt/run/trial_context.h"
#include "counted_method.h"
#include "method_factory.h"
#include "tensor_bytes.h"

namespace bbpt::run {
namespace {

class BptVlmMethod : public CountedMethod {
 public:
  BptVlmMethod(const CommonOptions& common, RunConfig& config, TrialContext& context)
      : CountedMethod(common.budget_queries, "generations"),
        context_(context),
        augment_pixels_(common.views > 0) {
    prompt::SubspacePromptOptions p;
    p.text_tokens = config.get_int("text_tokens", p.text_tokens);
    p.text_dim = config.get_int("text_dim", p.text_dim);
    p.visual_tokens = config.get_int("visual_tokens", p.visual_tokens);
    p.visual_dim = config.get_int("visual_dim", p.visual_dim);
    p.sigma = config.get_double("sigma", p.sigma);
    const bool visual = config.get_bool("visual", true) && context.model->config().is_vit();
    auto& clip = context.model;
    const double token_std = clip->token_embedding->weight.std().item<double>();
    double conv_mean = 0, conv_std = 0;
    int64_t visual_width = 0;
    if (visual) {
      const auto& conv = clip->visual_vit->conv1->weight;
      conv_mean = conv.mean().item<double>();
      conv_std = conv.std().item<double>();
      visual_width = clip->config().vision_width;
    }
    text_tokens_ = p.text_tokens;
    prompt_ = std::make_unique<prompt::SubspacePrompt>(
        p, clip->config().transformer_width, visual_width, token_std, conv_mean, conv_std,
        derive_seed(context.spec.seed, SeedPurpose::kPrompt));
    prompt_->to(device());
    optim::CmaEsOptions o;
    o.population_size =
        static_cast<int>(config.get_int("population_size", 15));  // popsize 15 (5.1)
    o.sigma0 = config.get_double("sigma0", o.sigma0);
    o.seed = derive_seed(context.spec.seed, SeedPurpose::kOptimizer);
    optimizer_ = std::make_unique<optim::CmaEs>(to_eigen(prompt_->initial_parameters()), o);

    auto [features, labels] = context.train_features(common.views);
    auto prompts =
        clip->prepare_context_prompts(context.placeholder_tokens(p.text_tokens), p.text_tokens);
    engine_ = std::make_unique<eval::ContextQueryEngine>(
        clip, prompts, features, labels, common.batch_size,
        derive_seed(context.spec.seed, SeedPurpose::kBatches),
        derive_seed(context.spec.seed, SeedPurpose::kViews));
    if (prompt_->has_visual()) {
      loader_ = std::make_unique<eval::TrainImageLoader>(
          *context.few_shot_train,
          eval::index_range(static_cast<int64_t>(context.few_shot.train.size())), pixel_options(),
          derive_seed(context.spec.seed, SeedPurpose::kAugment));
    }
    best_ = prompt_->initial_parameters();
    query_chunk_ = read_query_chunk(config);
  }

  /// Rank 0 broadcasts the generation's candidates (CMA-ES cannot be redrawn without its N x N
  /// covariance); the ranks take candidates one chunk at a time from rank 0 and score each on every
  /// batch of the generation's epoch; all ranks get all results.
  StepMetrics step() override {
    torch::NoGradGuard no_grad;
    auto& group = context_.group;
    std::vector<double> message;
    if (group.is_leader()) message = optimizer_->step_message();
    group.broadcast(message);
    const int64_t num_candidates = optimizer_->num_queries_per_step();
    const auto settings = optimizer_->columns_from_message(message, 0, num_candidates);  // [N, K]
    const int64_t batches = engine_->sampler().batches_per_epoch();
    pixel_batches_.clear();  // this generation's epoch is loaded at most once per rank
    // Per candidate: [loss on batch 0, accuracy on batch 0, loss on batch 1, ...].
    const dist::StepWork work{num_candidates, query_chunk_, 2 * batches, dist::Balancing::kDynamic};
    const auto values = group.evaluate(work, [&](int64_t first, int64_t count) {
      return score_candidates(settings.middleCols(first, count), batches);
    });
    // losses[k][b], accuracies[k][b]: candidate k on batch b of this generation's epoch.
    std::vector<std::vector<double>> losses(num_candidates), accuracies(num_candidates);
    for (int64_t k = 0; k < num_candidates; ++k) {
      for (int64_t b = 0; b < batches; ++b) {
        losses[k].push_back(values[(k * batches + b) * 2]);
        accuracies[k].push_back(values[(k * batches + b) * 2 + 1]);
      }
    }
    // Sequential accounting as in the port: candidate k costs one query per batch; stop (without
    // tell) once the budget is spent mid-generation.
    std::vector<double> fitness;
    double loss_sum = 0, acc_sum = 0;
    for (int64_t k = 0; k < num_candidates; ++k) {
      double running = 0, acc = 0;
      for (int64_t b = 0; b < batches; ++b) {
        running += losses[k][b];
        acc += accuracies[k][b];
        const double running_mean = running / static_cast<double>(b + 1);
        if (running_mean < best_loss_) {  // the port's batch-by-batch selection (5.1)
          best_loss_ = running_mean;
          best_ = to_std_vector(settings.col(k));
        }
      }
      counter_.add(batches);
      fitness.push_back(running / static_cast<double>(batches));
      loss_sum += fitness.back();
      acc_sum += acc / static_cast<double>(batches);
      if (counter_.exhausted() && k + 1 < num_candidates) break;
    }
    const bool complete = static_cast<int64_t>(fitness.size()) == num_candidates;
    if (complete && group.is_leader()) optimizer_->tell(fitness);
    ++steps_;
    last_loss_ =
        loss_sum / static_cast<double>(fitness.size());  // mean fitness of the evaluated candidates
    last_acc_ = acc_sum / static_cast<double>(fitness.size());
    StepMetrics m = step_metrics();
    m.extra["best_loss"] = best_loss_;
    m.extra["candidates"] = static_cast<int64_t>(fitness.size());
    m.extra["sigma"] = optimizer_->sigma();
    if (!complete) m.extra["told"] = false;
    return m;
  }

  double subset_test_accuracy(const std::vector<int64_t>& test_items) override {
    return test_accuracy(test_items);
  }

  FinalMetrics finish() override {
    const auto all = eval::index_range(static_cast<int64_t>(context_.test_split->size()));
    FinalMetrics f;
    f.train_loss = best_loss_;  // the selected prompt's loss (what BPT-VLM reports)
    f.train_acc = last_acc_;
    f.test_acc = test_accuracy(all);
    f.test_images = static_cast<int64_t>(all.size());
    f.learned_parameters = best_;
    f.extra["num_parameters"] = prompt_->num_parameters();
    f.extra["visual_prompts"] = prompt_->has_visual();
    f.extra["generations"] = steps_;
    return f;
  }

  double target_test_accuracy(TrialContext& target) override {
    torch::NoGradGuard no_grad;
    const auto x = vector_to_tensor(to_eigen(best_));  // [1, N]
    const auto prompts = target.model->prepare_context_prompts(
        target.placeholder_tokens(text_tokens_), text_tokens_);
    const auto classes = eval::context_class_features(target.model, prompts,
                                                      prompt_->text_contexts(x));  // [1, C, E]
    if (!prompt_->has_visual()) return target.test_accuracy(classes[0]);
    const auto visual = prompt_->visual_prompts(x);  // [1, Mv, Dv]
    const auto all = eval::index_range(static_cast<int64_t>(target.test_split->size()));
    return eval::pixel_accuracy(*target.test_split, all, pixel_options(),
                                [&](const torch::Tensor& images) {
                                  return visual_logits(images.to(device()), visual, classes)[0];
                                });
  }

  void save(MethodState& state) const override {
    state.optimizer_state = optimizer_->serialize_state();
    save_progress(state);
    state.scalars["best_loss"] = best_loss_;
    state.vectors["best"] = best_;
    add_tensors(state, "prompt.", prompt_->frozen_tensors());
  }

  void load(const MethodState& state) override {
    optimizer_->restore_state(state.optimizer_state);
    load_progress(state);
    best_loss_ = state.scalars.at("best_loss");
    best_ = state.vectors.at("best");
    prompt_->load_frozen_tensors(tensors_with_prefix(state, "prompt."));
    prompt_->to(device());
  }

 private:
  torch::Device device() const { return context_.model->text_projection.device(); }

  /// images [B, 3, R, R], visual [K, Mv, Dv], class_features [K, C, E] -> [K, B, C]: one
  /// image-tower forward of the batch per candidate.
  torch::Tensor visual_logits(const torch::Tensor& images,
                              const torch::Tensor& visual,
                              const torch::Tensor& class_features) {
    std::vector<torch::Tensor> out;
    for (int64_t k = 0; k < visual.size(0); ++k) {
      auto f = context_.model->encode_image(images, visual[k]);  // [B, E]
      f = f / f.norm(2, -1, true);
      out.push_back(torch::matmul(f, class_features[k].t()));  // [B, C]
    }
    return context_.model->logit_scale.exp() * torch::stack(out);  // [K, B, C]
  }

  /// Candidates [N, count] on every batch of generation steps_'s epoch -> count * batches
  /// interleaved (loss, accuracy) pairs, candidate after candidate.
  std::vector<double> score_candidates(const optim::Matrix& candidates, int64_t batches) {
    const auto x = settings_to_tensor(candidates);  // [count, N]
    const auto class_features =
        engine_->class_features(prompt_->text_contexts(x));  // [count, C, E]
    const auto visual =
        prompt_->has_visual() ? prompt_->visual_prompts(x) : torch::Tensor();  // [count, Mv, Dv]
    const int64_t count = x.size(0);
    std::vector<double> values(static_cast<size_t>(count * batches * 2));
    for (int64_t b = 0; b < batches; ++b) {
      const int64_t sampler_step = steps_ * batches + b;
      torch::Tensor logits;  // [count, B, C]
      torch::Tensor labels;
      if (prompt_->has_visual()) {
        const auto& batch = pixel_batch(sampler_step);
        labels = batch.labels;
        logits = visual_logits(batch.images, visual, class_features);
      } else {
        const auto batch = engine_->batch(sampler_step);
        labels = batch.labels;
        logits = engine_->logits(batch, class_features);
      }
      const auto r = eval::summarize_queries(logits, labels, eval::LossKind::kCrossEntropy);
      for (int64_t k = 0; k < count; ++k) {
        values[(k * batches + b) * 2] = r.losses[k];
        values[(k * batches + b) * 2 + 1] = r.accuracies[k];
      }
    }
    return values;
  }

  /// The augmented pixel batch of a sampler step, on the model's device, loaded once per
  /// generation on this rank (every candidate chunk of the generation reuses it).
  const eval::ImageBatch& pixel_batch(int64_t sampler_step) {
    auto it = pixel_batches_.find(sampler_step);
    if (it == pixel_batches_.end()) {
      auto batch = loader_->load(engine_->sampler().batch(sampler_step), sampler_step);
      batch.images = batch.images.to(device());
      batch.labels = batch.labels.to(device());
      it = pixel_batches_.emplace(sampler_step, std::move(batch)).first;
    }
    return it->second;
  }

  /// Visual prompts train on center crops under views: 0, else on Dassl's train transform per step.
  eval::ImageBatchOptions pixel_options() const {
    eval::ImageBatchOptions options;
    options.resolution = static_cast<int>(context_.model->config().image_resolution);
    options.augment = augment_pixels_;
    return options;
  }

  double test_accuracy(const std::vector<int64_t>& items) {
    torch::NoGradGuard no_grad;
    const auto x = vector_to_tensor(to_eigen(best_));                         // [1, N]
    const auto classes = engine_->class_features(prompt_->text_contexts(x));  // [1, C, E]
    if (!prompt_->has_visual()) return context_.test_accuracy(classes[0], &items);
    const auto visual = prompt_->visual_prompts(x);  // [1, Mv, Dv]
    return eval::pixel_accuracy(*context_.test_split, items, pixel_options(),
                                [&](const torch::Tensor& images) {
                                  return visual_logits(images.to(device()), visual, classes)[0];
                                });
  }

  TrialContext& context_;
  bool augment_pixels_;  // views > 0
  std::unique_ptr<prompt::SubspacePrompt> prompt_;
  std::unique_ptr<optim::CmaEs> optimizer_;
  std::unique_ptr<eval::ContextQueryEngine> engine_;
  std::unique_ptr<eval::TrainImageLoader> loader_;
  std::map<int64_t, eval::ImageBatch> pixel_batches_;  // this generation's epoch, by sampler step
  int64_t query_chunk_ = 1;
  int64_t text_tokens_ = 0;
  double best_loss_ = std::numeric_limits<double>::infinity();
  std::vector<double> best_;
};

}  // namespace

std::unique_ptr<Method> make_bptvlm_method(const CommonOptions& common,
                                           RunConfig& config,
                                           TrialContext& context) {
  return std::make_unique<BptVlmMethod>(common, config, context);
}

}  // namespace bbpt::run
