// SPDX-License-Identifier: MIT
// What LLM-OPT, IPO and GLOV share (algorithms.md 7-9): an optimizer LLM behind an
// OpenAI-compatible endpoint proposes hard prompts (templates with "{}"), the frozen CLIP scores
// them on the few-shot training features, and the history of (prompt, accuracy, loss) feeds the
// next meta-prompt.
//
// Step 1 evaluates the initial prompts; each later step asks the LLM (rank 0 only), passes the
// replies through the candidate gate (placeholder, 77 tokens, duplicates; rejects logged with their
// reason), and scores the accepted prompts on every rank of the trial (template_scorer.h). The
// accounting keeps CLIP queries (the query counter), LLM requests, HTTP calls, cache hits and
// tokens apart. The whole search state (history, call counter, usage) is checkpointed as JSON, and
// every LLM request has a sample index from the call counter, so a resumed or rerun trial asks the
// same questions and, through the response cache, gets the same answers without HTTP calls.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bbpt/llm/chat_client.h"
#include "bbpt/lm/local_llm.h"
#include "bbpt/run/prompt_candidates.h"
#include "counted_method.h"
#include "template_scorer.h"

namespace bbpt::run {

struct EvaluatedPrompt {
  std::string text;  // with "{}"
  TemplateScore score;
  int64_t step = 0;
};

/// Where the optimizer LLM runs: behind an OpenAI-compatible endpoint, or in this process
/// (lm::LocalLlm on a Llama checkpoint; no server, and hidden states for GLOV's guidance).
enum class LlmBackend { kHttp, kLocal };
std::string to_string(LlmBackend backend);

/// The optimizer LLM's endpoint or local checkpoint and its sampling, from the method config
/// (llm_* keys; the CLI resolves llm_model from $BBPT_LLM_MODEL and llm_model_fingerprint from the
/// checkpoint before the config is hashed) and the endpoint's address (llm_base_url, else the
/// TrialSpec's, from $BBPT_LLM_BASE_URL).
struct LlmSettings {
  LlmBackend backend = LlmBackend::kHttp;
  llm::EndpointOptions endpoint;  // kHttp
  llm::SamplingOptions sampling;
  lm::LocalLlmOptions local;           // kLocal: llm_model_path, llm_tokenizer_path, llm_device
  int64_t top_k = 0;                   // kLocal only (the OpenAI API has no top_k); 0 = off
  bool chat_generation_prompt = true;  // kLocal: end the chat with the assistant header
  /// kLocal: the checkpoint's lm::LocalLlm::fingerprint the trial was planned with ("": not
  /// checked).
  std::string local_fingerprint;
};
LlmSettings read_llm_settings(RunConfig& config, const TrialSpec& spec);

/// The config's string `key`, or `fallback` when the config leaves it empty.
std::string config_or(RunConfig& config, const std::string& key, const std::string& fallback);

/// {requests, http_calls, cache_hits, retries, prompt_tokens, completion_tokens}.
nlohmann::ordered_json usage_json(const llm::Usage& usage);

class LlmSearchMethod : public CountedMethod {
 public:
  LlmSearchMethod(const CommonOptions& common,
                  RunConfig& config,
                  TrialContext& context,
                  const std::string& method);
  bool finished() const override { return steps_ > iterations_ || CountedMethod::finished(); }
  /// Rank 0: this step's candidates (the initial prompts, or the LLM's proposals), gated.
  void prepare_step() override;
  /// Every rank: the candidates from rank 0, scored on the few-shot sample.
  StepMetrics step() override;
  double subset_test_accuracy(const std::vector<int64_t>& test_items) override;
  FinalMetrics finish() override;
  double target_test_accuracy(TrialContext& target) override;
  void save(MethodState& state) const override;
  void load(const MethodState& state) override;

 protected:
  /// Prompts evaluated at step 1 (with "{}").
  virtual std::vector<std::string> initial_prompts() = 0;
  /// Rank 0: this step's proposals (with "{}", not yet gated). Asks the LLM through ask().
  virtual std::vector<std::string> propose() = 0;
  /// The fitness that ranks prompts (default: training accuracy).
  virtual double fitness(const EvaluatedPrompt& p) const { return p.score.accuracy; }
  /// The prompts whose ensemble is the learned prompt (default: the fittest one).
  virtual std::vector<std::string> final_prompts() const;

  /// `count` requests of the same messages (sample indices from the call counter), concurrently up
  /// to the endpoint's concurrency limit; each reply's texts, in order.
  /// With `guidance` (local backend only), GLOV's steering is applied to every sample.
  std::vector<std::vector<std::string>> ask(const std::vector<llm::ChatMessage>& messages,
                                            int64_t count,
                                            const lm::GuidanceTexts* guidance = nullptr);
  /// The history, fittest first (ties: earlier first).
  std::vector<EvaluatedPrompt> ranked() const;
  /// Records a proposal the method's own parser refused (malformed reply), with the reason.
  void reject(const std::string& text, const std::string& reason);
  /// Method-specific fields of result.json (called by finish()).
  virtual void add_result_fields(FinalMetrics& /*final_metrics*/) const {}
  /// Method-specific fields of a step's metrics line (called by step()).
  virtual void add_step_fields(StepMetrics& /*metrics*/) const {}
  const LlmSettings& llm_settings() const { return settings_; }
  /// Rank 0, llm_backend local: the LLM, loaded on first use. A trial resumed with another
  /// checkpoint, device or precision than it started with is refused (its proposals would change).
  const lm::LocalLlm& local_llm();

  /// The candidates prepare_step() chose for the next step (rank 0).
  std::vector<std::string> prepared_;
  TrialContext& context_;
  std::vector<EvaluatedPrompt> history_;  // in evaluation order
  int64_t iterations_ = 0;
  std::string dataset_name_;

 private:
  llm::ChatClient& client();
  std::vector<std::vector<std::string>> ask_local(const std::vector<llm::ChatMessage>& messages,
                                                  int64_t count,
                                                  const lm::GuidanceTexts* guidance);
  /// The usage of the sessions before this one plus this session's.
  llm::Usage total_usage() const;
  std::vector<std::string> gate(const std::vector<std::string>& proposals);

  std::string method_;
  LlmSettings settings_;
  TemplateScorer scorer_;
  CandidateGate gate_;
  std::unique_ptr<llm::ChatClient> client_;    // rank 0, created at the first request (http)
  std::shared_ptr<const lm::LocalLlm> local_;  // rank 0, loaded at the first request (local)
  llm::Usage local_usage_;                     // this session's requests and tokens (local)
  std::string local_identity_;  // fingerprint, device and dtype the trial's LLM runs as (local)
  int64_t calls_ = 0;           // requests made so far: the next sample index
  llm::Usage usage_before_;     // of the sessions before this one (checkpointed)
  nlohmann::ordered_json step_rejects_ = nlohmann::ordered_json::array();
  int64_t rejected_total_ = 0;
};

}  // namespace bbpt::run
