// SPDX-License-Identifier: MIT
// Implements ChatClient: the response cache lookup, the attempt loop (per-URL concurrency slot,
// HTTP POST, classification of the outcome, backoff), the usage counters and the error messages.
// The wire format is in chat_format.cc, the transfer in http_post.cc, the timing in
// retry_policy.cc.
#include "bbpt/llm/chat_client.h"

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iomanip>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <utility>

#include "bbpt/core/log.h"
#include "bbpt/core/redact.h"
#include "bbpt/core/rng.h"
#include "bbpt/core/sha256.h"
#include "bbpt/llm/response_cache.h"
#include "chat_format.h"
#include "endpoint_slots.h"
#include "http_post.h"
#include "retry_policy.h"

namespace bbpt::llm {
namespace {

// Cache entries are persisted artifacts: a reader rejects (treats as a miss) other formats.
constexpr const char* kCacheFormat = "bbpt.llm.chat_response";
constexpr int64_t kCacheVersion = 1;
constexpr size_t kExcerptChars = 200;
constexpr size_t kMaxFailuresReported = 3;

std::string strip_one_slash(std::string url) {
  if (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// The value of $api_key_env, "" when the name is empty or the variable unset.
std::string read_api_key(const std::string& api_key_env) {
  if (api_key_env.empty()) return "";
  const char* value = std::getenv(api_key_env.c_str());
  return value ? value : "";
}

// One line of at most ~kExcerptChars for an error message; the key never survives into it (some
// servers echo the Authorization header back in a 401 body), nor a URL's credentials (a server or
// libcurl may quote the URL).
std::string excerpt(std::string text, const std::string& secret) {
  text = core::redact_urls(text);
  if (!secret.empty()) {
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
      text.replace(at, secret.size(), "<redacted>");
    }
  }
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (text.size() > kExcerptChars) text = text.substr(0, kExcerptChars) + "...";
  return text;
}

std::string http_failure_text(const detail::HttpPostResult& result, const std::string& secret) {
  std::ostringstream out;
  out << "HTTP " << result.status << " ";
  out << (result.body.empty() ? std::string("(empty body)") : excerpt(result.body, secret));
  return out.str();
}

std::string hint_for_status(long status, const EndpointOptions& options, bool key_set) {
  if (status == 401 || status == 403) {
    if (options.api_key_env.empty()) {
      return "check the API key (api_key_env is empty, so no Authorization header was sent)";
    }
    std::string hint = "check the API key in $" + options.api_key_env;
    if (!key_set) hint += " (it is not set, so no Authorization header was sent)";
    return hint;
  }
  if (status == 404) return "check base_url (…/v1) and model";
  if (status == 400 || status == 413 || status == 422) {
    return "the server rejected the request; check model, max_tokens against the context length "
           "and "
           "the sampling options";
  }
  return "check base_url and the server's log";
}

bool is_retryable_status(long status) { return status == 408 || status == 429 || status >= 500; }

nlohmann::json cache_entry(const nlohmann::json& request, const detail::ParsedReply& reply) {
  return {
      {"format", kCacheFormat},
      {"version", kCacheVersion},
      {"request", request},
      {"texts", reply.texts},
      {"usage",
       {{"prompt_tokens", reply.prompt_tokens}, {"completion_tokens", reply.completion_tokens}}}};
}

// The reply stored in `entry`, or nullopt when the entry is of another format or another request.
std::optional<detail::ParsedReply> reply_from_cache_entry(const nlohmann::json& entry,
                                                          const nlohmann::json& request) {
  if (!entry.is_object() || entry.value("format", "") != kCacheFormat ||
      entry.value("version", int64_t{-1}) != kCacheVersion ||
      entry.value("request", nlohmann::json()) != request) {
    return std::nullopt;
  }
  const auto texts = entry.find("texts");
  if (texts == entry.end() || !texts->is_array() || texts->empty()) return std::nullopt;
  detail::ParsedReply reply;
  for (const nlohmann::json& text : *texts) {
    if (!text.is_string()) return std::nullopt;
    reply.texts.push_back(text.get<std::string>());
  }
  const nlohmann::json usage = entry.value("usage", nlohmann::json::object());
  if (!usage.is_object()) return std::nullopt;
  reply.prompt_tokens = usage.value("prompt_tokens", int64_t{0});
  reply.completion_tokens = usage.value("completion_tokens", int64_t{0});
  return reply;
}

// The failures of one request, most recent last; one entry per kind ("HTTP 503", a curl error, a
// malformed body) so the final message shows the variety without repeating itself.
class FailureLog {
 public:
  void add(std::string kind, std::string text) {
    for (auto it = failures_.begin(); it != failures_.end(); ++it) {
      if (it->first == kind) {
        failures_.erase(it);
        break;
      }
    }
    failures_.emplace_back(std::move(kind), std::move(text));
  }
  const std::string& last() const { return failures_.back().second; }
  std::string summary() const {
    std::string out;
    size_t shown = 0;
    for (auto it = failures_.rbegin(); it != failures_.rend() && shown < kMaxFailuresReported;
         ++it, ++shown) {
      if (!out.empty()) out += " | ";
      out += it->second;
    }
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::string>> failures_;
};

// The cache key of a canonical request (one definition for request_key and complete).
std::string key_of(const nlohmann::json& request) { return core::sha256_hex(request.dump()); }

std::string plural_attempts(int64_t n) {
  return std::to_string(n) + (n == 1 ? " attempt" : " attempts");
}

std::string format_seconds(double seconds) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(seconds < 1 ? 2 : 1) << seconds;
  return out.str();
}

void check_options(const EndpointOptions& o) {
  BBPT_CHECK(!o.base_url.empty(), ConfigError,
             "llm base_url is empty; set it to the server's OpenAI API root, e.g. "
             "http://127.0.0.1:8000/v1");
  BBPT_CHECK(
      !o.model.empty(), ConfigError,
      "llm model is empty; set it to the model name the server serves (vLLM: --served-model-name)");
  BBPT_CHECK(o.timeout_s > 0, ConfigError, "llm timeout_s (= " << o.timeout_s << ") must be > 0");
  BBPT_CHECK(o.connect_timeout_s > 0, ConfigError,
             "llm connect_timeout_s (= " << o.connect_timeout_s << ") must be > 0");
  BBPT_CHECK(o.max_attempts >= 1, ConfigError,
             "llm max_attempts (= " << o.max_attempts << ") must be >= 1");
  BBPT_CHECK(o.backoff_initial_s >= 0, ConfigError,
             "llm backoff_initial_s (= " << o.backoff_initial_s << ") must be >= 0");
  BBPT_CHECK(o.backoff_max_s >= 0, ConfigError,
             "llm backoff_max_s (= " << o.backoff_max_s << ") must be >= 0");
  BBPT_CHECK(o.max_concurrency >= 1, ConfigError,
             "llm max_concurrency (= " << o.max_concurrency << ") must be >= 1");
}

void check_request(const std::vector<ChatMessage>& messages, const SamplingOptions& s) {
  BBPT_CHECK(!messages.empty(), ConfigError, "a chat request needs at least one message");
  BBPT_CHECK(s.n >= 1, ConfigError, "llm sampling n (= " << s.n << ") must be >= 1");
  BBPT_CHECK(s.max_tokens >= 1, ConfigError,
             "llm sampling max_tokens (= " << s.max_tokens << ") must be >= 1");
  BBPT_CHECK(s.temperature >= 0, ConfigError,
             "llm sampling temperature (= " << s.temperature << ") must be >= 0");
  BBPT_CHECK(s.top_p > 0 && s.top_p <= 1, ConfigError,
             "llm sampling top_p (= " << s.top_p << ") must be in (0, 1]");
}

}  // namespace

struct ChatClient::State {
  State(const EndpointOptions& options, uint64_t jitter_seed)
      : base_url(strip_one_slash(options.base_url)),
        url(base_url + "/chat/completions"),
        slots(detail::endpoint_slots(base_url, options.max_concurrency)),
        jitter_rng(jitter_seed) {
    if (!options.cache_dir.empty()) cache.emplace(options.cache_dir);
  }

