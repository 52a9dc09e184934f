// SPDX-License-Identifier: MIT
// ChatClient against a fake OpenAI server: what goes on the wire, which failures are retried and
// which fail at once, how long the retries take, the per-URL concurrency limit, the response cache,
// and that the API key never leaks into an error message or a cache file.
#include "bbpt/llm/chat_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "bbpt/core/file_io.h"
#include "bbpt/core/sha256.h"
#include "bbpt/core/stop_signal.h"
#include "bbpt/llm/response_cache.h"
#include "fake_openai_server.h"
#include "scoped_env.h"
#include "temp_dir.h"

namespace bbpt::llm {
namespace {

using bbpt::testing::FakeOpenAiServer;
using bbpt::testing::FakeReply;
using bbpt::testing::ScopedEnv;
using Clock = std::chrono::steady_clock;

constexpr const char* kKeyEnv = "BBPT_LLM_TEST_API_KEY";
constexpr const char* kSecret = "sk-test-0123456789-secret";

// Short backoff and few attempts: failure paths take milliseconds.
EndpointOptions fast_options(const std::string& url) {
  EndpointOptions o;
  o.base_url = url;
  o.model = "fake-model";
  o.api_key_env = kKeyEnv;
  o.timeout_s = 5;
  o.connect_timeout_s = 2;
  o.max_attempts = 3;
  o.backoff_initial_s = 0.01;
  o.backoff_max_s = 0.05;
  return o;
}

const std::vector<ChatMessage> kMessages = {{"system", "You write prompts."},
                                            {"user", "Propose 2 templates."}};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs complete() expecting EndpointError; returns its message.
std::string endpoint_error(ChatClient& client, const SamplingOptions& sampling = {}) {
  try {
    client.complete(kMessages, sampling, 0);
  } catch (const EndpointError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected EndpointError";
  return "";
}

TEST(ChatClient, WellFormedReplyAndRequestOnTheWire) {
  const ScopedEnv key(kKeyEnv, kSecret);
  FakeOpenAiServer server;
  server.push_reply(FakeOpenAiServer::ok({"a photo of a {}.", "a sketch of a {}."}, 123, 45));
  ChatClient client(fast_options(server.url()), 1);
  SamplingOptions sampling;
  sampling.temperature = 0.7;
  sampling.top_p = 0.9;
  sampling.max_tokens = 64;
  sampling.n = 2;
  sampling.seed = 5;
  const ChatReply reply = client.complete(kMessages, sampling, 0);
  EXPECT_EQ(reply.texts, (std::vector<std::string>{"a photo of a {}.", "a sketch of a {}."}));
  EXPECT_EQ(reply.prompt_tokens, 123);
  EXPECT_EQ(reply.completion_tokens, 45);
  EXPECT_FALSE(reply.from_cache);
  EXPECT_EQ(reply.attempts, 1);

  ASSERT_EQ(server.request_count(), 1u);
  const auto request = server.requests()[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/v1/chat/completions");
  EXPECT_EQ(request.header("Content-Type"), "application/json");
  EXPECT_EQ(request.header("Authorization"), std::string("Bearer ") + kSecret);
  EXPECT_EQ(request.header("User-Agent").rfind("bbpt/", 0), 0u) << request.header("User-Agent");
  const auto body = nlohmann::json::parse(request.body);
  EXPECT_EQ(body.at("model"), "fake-model");
  EXPECT_EQ(body.at("messages"),
            (nlohmann::json{{{"role", "system"}, {"content", "You write prompts."}},
                            {{"role", "user"}, {"content", "Propose 2 templates."}}}));
  EXPECT_DOUBLE_EQ(body.at("temperature").get<double>(), 0.7);
  EXPECT_DOUBLE_EQ(body.at("top_p").get<double>(), 0.9);
  EXPECT_EQ(body.at("max_tokens"), 64);
  EXPECT_EQ(body.at("n"), 2);
  EXPECT_EQ(body.at("seed"), 5);

  const Usage usage = client.usage();
  EXPECT_EQ(usage.requests, 1);
  EXPECT_EQ(usage.http_calls, 1);
  EXPECT_EQ(usage.retries, 0);
  EXPECT_EQ(usage.cache_hits, 0);
  EXPECT_EQ(usage.prompt_tokens, 123);
  EXPECT_EQ(usage.completion_tokens, 45);
}

TEST(ChatClient, NoAuthorizationHeaderWithoutKeyAndNoSeedWhenNegative) {
  FakeOpenAiServer server;
  {
    const ScopedEnv unset(kKeyEnv, nullptr);
    ChatClient client(fast_options(server.url() + "/"), 1);  // one trailing '/' is stripped
    client.complete(kMessages, SamplingOptions{}, 0);
  }
  {
    const ScopedEnv empty(kKeyEnv, "");
    ChatClient client(fast_options(server.url()), 1);
    client.complete(kMessages, SamplingOptions{}, 0);
  }
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  for (const auto& request : requests) {
    EXPECT_EQ(request.path, "/v1/chat/completions");
    EXPECT_FALSE(request.has_header("Authorization"));
    EXPECT_FALSE(nlohmann::json::parse(request.body).contains("seed"));
  }
}

TEST(ChatClient, KeyNeverAppearsInErrorMessage) {
  const ScopedEnv key(kKeyEnv, kSecret);
  FakeOpenAiServer server;
  // Some servers echo the rejected key back in the 401 body.
  server.push_reply(
      {401,
       std::string(R"({"error":{"message":"Incorrect API key provided: )") + kSecret + "\"}}",
       {},
       0,
       false});
  ChatClient client(fast_options(server.url()), 1);
  const std::string message = endpoint_error(client);
  EXPECT_EQ(server.request_count(), 1u);  // 401 is not retried
  EXPECT_EQ(message.find(kSecret), std::string::npos) << message;
  EXPECT_NE(message.find("HTTP 401"), std::string::npos) << message;
  EXPECT_NE(message.find(std::string("$") + kKeyEnv), std::string::npos) << message;
  EXPECT_NE(message.find(server.url()), std::string::npos) << message;
}

TEST(ChatClient, TooManyRequestsWaitsForRetryAfter) {
  FakeOpenAiServer server;
  server.push_reply({429, R"({"error":"rate limited"})", {{"Retry-After", "1"}}, 0, false});
  server.push_reply(FakeOpenAiServer::ok({"ok"}));
  EndpointOptions options = fast_options(server.url());
  options.backoff_max_s = 5;  // Retry-After is capped at backoff_max_s; backoff alone waits ~10 ms
  ChatClient client(options, 1);
  const auto start = Clock::now();
  const ChatReply reply = client.complete(kMessages, SamplingOptions{}, 0);
  const double elapsed_s = seconds_since(start);
  EXPECT_EQ(reply.texts, std::vector<std::string>{"ok"});
  EXPECT_EQ(reply.attempts, 2);
  EXPECT_EQ(server.request_count(), 2u);
  EXPECT_GE(elapsed_s, 0.95);
  EXPECT_LT(elapsed_s, 3.0);
  EXPECT_EQ(client.usage().retries, 1);
  EXPECT_EQ(client.usage().http_calls, 2);
  EXPECT_EQ(client.usage().requests, 1);
}

TEST(ChatClient, ServerErrorIsRetried) {
  FakeOpenAiServer server;
  server.push_reply({500, "internal error", {}, 0, false});
  server.push_reply({503, "", {}, 0, false});
  server.push_reply(FakeOpenAiServer::ok({"ok"}));
  ChatClient client(fast_options(server.url()), 1);
  const ChatReply reply = client.complete(kMessages, SamplingOptions{}, 0);
  EXPECT_EQ(reply.texts, std::vector<std::string>{"ok"});
  EXPECT_EQ(reply.attempts, 3);
  EXPECT_EQ(server.request_count(), 3u);
  EXPECT_EQ(client.usage().retries, 2);
}

TEST(ChatClient, SlowReplyTimesOutAndIsRetried) {
  FakeOpenAiServer server;
  FakeReply slow = FakeOpenAiServer::ok({"too late"});
  slow.delay_ms = 3000;
  server.push_reply(slow);
  server.push_reply(FakeOpenAiServer::ok({"in time"}));
  EndpointOptions options = fast_options(server.url());
  options.timeout_s = 0.3;
  ChatClient client(options, 1);
  const auto start = Clock::now();
  const ChatReply reply = client.complete(kMessages, SamplingOptions{}, 0);
  EXPECT_EQ(reply.texts, std::vector<std::string>{"in time"});
  EXPECT_EQ(reply.attempts, 2);
  EXPECT_LT(seconds_since(start), 2.0);  // the slow attempt was cut at timeout_s
}

TEST(ChatClient, MalformedOrEmptyReplyIsRetried) {
  FakeOpenAiServer server;
  server.push_reply({200, "<html>proxy error</html>", {}, 0, false});
  server.push_reply({200, R"({"choices":[]})", {}, 0, false});
  server.push_reply({200, "", {}, 0, /*close_without_reply=*/true});
  server.push_reply(FakeOpenAiServer::ok({"ok"}));
  EndpointOptions options = fast_options(server.url());
  options.max_attempts = 4;
  ChatClient client(options, 1);
  const ChatReply reply = client.complete(kMessages, SamplingOptions{}, 0);
  EXPECT_EQ(reply.texts, std::vector<std::string>{"ok"});
  EXPECT_EQ(reply.attempts, 4);
  EXPECT_EQ(server.request_count(), 4u);
}

TEST(ChatClient, MalformedRepliesUntilTheEndAreReported) {
  FakeOpenAiServer server;
  server.set_default_reply({200, "not json at all", {}, 0, false});
  ChatClient client(fast_options(server.url()), 1);
  const std::string message = endpoint_error(client);
  EXPECT_EQ(server.request_count(), 3u);
  EXPECT_NE(message.find("malformed"), std::string::npos) << message;
  EXPECT_NE(message.find("not json at all"), std::string::npos) << message;
}

TEST(ChatClient, ServerDownFailsAfterMaxAttemptsQuickly) {
  const std::string url =
      "http://127.0.0.1:" + std::to_string(FakeOpenAiServer::unused_port()) + "/v1";
  ChatClient client(fast_options(url), 1);
  const auto start = Clock::now();
  const std::string message = endpoint_error(client);
  EXPECT_LT(seconds_since(start), 2.0);
  EXPECT_NE(message.find(url + "/chat/completions"), std::string::npos) << message;
  EXPECT_NE(message.find("fake-model"), std::string::npos) << message;
  EXPECT_NE(message.find("after 3 attempts"), std::string::npos) << message;
  EXPECT_NE(message.find("Connection refused"), std::string::npos) << message;
  EXPECT_NE(message.find("resumed"), std::string::npos) << message;
  EXPECT_EQ(client.usage().http_calls, 3);
  EXPECT_EQ(client.usage().retries, 2);
  EXPECT_EQ(client.usage().requests, 0);
}

TEST(ChatClient, LastFailuresOfEachKindAreReported) {
  FakeOpenAiServer server;
  server.push_reply({503, "warming up", {}, 0, false});
  server.push_reply({502, std::string(1000, 'x'), {}, 0, false});
  server.push_reply({503, "still warming up", {}, 0, false});
  ChatClient client(fast_options(server.url()), 1);
  const std::string message = endpoint_error(client);
  EXPECT_NE(message.find("HTTP 503 still warming up"), std::string::npos) << message;
  EXPECT_NE(message.find("HTTP 502 xxx"), std::string::npos) << message;
  EXPECT_EQ(message.find("HTTP 503 warming up"), std::string::npos)
      << message;  // the older 503 is replaced
  EXPECT_EQ(message.find(std::string(300, 'x')), std::string::npos)
      << "body excerpt not cut: " << message;
}

TEST(ChatClient, ClientErrorsFailAtOnce) {
  FakeOpenAiServer server;
  server.push_reply({400, R"({"error":"max_tokens too large"})", {}, 0, false});
  server.push_reply({404, R"({"error":"model not found"})", {}, 0, false});
  ChatClient client(fast_options(server.url()), 1);
  const std::string bad_request = endpoint_error(client);
  EXPECT_EQ(server.request_count(), 1u);
  EXPECT_NE(bad_request.find("HTTP 400"), std::string::npos) << bad_request;
  EXPECT_NE(bad_request.find("max_tokens too large"), std::string::npos) << bad_request;
  const std::string not_found = endpoint_error(client);
  EXPECT_EQ(server.request_count(), 2u);
  EXPECT_NE(not_found.find("HTTP 404"), std::string::npos) << not_found;
  EXPECT_NE(not_found.find("check base_url"), std::string::npos) << not_found;
  EXPECT_EQ(client.usage().retries, 0);
}

TEST(ChatClient, BackoffGrowsBetweenAttempts) {
  FakeOpenAiServer server;
  server.set_default_reply({503, "busy", {}, 0, false});
  EndpointOptions options = fast_options(server.url());
  options.backoff_initial_s = 0.2;  // waits 0.2 and 0.4 s, times a jitter in [0.5, 1)
  options.backoff_max_s = 10;
  ChatClient client(options, 1);
  const auto start = Clock::now();
  endpoint_error(client);
  const double elapsed_s = seconds_since(start);
  EXPECT_GE(elapsed_s, 0.3);
  EXPECT_LT(elapsed_s, 1.5);
}

TEST(ChatClient, CacheAnswersRepeatsWithoutHttpAndKeepsNoKey) {
  const ScopedEnv key(kKeyEnv, kSecret);
  FakeOpenAiServer server;
  server.set_responder([](const bbpt::testing::FakeRequest& request) {
    const auto body = nlohmann::json::parse(request.body);
    return FakeOpenAiServer::ok({"t=" + body.at("temperature").dump()}, 10, 4);
  });
  EndpointOptions options = fast_options(server.url());
  const TempDir temp;
  options.cache_dir = temp.path();
  SamplingOptions sampling;
  sampling.temperature = 0.5;

  ChatClient first(options, 1);
  const ChatReply asked = first.complete(kMessages, sampling, 0);
  EXPECT_FALSE(asked.from_cache);
  EXPECT_EQ(server.request_count(), 1u);

  // A rerun (a new client on the same folder) gets the same answer with no HTTP call.
  ChatClient rerun(options, 2);
  const ChatReply cached = rerun.complete(kMessages, sampling, 0);
  EXPECT_EQ(server.request_count(), 1u);
  EXPECT_TRUE(cached.from_cache);
  EXPECT_EQ(cached.attempts, 0);
  EXPECT_EQ(cached.texts, asked.texts);
  EXPECT_EQ(cached.prompt_tokens, 10);
  EXPECT_EQ(cached.completion_tokens, 4);
  const Usage usage = rerun.usage();
  EXPECT_EQ(usage.requests, 1);
  EXPECT_EQ(usage.cache_hits, 1);
  EXPECT_EQ(usage.http_calls, 0);
  EXPECT_EQ(usage.prompt_tokens, 10);

  // Another sample index or temperature is another request.
  EXPECT_FALSE(rerun.complete(kMessages, sampling, 1).from_cache);
  SamplingOptions hotter = sampling;
  hotter.temperature = 0.9;
  EXPECT_FALSE(rerun.complete(kMessages, hotter, 0).from_cache);
  EXPECT_EQ(server.request_count(), 3u);

  // The file holds the request and the answer, never the key.
  const std::string path =
      ResponseCache(options.cache_dir).path_of(request_key(options.model, kMessages, sampling, 0));
  const std::string stored = core::read_file(path);
  EXPECT_EQ(stored.find(kSecret), std::string::npos);
  const auto entry = nlohmann::json::parse(stored);
  EXPECT_EQ(entry.at("texts"), nlohmann::json(asked.texts));
  EXPECT_EQ(entry.at("request").at("model"), "fake-model");
  EXPECT_EQ(entry.at("usage").at("prompt_tokens"), 10);
}

TEST(ChatClient, DamagedCacheFileIsAMissAndIsRewritten) {
  FakeOpenAiServer server;
  EndpointOptions options = fast_options(server.url());
  const TempDir temp;
  options.cache_dir = temp.path();
  ChatClient client(options, 1);
  client.complete(kMessages, SamplingOptions{}, 0);
  const std::string path =
      ResponseCache(options.cache_dir)
          .path_of(request_key(options.model, kMessages, SamplingOptions{}, 0));
  ASSERT_TRUE(core::is_regular_file(path));
  std::ofstream(path, std::ios::trunc) << "{\"format\": \"bbpt.llm.chat_resp";
  const ChatReply again = client.complete(kMessages, SamplingOptions{}, 0);
  EXPECT_FALSE(again.from_cache);
  EXPECT_EQ(server.request_count(), 2u);
  EXPECT_TRUE(client.complete(kMessages, SamplingOptions{}, 0).from_cache);  // repaired
  EXPECT_EQ(server.request_count(), 2u);
}

TEST(ChatClient, RequestKeyIsTheHashOfTheCanonicalRequest) {
  // Pins the canonical form: changing it silently invalidates every existing cache.
  const std::string canonical =
      R"({"max_tokens":256,"messages":[{"content":"hi","role":"user"}],"model":"m","n":1,)"
      R"("sample_index":0,"seed":-1,"temperature":1.0,"top_p":1.0})";
  EXPECT_EQ(request_key("m", {{"user", "hi"}}, SamplingOptions{}, 0), core::sha256_hex(canonical));
  EXPECT_NE(request_key("m", {{"user", "hi"}}, SamplingOptions{}, 1),
            request_key("m", {{"user", "hi"}}, {}, 0));
  EXPECT_NE(request_key("m2", {{"user", "hi"}}, SamplingOptions{}, 0),
            request_key("m", {{"user", "hi"}}, {}, 0));
}

// Six calls at once through a limit of two: the server must never see more than two.
TEST(ChatClient, ConcurrencyIsLimitedPerProcess) {
  FakeOpenAiServer server;
  FakeReply slow = FakeOpenAiServer::ok({"ok"});
  slow.delay_ms = 300;
  server.set_default_reply(slow);
  EndpointOptions options = fast_options(server.url());
  options.max_concurrency = 2;
  ChatClient client(options, 1);
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      if (client.complete(kMessages, SamplingOptions{}, i).texts == std::vector<std::string>{"ok"})
        ++answered;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(answered.load(), 6);
  EXPECT_EQ(server.max_in_flight(), 2);
  EXPECT_GE(seconds_since(start), 0.85);  // three rounds of 300 ms
  EXPECT_EQ(client.usage().requests, 6);
}

TEST(ChatClient, ConcurrencyLimitIsSharedByClientsOfOneUrl) {
  FakeOpenAiServer server;
  FakeReply slow = FakeOpenAiServer::ok({"ok"});
  slow.delay_ms = 150;
  server.set_default_reply(slow);
  EndpointOptions options = fast_options(server.url());
  options.max_concurrency = 1;
  ChatClient a(options, 1);
  ChatClient b(options, 2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] { (i % 2 ? a : b).complete(kMessages, SamplingOptions{}, i); });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(server.request_count(), 4u);
  EXPECT_EQ(server.max_in_flight(), 1);
}

TEST(ChatClient, InvalidOptionsAreConfigErrors) {
  EndpointOptions options = fast_options("http://127.0.0.1:1/v1");
  options.max_concurrency = 0;
  EXPECT_THROW(ChatClient(options, 1), ConfigError);
  options = fast_options("");
  EXPECT_THROW(ChatClient(options, 1), ConfigError);
  ChatClient client(fast_options("http://127.0.0.1:1/v1"), 1);
  SamplingOptions sampling;
  sampling.n = 0;
  EXPECT_THROW(client.complete(kMessages, sampling, 0), ConfigError);
}

// A stop request (Slurm's preemption warning) must end a backoff sleep at once, so the trial can
// checkpoint inside its warning window. Run in a child process: the stop flag cannot be cleared.
TEST(ChatClientDeathTest, StopRequestEndsBackoffEarly) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        const std::string url =
            "http://127.0.0.1:" + std::to_string(FakeOpenAiServer::unused_port()) + "/v1";
        EndpointOptions options = fast_options(url);
        options.backoff_initial_s = 30;
        options.backoff_max_s = 30;
        ChatClient client(options, 1);
        std::thread stopper([] {
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          core::request_stop(SIGUSR2);
        });
        const auto start = Clock::now();
        const std::string message = endpoint_error(client);
        stopper.join();
        const bool ok = message.find("stopped") != std::string::npos &&
                        seconds_since(start) < 3.0 && client.usage().http_calls == 1;
        std::fprintf(stderr, "%s\n", message.c_str());
        _exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "stopped");
}

}  // namespace
}  // namespace bbpt::llm
