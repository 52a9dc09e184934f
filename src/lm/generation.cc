// SPDX-License-Identifier: MIT
// Implements sampling, KV-cached generation with a shared prefill, the official full re-run, and
// GLOV's steering vector.
// ref:
// https://github.com/huggingface/transformers/blob/v4.45.0/src/transformers/generation/logits_process.py
//      (TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper)
#include "bbpt/lm/generation.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "bbpt/core/error.h"

namespace bbpt::lm {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

std::vector<int64_t> stop_ids_of(const LlamaModel& model, const GenerationOptions& options) {
  return options.stop_ids.empty() ? model.config().eos_ids : options.stop_ids;
}

bool is_stop(const std::vector<int64_t>& stop, int64_t id) {
  return std::find(stop.begin(), stop.end(), id) != stop.end();
}

void check_options(const LlamaModel& model,
                   const std::vector<int64_t>& prompt_ids,
                   const GenerationOptions& options,
                   const Guidance& guidance) {
  BBPT_CHECK(!prompt_ids.empty(), ConfigError, "generation needs at least one prompt token");
  BBPT_CHECK(options.max_new_tokens >= 1, ConfigError,
             "max_new_tokens is " << options.max_new_tokens << ", expected at least 1");
  BBPT_CHECK(options.num_samples >= 1, ConfigError,
             "num_samples is " << options.num_samples << ", expected at least 1");
  BBPT_CHECK(options.top_k >= 0, ConfigError,
             "top_k is " << options.top_k << ", expected >= 0 (0 turns it off)");
  BBPT_CHECK(options.top_p > 0 && options.top_p <= 1, ConfigError,
             "top_p is " << options.top_p << ", expected a value in (0, 1]");
  if (guidance.active()) {
    BBPT_CHECK(guidance.layer < model.config().num_layers, ConfigError,
               "guidance layer " << guidance.layer << " is outside the model's layers 0.."
                                 << model.config().num_layers - 1);
    BBPT_CHECK(guidance.vector.dim() == 1 && guidance.vector.size(0) == model.config().hidden_size,
               ConfigError,
               "guidance vector has shape " << guidance.vector.sizes() << ", expected ["
                                            << model.config().hidden_size << "]");
  }
}

torch::Tensor ids_tensor(const std::vector<int64_t>& ids, int64_t begin, int64_t end) {
  return torch::tensor(std::vector<int64_t>(ids.begin() + begin, ids.begin() + end), torch::kInt64)
      .view({1, -1});
}

// The offset at the n-th generated token of a call (n = 1, 2, ...).
SteeringOffset offset_at(const Guidance& guidance, int64_t n) {
  if (!guidance.active()) return {};
  const double scale = guidance.schedule == GuidanceSchedule::kConstant
                           ? guidance.alpha
                           : std::pow(guidance.alpha, static_cast<double>(n));
  return SteeringOffset{guidance.layer, guidance.vector * scale};
}

// The prompt minus its last token, computed once; every sample feeds the last prompt token itself
// (so that the steered logits of the prompt's end use that sample's offset).
KvCache prefill_all_but_last(const LlamaModel& model, const std::vector<int64_t>& prompt_ids) {
  const int64_t P = static_cast<int64_t>(prompt_ids.size());
  KvCache cache = model.new_cache(1, P);
  if (P > 1) model.forward(ids_tensor(prompt_ids, 0, P - 1), cache);
  return cache;
}

}  // namespace

std::string to_string(GuidanceSchedule schedule) {
  return schedule == GuidanceSchedule::kConstant ? "constant" : "official";
}

GuidanceSchedule parse_guidance_schedule(const std::string& text, const std::string& field) {
  if (text == "constant") return GuidanceSchedule::kConstant;
  if (text == "official") return GuidanceSchedule::kOfficialCompound;
  BBPT_THROW(ConfigError,
             field << " is '" << text
                   << "', expected 'constant' (alpha * v at every token, the paper) or 'official' "
                      "(alpha^n * v, GLOV's code)");
}