  double next_jitter() {
    std::lock_guard<std::mutex> lock(jitter_mutex);
    return jitter_rng.uniform(0.5, 1.0);
  }

  void count_attempt(int64_t attempt) {
    std::lock_guard<std::mutex> lock(usage_mutex);
    ++usage.http_calls;
    if (attempt > 1) ++usage.retries;
  }

  void count_answer(const ChatReply& reply) {
    std::lock_guard<std::mutex> lock(usage_mutex);
    ++usage.requests;
    if (reply.from_cache) ++usage.cache_hits;
    usage.prompt_tokens += reply.prompt_tokens;
    usage.completion_tokens += reply.completion_tokens;
  }

  // The attempt loop; returns the parsed reply and sets *attempts, or throws EndpointError.
  detail::ParsedReply post_with_retries(const EndpointOptions& options,
                                        const std::string& body,
                                        int64_t* attempts);

  std::string base_url;
  std::string url;  // <base_url>/chat/completions
  std::shared_ptr<detail::EndpointSlots> slots;
  std::optional<ResponseCache> cache;
  std::mutex jitter_mutex;
  core::Rng jitter_rng;
  mutable std::mutex usage_mutex;
  Usage usage;
};

detail::ParsedReply ChatClient::State::post_with_retries(const EndpointOptions& options,
                                                         const std::string& body,
                                                         int64_t* attempts) {
  // Read at each call, so a key exported after start-up works; kept only on this stack frame.
  const std::string api_key = read_api_key(options.api_key_env);
  std::vector<std::string> headers = {"Content-Type: application/json", "Accept: application/json"};
  if (!api_key.empty()) headers.push_back("Authorization: Bearer " + api_key);
  const detail::HttpPostOptions http_options{options.timeout_s, options.connect_timeout_s};
  // The URL as shown: its credentials (user:pass@, ?api_key=) stay in `url`, which connects.
  const std::string who = core::redact_url(url) + " (model " + options.model + ")";

  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  FailureLog failures;
  for (int64_t attempt = 1; attempt <= options.max_attempts; ++attempt) {
    *attempts = attempt;
    detail::HttpPostResult result;
    {
      detail::SlotGuard slot(*slots);
      result = detail::http_post(url, headers, body, http_options);
    }
    count_attempt(attempt);

    std::optional<double> retry_after_s;
    if (!result.transport_error.empty()) {
      const std::string text = excerpt(result.transport_error, api_key);
      BBPT_CHECK(result.transport_retryable, llm::EndpointError,
                 who << ": " << text << "; check base_url");
      failures.add("curl " + std::to_string(result.curl_code), text);
    } else if (result.status >= 200 && result.status < 300) {
      std::string why;
      if (std::optional<detail::ParsedReply> parsed = detail::parse_reply(result.body, &why))
        return *parsed;
      failures.add("malformed", "HTTP " + std::to_string(result.status) +
                                    " with a malformed reply (" + why +
                                    "): " + excerpt(result.body, api_key));
    } else if (is_retryable_status(result.status)) {
      failures.add("HTTP " + std::to_string(result.status), http_failure_text(result, api_key));
      retry_after_s = detail::parse_retry_after(result.retry_after, std::time(nullptr));
    } else {
      BBPT_THROW(llm::EndpointError,
                 who << ": " << http_failure_text(result, api_key) << "; "
                     << hint_for_status(result.status, options, !api_key.empty()));
    }
    if (attempt == options.max_attempts) break;

    const double wait_s =
        detail::retry_wait_s(retry_after_s, attempt, options.backoff_initial_s,
                             options.backoff_max_s, retry_after_s ? 1.0 : next_jitter());
    BBPT_LOG_WARN(who << ": attempt " << attempt << "/" << options.max_attempts << " failed ("
                      << failures.last() << "); retrying in " << format_seconds(wait_s) << " s");
    if (!detail::sleep_unless_stopped(wait_s)) {
      BBPT_THROW(llm::EndpointError,
                 who << ": stopped (a stop was requested) after " << plural_attempts(attempt)
                     << "; last: " << failures.summary() << ". The trial can be resumed");
    }
  }
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  BBPT_THROW(llm::EndpointError,
             who << ": no answer after " << plural_attempts(options.max_attempts) << " over "
                 << format_seconds(elapsed_s) << " s; last: " << failures.summary()
                 << ". Check that the server runs (vLLM, llama.cpp, Ollama) and base_url; "
                    "the trial can be resumed");
}

ChatClient::ChatClient(EndpointOptions options, uint64_t jitter_seed)
    : options_(std::move(options)), state_(nullptr) {
  check_options(options_);
  state_ = new State(options_, jitter_seed);
}

ChatClient::~ChatClient() { delete state_; }

ChatReply ChatClient::complete(const std::vector<ChatMessage>& messages,
                               const SamplingOptions& sampling,
                               int64_t sample_index) {
  check_request(messages, sampling);
  const nlohmann::json request =
      detail::canonical_request(options_.model, messages, sampling, sample_index);
  std::string key;
  if (state_->cache) {
    key = key_of(request);
    if (const std::optional<nlohmann::json> entry = state_->cache->get(key)) {
      if (std::optional<detail::ParsedReply> cached = reply_from_cache_entry(*entry, request)) {
        ChatReply reply{std::move(cached->texts), cached->prompt_tokens, cached->completion_tokens,
                        /*from_cache=*/true, /*attempts=*/0};
        state_->count_answer(reply);
        return reply;
      }
    }
  }

  int64_t attempts = 0;
  detail::ParsedReply parsed = state_->post_with_retries(
      options_, detail::request_body(options_.model, messages, sampling), &attempts);
  if (state_->cache) {
    // The answer is good even if it cannot be kept; a rerun then asks again.
    try {
      state_->cache->put(key, cache_entry(request, parsed));
    } catch (const Error& e) {
      BBPT_LOG_WARN("llm response cache: " << e.what() << "; the answer is used but not cached");
    }
  }
  ChatReply reply{std::move(parsed.texts), parsed.prompt_tokens, parsed.completion_tokens,
                  /*from_cache=*/false, attempts};
  state_->count_answer(reply);
  return reply;
}

Usage ChatClient::usage() const {
  std::lock_guard<std::mutex> lock(state_->usage_mutex);
  return state_->usage;
}

std::string request_key(const std::string& model,
                        const std::vector<ChatMessage>& messages,
                        const SamplingOptions& sampling,
                        int64_t sample_index) {
  return key_of(detail::canonical_request(model, messages, sampling, sample_index));
}

}  // namespace bbpt::llm
