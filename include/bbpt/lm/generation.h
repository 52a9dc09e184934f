// SPDX-License-Identifier: MIT
// Text generation with a LlamaModel: n completions that share one prefill of the prompt, sampled
// with temperature / top-k / top-p (transformers' warpers, in that order) from bbpt's seeded
// streams, stopping on any stop id; optionally guided by GLOV's steering vector. Also the official
// GLOV decoding path (the whole sequence re-run at every token, no cache) as a reference and a
// benchmark baseline.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bbpt/core/rng.h"
#include "bbpt/lm/llama_model.h"

namespace bbpt::lm {

/// How alpha enters the offset at the n-th generated token of a call (n = 1, 2, ...).
enum class GuidanceSchedule {
  kConstant,          ///< alpha * v at every token, as the GLOV paper describes
  kOfficialCompound,  ///< alpha^n * v, n counted over the whole call (samples one after another),
                      ///< as GLOV's trainers/llama_model.py does by re-multiplying inside its token
                      ///< loop
};

std::string to_string(GuidanceSchedule schedule);
/// "constant" | "official"; throws ConfigError naming `field` otherwise.
GuidanceSchedule parse_guidance_schedule(const std::string& text, const std::string& field);

struct Guidance {
  int64_t layer = -1;    ///< decoder layer (0-based) after which the offset is added
  torch::Tensor vector;  ///< v [D], e.g. steering_vector(...)
  double alpha = 1.0;
  GuidanceSchedule schedule = GuidanceSchedule::kConstant;
  bool active() const { return layer >= 0 && vector.defined(); }
};

struct GenerationOptions {
  int64_t max_new_tokens = 50;
  int64_t num_samples = 1;   ///< completions, all sharing one prefill of the prompt
  double temperature = 1.0;  ///< <= 0: greedy (argmax, lowest id on ties)
  int64_t top_k = 0;         ///< keep the k most likely ids; 0 = off
  double top_p = 1.0;        ///< keep the smallest set with probability > top_p; 1 = off
  uint64_t seed = 0;         ///< sample i draws from core::Rng(seed, first_sample_index + i)
  int64_t first_sample_index = 0;
  std::vector<int64_t> stop_ids;  ///< empty: the model's eos ids
};

struct Generation {
  std::vector<int64_t> prompt_ids;
  std::vector<std::vector<int64_t>> new_ids;  ///< per sample, the stop id excluded
  std::vector<bool> stopped;     ///< per sample: ended on a stop id (not on max_new_tokens)
  int64_t prompt_tokens = 0;     ///< prefill positions computed (once for all samples)
  int64_t generated_tokens = 0;  ///< decoded positions over all samples, stop ids included
};

/// KV-cached generation. Sample i draws from its own stream (seed, first_sample_index + i), so its
/// draws do not depend on the other samples; its tokens may still differ in the last bits of the
/// logits between batch sizes (batched GEMMs), so a call is reproducible as a whole, with the same
/// options. kOfficialCompound generates the samples one after another (the offset of a sample
/// depends on the lengths of those before it), each from a copy of the shared prefill.
Generation generate(const LlamaModel& model,
                    const std::vector<int64_t>& prompt_ids,
                    const GenerationOptions& options,
                    const Guidance& guidance = {});

/// The official GLOV decoding loop: at every token the whole sequence is run again without a
/// cache, with only its newest position shifted after the guidance layer. Samples one after
/// another. Same tokens as generate(); costs O(length^2) instead of O(length).
Generation generate_full_rerun(const LlamaModel& model,
                               const std::vector<int64_t>& prompt_ids,
                               const GenerationOptions& options,
                               const Guidance& guidance = {});

/// GLOV's steering vector (get_base_embeddings with mean_emb): mean over positions of
/// hidden_states[layer + 1] (the output of decoder layer `layer`) of `plus` minus that of `minus`.
/// Both id lists must already have equal length (pad_to_equal_length). Returns [D] fp32.
torch::Tensor steering_vector(const LlamaModel& model,
                              const std::vector<int64_t>& plus_ids,
                              const std::vector<int64_t>& minus_ids,
                              int64_t layer);

/// Appends `pad_id` to the shorter of a and b until both have the same length (GLOV pads the text
/// with the literal "<|eot_id|>", one special token each).
void pad_to_equal_length(std::vector<int64_t>& a, std::vector<int64_t>& b, int64_t pad_id);

/// The next id for one sequence from last-position logits [V] (fp32, CPU): temperature, top-k,
/// top-p filtering, then one uniform draw from `rng` against the cumulative probabilities (greedy:
/// no draw).
int64_t sample_next_id(const torch::Tensor& logits,
                       const GenerationOptions& options,
                       core::Rng& rng);

}  // namespace bbpt::lm