int64_t sample_next_id(const torch::Tensor& logits,
                       const GenerationOptions& options,
                       core::Rng& rng) {
  torch::Tensor scores = logits.to(torch::kCPU, torch::kFloat32).contiguous();  // [V]
  const int64_t V = scores.size(0);
  if (options.temperature <= 0) {
    const float* s = scores.data_ptr<float>();
    int64_t best = 0;
    for (int64_t i = 1; i < V; ++i) {
      if (s[i] > s[best]) best = i;
    }
    return best;
  }
  scores = scores / options.temperature;
  if (options.top_k > 0 && options.top_k < V) {
    const torch::Tensor kth = std::get<0>(scores.topk(options.top_k)).min();
    scores = scores.masked_fill(scores < kth, kNegInf);
  }
  if (options.top_p < 1.0) {
    const auto [sorted, order] = scores.sort(/*dim=*/0, /*descending=*/false);
    torch::Tensor remove = sorted.softmax(0).cumsum(0) <= (1.0 - options.top_p);
    remove[V - 1] = false;  // min_tokens_to_keep = 1
    scores = scores.index_fill(0, order.masked_select(remove), kNegInf);
  }
  const torch::Tensor probs = scores.softmax(0).contiguous();
  const float* p = probs.data_ptr<float>();
  double total = 0;
  for (int64_t i = 0; i < V; ++i) total += p[i];
  const double target = rng.uniform01() * total;
  double cumulative = 0;
  int64_t last_nonzero = 0;
  for (int64_t i = 0; i < V; ++i) {
    if (p[i] <= 0) continue;
    cumulative += p[i];
    last_nonzero = i;
    if (cumulative > target) return i;
  }
  return last_nonzero;
}

Generation generate(const LlamaModel& model,
                    const std::vector<int64_t>& prompt_ids,
                    const GenerationOptions& options,
                    const Guidance& guidance) {
  check_options(model, prompt_ids, options, guidance);
  torch::NoGradGuard no_grad;
  const std::vector<int64_t> stop = stop_ids_of(model, options);
  const int64_t P = static_cast<int64_t>(prompt_ids.size());
  const int64_t N = options.num_samples;
  const int64_t capacity = P + options.max_new_tokens;
  Generation out;
  out.prompt_ids = prompt_ids;
  out.new_ids.assign(static_cast<size_t>(N), {});
  out.stopped.assign(static_cast<size_t>(N), false);
  out.prompt_tokens = P;
  const KvCache prefix = prefill_all_but_last(model, prompt_ids);
  const torch::Tensor last_prompt_id = ids_tensor(prompt_ids, P - 1, P);  // [1, 1]

  // Decodes the samples in `rows` together from a copy of the prefix; `n0` is the global token
  // counter before the first of them (it only matters for kOfficialCompound, one row at a time).
  auto decode = [&](const std::vector<int64_t>& rows, int64_t n0) {
    const int64_t B = static_cast<int64_t>(rows.size());
    std::vector<core::Rng> streams;
    for (int64_t r : rows)
      streams.emplace_back(options.seed, static_cast<uint64_t>(options.first_sample_index + r));
    KvCache cache = prefix.expand(B, capacity);
    torch::Tensor logits = model.forward(last_prompt_id.expand({B, 1}).contiguous(), cache,
                                         offset_at(guidance, n0 + 1));
    std::vector<int64_t> active(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) active[i] = static_cast<int64_t>(i);
    for (int64_t t = 1;; ++t) {
      logits = logits.to(torch::kCPU);  // [B, V] fp32, one transfer per step
      std::vector<int64_t> next_ids, still_active, keep_rows;
      for (size_t a = 0; a < active.size(); ++a) {
        const int64_t local = active[a];
        const auto sample = static_cast<size_t>(rows[static_cast<size_t>(local)]);
        const int64_t id = sample_next_id(logits[static_cast<int64_t>(a)], options,
                                          streams[static_cast<size_t>(local)]);
        ++out.generated_tokens;
        if (is_stop(stop, id)) {
          out.stopped[sample] = true;
          continue;
        }
        out.new_ids[sample].push_back(id);
        if (t < options.max_new_tokens) {
          next_ids.push_back(id);
          still_active.push_back(local);
          keep_rows.push_back(static_cast<int64_t>(a));
        }
      }
      if (still_active.empty()) return t;
      if (keep_rows.size() != active.size())
        cache.select_rows(torch::tensor(keep_rows, torch::kInt64));
      active = still_active;
      logits = model.forward(torch::tensor(next_ids, torch::kInt64).view({-1, 1}), cache,
                             offset_at(guidance, n0 + t + 1));
    }
  };

  if (guidance.active() && guidance.schedule == GuidanceSchedule::kOfficialCompound) {
    int64_t counter = 0;  // alpha is compounded over the whole call, sample after sample
    for (int64_t s = 0; s < N; ++s) counter += decode({s}, counter);
  } else {
    std::vector<int64_t> rows(static_cast<size_t>(N));
    for (int64_t s = 0; s < N; ++s) rows[static_cast<size_t>(s)] = s;
    decode(rows, 0);
  }
  return out;
}

