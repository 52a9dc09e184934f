// SPDX-License-Identifier: MIT
#include "llm_search.h"

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <future>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/eval/zero_shot.h"

namespace bbpt::run {
namespace {

using Json = nlohmann::ordered_json;

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

nlohmann::ordered_json usage_json(const llm::Usage& u) {
  return Json{{"requests", u.requests},           {"http_calls", u.http_calls},
              {"cache_hits", u.cache_hits},       {"retries", u.retries},
              {"prompt_tokens", u.prompt_tokens}, {"completion_tokens", u.completion_tokens}};
}

namespace {

llm::Usage usage_from(const Json& j) {
  llm::Usage u;
  u.requests = j.at("requests").get<int64_t>();
  u.http_calls = j.at("http_calls").get<int64_t>();
  u.cache_hits = j.at("cache_hits").get<int64_t>();
  u.retries = j.at("retries").get<int64_t>();
  u.prompt_tokens = j.at("prompt_tokens").get<int64_t>();
  u.completion_tokens = j.at("completion_tokens").get<int64_t>();
  return u;
}

llm::Usage plus(llm::Usage a, const llm::Usage& b) {
  a.requests += b.requests;
  a.http_calls += b.http_calls;
  a.cache_hits += b.cache_hits;
  a.retries += b.retries;
  a.prompt_tokens += b.prompt_tokens;
  a.completion_tokens += b.completion_tokens;
  return a;
}

}  // namespace

std::string config_or(RunConfig& config, const std::string& key, const std::string& fallback) {
  const std::string value = config.get_string(key, "");
  return value.empty() ? fallback : value;
}

std::string to_string(LlmBackend backend) {
  return backend == LlmBackend::kHttp ? "http" : "local";
}

LlmSettings read_llm_settings(RunConfig& config, const TrialSpec& spec) {
  LlmSettings s;
  const std::string backend = config.get_string("llm_backend", "http");
  BBPT_CHECK(
      backend == "http" || backend == "local", ConfigError,
      config.source()
          << ": llm_backend is '" << backend
          << "', expected 'http' (an OpenAI-compatible endpoint) or 'local' (a Llama checkpoint "
             "in this process, llm_model_path)");
  s.backend = backend == "http" ? LlmBackend::kHttp : LlmBackend::kLocal;
  s.local.model_path = config.get_string("llm_model_path", "");
  s.local.tokenizer_path = config.get_string("llm_tokenizer_path", "");
  s.local.device = config.get_string("llm_device", s.local.device);
  s.top_k = config.get_int("llm_top_k", s.top_k);
  s.chat_generation_prompt =
      config.get_bool("llm_chat_generation_prompt", s.chat_generation_prompt);
  s.local_fingerprint = config.get_string("llm_model_fingerprint", "");
  BBPT_CHECK(s.top_k >= 0, ConfigError,
             config.source() << ": llm_top_k (= " << s.top_k << ") must be >= 0 (0 = off)");
  BBPT_CHECK(
      s.backend == LlmBackend::kHttp || !s.local.model_path.empty(), ConfigError,
      config.source()
          << ": llm_backend is 'local' but llm_model_path is empty: give a Hugging Face Llama "
             "checkpoint directory (e.g. Meta-Llama-3-8B-Instruct) or a llama2.c .bin");
  auto& e = s.endpoint;
  e.base_url = config_or(config, "llm_base_url", spec.llm_base_url);
  e.model = config.get_string("llm_model", "");
  e.api_key_env = config.get_string("llm_api_key_env", e.api_key_env);
  e.timeout_s = config.get_double("llm_timeout_s", e.timeout_s);
  e.max_attempts = config.get_int("llm_max_attempts", e.max_attempts);
  e.backoff_initial_s = config.get_double("llm_backoff_s", e.backoff_initial_s);
  e.backoff_max_s = config.get_double("llm_backoff_max_s", e.backoff_max_s);
  e.max_concurrency = config.get_int("llm_concurrency", e.max_concurrency);
  if (config.get_bool("llm_cache", true)) e.cache_dir = spec.llm_cache_dir;
  auto& p = s.sampling;
  p.temperature = config.get_double("llm_temperature", p.temperature);
  p.top_p = config.get_double("llm_top_p", p.top_p);
  p.max_tokens = config.get_int("llm_max_tokens", p.max_tokens);
  BBPT_CHECK(
      e.timeout_s > 0 && e.max_attempts >= 1 && e.backoff_initial_s >= 0 && e.max_concurrency >= 1,
      ConfigError,
      config.source() << ": llm_timeout_s (= " << e.timeout_s
                      << ") must be > 0, llm_max_attempts (= " << e.max_attempts
                      << ") and llm_concurrency (= " << e.max_concurrency
                      << ") >= 1, llm_backoff_s >= 0");
  BBPT_CHECK(p.temperature >= 0 && p.top_p > 0 && p.top_p <= 1 && p.max_tokens >= 1, ConfigError,
             config.source()
                 << ": llm_temperature must be >= 0, llm_top_p in (0, 1], llm_max_tokens >= 1");
  return s;
}

LlmSearchMethod::LlmSearchMethod(const CommonOptions& common,
                                 RunConfig& config,
                                 TrialContext& context,
                                 const std::string& method)
    : CountedMethod(common.budget_queries),
      context_(context),
      method_(method),
      settings_(read_llm_settings(config, context.spec)),
      scorer_(context, common.batch_size),
      gate_(*context.tokenizer, context.description.class_names) {
  iterations_ = config.get_int("iterations", 10);
  BBPT_CHECK(iterations_ >= 0, ConfigError,
             config.source() << ": iterations (= " << iterations_ << ") must be >= 0");
  dataset_name_ =
      context.description.name.empty() ? context.spec.dataset : context.description.name;
  if (context.group.is_leader() && iterations_ > 0 && settings_.backend == LlmBackend::kHttp) {
    BBPT_CHECK(!settings_.endpoint.base_url.empty(), ConfigError,
               config.source()
                   << ": " << method
                   << " needs an OpenAI-compatible endpoint: set llm_base_url (e.g. "
                      "http://127.0.0.1:8000/v1 for vLLM, http://127.0.0.1:11434/v1 for Ollama) or "
                      "$BBPT_LLM_BASE_URL; see docs/llm.md");
    BBPT_CHECK(
        !settings_.endpoint.model.empty(), ConfigError,
        config.source()
            << ": " << method
            << " needs the endpoint's model name: set llm_model (or export BBPT_LLM_MODEL before "
               "bbpt resolves the trial's config, which then records it)");
  }
}

llm::Usage LlmSearchMethod::total_usage() const {
  return plus(plus(usage_before_, client_ ? client_->usage() : llm::Usage{}), local_usage_);
}

llm::ChatClient& LlmSearchMethod::client() {
  if (!client_) {
    client_ = std::make_unique<llm::ChatClient>(
        settings_.endpoint, derive_seed(context_.spec.seed, SeedPurpose::kOptimizer));
  }
  return *client_;
}

const lm::LocalLlm& LlmSearchMethod::local_llm() {
  if (!local_) {
    const std::string fingerprint = lm::LocalLlm::fingerprint(settings_.local);
    BBPT_CHECK(settings_.local_fingerprint.empty() || settings_.local_fingerprint == fingerprint,
               ConfigError,
               method_ << ": llm_model_path " << settings_.local.model_path
                       << " is not the checkpoint this trial was "
                       << "planned with (fingerprint " << fingerprint << ", llm_model_fingerprint "
                       << settings_.local_fingerprint
                       << "): it changed on disk; plan the trial again (a new trial id) or restore "
                          "the checkpoint");
    local_ = lm::LocalLlm::open(settings_.local);
    std::ostringstream identity;
    identity << fingerprint << " on " << local_->model().options().device.type() << " in "
             << local_->model().options().dtype;
    BBPT_CHECK(local_identity_.empty() || local_identity_ == identity.str(), ConfigError,
               method_ << ": this trial's LLM ran as " << local_identity_
                       << "; resumed it would run as " << identity.str()
                       << " (another checkpoint, device or precision), which changes its "
                          "proposals: resume with the same llm_model_path and llm_device, or start "
                          "a new --out");
    local_identity_ = identity.str();
  }
  return *local_;
}

std::vector<std::vector<std::string>> LlmSearchMethod::ask_local(
    const std::vector<llm::ChatMessage>& messages,
    int64_t count,
    const lm::GuidanceTexts* guidance) {
  local_llm();
  std::vector<tokenizer::ChatTurn> turns;
  for (const auto& m : messages) {
    BBPT_CHECK(
        m.image_urls.empty(), ConfigError,
        method_
            << ": the local LLM reads text only; images go to a vision endpoint (vision_base_url)");
    turns.push_back({m.role, m.content});
  }
  lm::ChatSampling sampling;
  sampling.temperature = settings_.sampling.temperature;
  sampling.top_p = settings_.sampling.top_p;
  sampling.top_k = settings_.top_k;
  sampling.max_new_tokens = settings_.sampling.max_tokens;
  // Sample k of this call draws from the stream (optimizer seed, request index): a resumed trial
  // asks the same questions with the same indices and gets the same answers.
  const int64_t first = calls_;
  calls_ += count;
  const lm::ChatCompletions replies =
      local_->chat(turns, settings_.chat_generation_prompt, sampling, count,
                   derive_seed(context_.spec.seed, SeedPurpose::kOptimizer), first, guidance);
  local_usage_.requests += count;
  local_usage_.prompt_tokens += replies.prompt_tokens * count;  // as a server counts them
  local_usage_.completion_tokens += replies.completion_tokens;
  std::vector<std::vector<std::string>> texts;
  for (const auto& t : replies.texts) texts.push_back({t});
  return texts;
}

std::vector<std::vector<std::string>> LlmSearchMethod::ask(
    const std::vector<llm::ChatMessage>& messages,
    int64_t count,
    const lm::GuidanceTexts* guidance) {
  if (settings_.backend == LlmBackend::kLocal) return ask_local(messages, count, guidance);
  BBPT_CHECK(
      guidance == nullptr, ConfigError,
      method_
          << ": guidance needs the LLM's hidden states: set llm_backend: local and llm_model_path");
  auto& chat = client();
  std::vector<std::future<llm::ChatReply>> replies;
  for (int64_t k = 0; k < count; ++k) {
    const int64_t index = calls_++;
    auto sampling = settings_.sampling;
    // A per-request seed: servers that honour it (vLLM, llama.cpp, OpenAI) answer reproducibly
    // even without the cache.
    sampling.seed = static_cast<int64_t>(
        (derive_seed(context_.spec.seed, SeedPurpose::kOptimizer) + static_cast<uint64_t>(index)) %
        2147483647ULL);
    replies.push_back(std::async(std::launch::async, [&chat, &messages, sampling, index]() {
      return chat.complete(messages, sampling, index);
    }));
  }
  std::vector<std::vector<std::string>> texts;
  std::exception_ptr failure;
  for (auto& r : replies) {
    try {
      texts.push_back(r.get().texts);
    } catch (...) {
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  return texts;
}

void LlmSearchMethod::reject(const std::string& text, const std::string& reason) {
  step_rejects_.push_back(Json{{"text", text.substr(0, 300)}, {"reason", reason}});
  ++rejected_total_;
}

std::vector<std::string> LlmSearchMethod::gate(const std::vector<std::string>& proposals) {
  std::vector<std::string> accepted;
  for (const auto& text : proposals) {
    if (const auto why = gate_.admit(text)) {
      reject(text, *why);
    } else {
      accepted.push_back(text);
    }
  }
  return accepted;
}

std::vector<EvaluatedPrompt> LlmSearchMethod::ranked() const {
  auto out = history_;
  std::stable_sort(out.begin(), out.end(),
                   [this](const EvaluatedPrompt& a, const EvaluatedPrompt& b) {
                     return fitness(a) > fitness(b);
                   });
  return out;
}

std::vector<std::string> LlmSearchMethod::final_prompts() const {
  const auto best = ranked();
  BBPT_CHECK(!best.empty(), Error, method_ << ": no prompt was evaluated");
  return {best.front().text};
}

void LlmSearchMethod::prepare_step() {
  step_rejects_ = Json::array();
  prepared_ = gate(steps_ == 0 ? initial_prompts() : propose());
}

StepMetrics LlmSearchMethod::step() {
  std::vector<std::string> candidates = std::move(prepared_);
  prepared_.clear();
  if (context_.group.distributed()) {
    // The other ranks learn the step's prompts (one per line; the gate refuses line breaks).
    std::string message;
    if (context_.group.is_leader()) {
      for (const auto& c : candidates) message += c + "\n";
    }
    context_.group.broadcast(message);
    if (!context_.group.is_leader()) candidates = split_lines(message);
  }

  const auto scores =
      candidates.empty() ? std::vector<TemplateScore>() : scorer_.score(candidates, counter_);
  ++steps_;
  double step_best = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    history_.push_back({candidates[i], scores[i], steps_});
    step_best = std::max(step_best, scores[i].accuracy);
  }
  BBPT_CHECK(!history_.empty(), Error,
             method_ << ": none of the initial prompts passed the candidate gate; see the rejects "
                        "in metrics.jsonl");
  const auto best = ranked().front();
  last_acc_ = best.score.accuracy;
  last_loss_ = best.score.loss;
  StepMetrics m = step_metrics();
  m.extra["evaluated"] = static_cast<int64_t>(candidates.size());
  m.extra["step_best_acc"] = step_best;
  m.extra["best_prompt"] = best.text;
  m.extra["rejected"] = step_rejects_;
  if (context_.group.is_leader()) {
    m.extra["llm"] = usage_json(total_usage());
  }
  add_step_fields(m);
  return m;
}

double LlmSearchMethod::subset_test_accuracy(const std::vector<int64_t>& test_items) {
  return scorer_.test_accuracy(final_prompts(), &test_items);
}

FinalMetrics LlmSearchMethod::finish() {
  FinalMetrics f;
  const auto prompts = final_prompts();
  const auto best = ranked().front();
  f.train_acc = best.score.accuracy;
  f.train_loss = best.score.loss;
  f.test_acc = scorer_.test_accuracy(prompts);
  f.test_images = context_.test_features().first.size(0);
  f.extra["prompts"] = prompts;
  f.extra["candidates_evaluated"] = static_cast<int64_t>(history_.size());
  f.extra["candidates_rejected"] = rejected_total_;
  f.extra["clip_queries"] = queries_used();
  f.extra["llm"] = usage_json(total_usage());
  f.extra["llm_backend"] = to_string(settings_.backend);
  if (settings_.backend == LlmBackend::kLocal) f.extra["llm_identity"] = local_identity_;
  f.extra["llm_model"] = settings_.backend == LlmBackend::kHttp ? settings_.endpoint.model
                                                                : settings_.local.model_path;
  add_result_fields(f);
  return f;
}

double LlmSearchMethod::target_test_accuracy(TrialContext& target) {
  torch::NoGradGuard no_grad;
  return target.test_accuracy(eval::class_text_features(
      target.model, *target.tokenizer, target.description.class_names, final_prompts()));
}

void LlmSearchMethod::save(MethodState& state) const {
  save_progress(state);
  Json j;
  j["calls"] = calls_;
  j["local_identity"] = local_identity_;
  j["rejected_total"] = rejected_total_;
  j["usage"] = usage_json(total_usage());
  j["history"] = Json::array();
  for (const auto& p : history_) {
    j["history"].push_back(Json{{"text", p.text},
                                {"step", p.step},
                                {"accuracy", p.score.accuracy},
                                {"loss", p.score.loss},
                                {"mean_batch_accuracy", p.score.mean_batch_accuracy},
                                {"last_batch_loss", p.score.last_batch_loss}});
  }
  state.optimizer_state = j.dump();
}

void LlmSearchMethod::load(const MethodState& state) {
  load_progress(state);
  const auto j = Json::parse(state.optimizer_state);
  calls_ = j.at("calls").get<int64_t>();
  local_identity_ = j.value("local_identity", std::string());
  local_.reset();
  rejected_total_ = j.at("rejected_total").get<int64_t>();
  usage_before_ = usage_from(j.at("usage"));
  client_.reset();  // the usage of this session starts at zero
  local_usage_ = llm::Usage{};
  history_.clear();
  for (const auto& h : j.at("history")) {
    EvaluatedPrompt p;
    p.text = h.at("text").get<std::string>();
    p.step = h.at("step").get<int64_t>();
    p.score = {h.at("accuracy").get<double>(), h.at("loss").get<double>(),
               h.at("mean_batch_accuracy").get<double>(), h.at("last_batch_loss").get<double>()};
    gate_.remember(p.text);
    history_.push_back(std::move(p));
  }
}

}  // namespace bbpt::run
