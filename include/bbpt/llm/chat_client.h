// SPDX-License-Identifier: MIT
// A client for OpenAI-compatible chat completions (vLLM, llama.cpp's server, Ollama, OpenAI and
// other hosted APIs): POST <base_url>/chat/completions over HTTP(S) with libcurl.
//
// - The API key is read from the environment variable options.api_key_env at each call; it is never
//   stored, logged or written into an error message or the cache.
// - Retries with exponential backoff and jitter on transport errors (refused, reset, timeout), on
//   429 and on 5xx, honouring Retry-After (seconds or an HTTP date); other 4xx fail at once.
// - At most options.max_concurrency requests of this process are in flight at once (a process-wide
//   limit shared by every client with the same base URL).
// - A disk cache of responses (response_cache.h), keyed by a hash of (model, messages, sampling
//   parameters, sample index): a rerun or a resumed trial makes no HTTP call for what it already
//   asked and gets the same answers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bbpt/core/error.h"

namespace bbpt::llm {

struct ChatMessage {
  std::string role;  // system | user | assistant
  std::string content;
  /// Images for a vision model ("data:image/png;base64,..." or https URLs): the message's content
  /// is then sent as parts, the text first, then one "image_url" part per image.
  std::vector<std::string> image_urls = {};
};

struct SamplingOptions {
  double temperature = 1.0;
  double top_p = 1.0;
  int64_t max_tokens = 256;
  int64_t n = 1;      // completions per request
  int64_t seed = -1;  // sent as "seed" when >= 0 (vLLM, OpenAI and llama.cpp honour it)
};

struct EndpointOptions {
  std::string base_url;  // e.g. http://127.0.0.1:8000/v1 (…/chat/completions is appended)
  std::string model;     // the "model" field of the request
  std::string api_key_env = "OPENAI_API_KEY";  // "" or unset variable: no Authorization header
  double timeout_s = 120;                      // per HTTP attempt
  double connect_timeout_s = 10;
  int64_t max_attempts = 6;        // HTTP attempts per request, the first included
  double backoff_initial_s = 1.0;  // wait before the 2nd attempt; doubles after each
  double backoff_max_s = 60;       // cap of one wait (Retry-After is capped too)
  int64_t max_concurrency = 4;     // requests of this process in flight at once
  std::string cache_dir;           // "" : no response cache
};

/// One request's answer: `n` completions.
struct ChatReply {
  std::vector<std::string> texts;  // choices[i].message.content, in order
  int64_t prompt_tokens = 0;       // usage.prompt_tokens (0 when the server does not say)
  int64_t completion_tokens = 0;
  bool from_cache = false;
  int64_t attempts = 0;  // HTTP attempts made (0 from the cache)
};

/// What a client has done, for the trial's accounting.
struct Usage {
  int64_t requests = 0;       // complete() calls answered
  int64_t http_calls = 0;     // HTTP attempts made, retries included
  int64_t cache_hits = 0;     // requests answered from the cache
  int64_t retries = 0;        // attempts after the first
  int64_t prompt_tokens = 0;  // summed over requests, cached ones included
  int64_t completion_tokens = 0;
};

/// The endpoint could not answer: unreachable, timed out or refused after every attempt, or a
/// non-retryable error (other 4xx; a malformed 200 body is retried). The message names the URL, the
/// model, the last HTTP status or transport error and what to check; never the key.
class EndpointError : public Error {
 public:
  using Error::Error;
};

class ChatClient {
 public:
  /// jitter_seed: the seeded stream of the backoff jitter (core::Rng).
  ChatClient(EndpointOptions options, uint64_t jitter_seed);
  ~ChatClient();
  ChatClient(const ChatClient&) = delete;
  ChatClient& operator=(const ChatClient&) = delete;

  /// One chat completion request; sample_index tells apart repeated identical requests (the k-th
  /// call of a step) in the cache. Thread-safe (calls from several threads run concurrently up to
  /// max_concurrency). Throws EndpointError.
  ChatReply complete(const std::vector<ChatMessage>& messages,
                     const SamplingOptions& sampling,
                     int64_t sample_index);

  Usage usage() const;
  const EndpointOptions& options() const { return options_; }

 private:
  struct State;
  EndpointOptions options_;
  State* state_;
};

/// The cache key of a request: SHA-256 hex of the canonical JSON of
/// {model, messages, temperature, top_p, max_tokens, n, seed, sample_index} (base URL and key
/// excluded, so the same model behind another URL shares the cache).
std::string request_key(const std::string& model,
                        const std::vector<ChatMessage>& messages,
                        const SamplingOptions& sampling,
                        int64_t sample_index);

}  // namespace bbpt::llm