Generation generate_full_rerun(const LlamaModel& model,
                               const std::vector<int64_t>& prompt_ids,
                               const GenerationOptions& options,
                               const Guidance& guidance) {
  check_options(model, prompt_ids, options, guidance);
  torch::NoGradGuard no_grad;
  const std::vector<int64_t> stop = stop_ids_of(model, options);
  Generation out;
  out.prompt_ids = prompt_ids;
  out.prompt_tokens = static_cast<int64_t>(prompt_ids.size());
  int64_t counter = 0;
  for (int64_t s = 0; s < options.num_samples; ++s) {
    core::Rng stream(options.seed, static_cast<uint64_t>(options.first_sample_index + s));
    std::vector<int64_t> sequence = prompt_ids;
    out.new_ids.emplace_back();
    out.stopped.push_back(false);
    for (int64_t t = 0; t < options.max_new_tokens; ++t) {
      const int64_t length = static_cast<int64_t>(sequence.size());
      KvCache cache = model.new_cache(1, length);
      const torch::Tensor logits =
          model.forward(ids_tensor(sequence, 0, length), cache, offset_at(guidance, ++counter));
      const int64_t id = sample_next_id(logits[0], options, stream);
      ++out.generated_tokens;
      if (is_stop(stop, id)) {
        out.stopped.back() = true;
        break;
      }
      out.new_ids.back().push_back(id);
      sequence.push_back(id);
    }
  }
  return out;
}

torch::Tensor steering_vector(const LlamaModel& model,
                              const std::vector<int64_t>& plus_ids,
                              const std::vector<int64_t>& minus_ids,
                              int64_t layer) {
  BBPT_CHECK(plus_ids.size() == minus_ids.size() && !plus_ids.empty(), ConfigError,
             "steering vector: P+ has " << plus_ids.size() << " tokens and P- " << minus_ids.size()
                                        << "; pad them to one length first");
  BBPT_CHECK(layer >= 0 && layer < model.config().num_layers, ConfigError,
             "guidance layer " << layer << " is outside the model's layers 0.."
                               << model.config().num_layers - 1);
  const int64_t T = static_cast<int64_t>(plus_ids.size());
  auto mean_at = [&](const std::vector<int64_t>& ids) {
    return model.hidden_states(ids_tensor(ids, 0, T))[static_cast<size_t>(layer + 1)][0].mean(
        0);  // [D]
  };
  return (mean_at(plus_ids) - mean_at(minus_ids)).to(torch::kCPU);
}

void pad_to_equal_length(std::vector<int64_t>& a, std::vector<int64_t>& b, int64_t pad_id) {
  while (a.size() < b.size()) a.push_back(pad_id);
  while (b.size() < a.size()) b.push_back(pad_id);
}

}  // namespace bbpt::lm
