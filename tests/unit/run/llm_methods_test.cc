// SPDX-License-Identifier: MIT
// `bbpt run` of llm-opt, ipo and glov against a fake OpenAI-compatible server on a loopback port
// (tests/support/fake_openai_server.h), on the golden tiny CLIP and Fashion-MNIST (4 shots: 40
// images, 1 query per prompt): malformed replies are refused before they cost a query, 429 and 500
// are retried, the accounting of CLIP queries, LLM requests and tokens is exact, a rerun with the
// response cache makes no HTTP call and gives the same result, and an endpoint that stays down
// fails the trial with a clear reason while a later run continues it from its checkpoint.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bbpt/core/file_io.h"
#include "fake_openai_server.h"
#include "run_fixture.h"

namespace {
namespace fs = std::filesystem;
using bbpt::testing::FakeOpenAiServer;
using bbpt::testing::FakeReply;
using bbpt::testing::FakeRequest;
using bbpt::testing::run_to_end;
using Json = nlohmann::json;

std::string fresh_dir(const std::string& name) {
  const auto dir = (fs::temp_directory_path() / ("bbpt_llm_methods_test_" + name)).string();
  fs::remove_all(dir);
  return dir;
}

/// The CLIP the methods tune: the golden tiny CLIP, or $BBPT_LLM_TEST_MODEL (e.g. the pretrained
/// embedded default, ~/.cache/bbpt/models/bbpt-clip-default.pt, for a run by hand).
std::string clip_model() {
  const char* model = std::getenv("BBPT_LLM_TEST_MODEL");
  return model && *model ? std::string(model) : bbpt::testing::kGoldenModel;
}

/// The run command; the LLM cache lives under cache_dir (the datasets stay in the usual data dir).
std::vector<std::string> run_args(const std::string& method,
                                  const std::string& out,
                                  const std::string& cache_dir,
                                  const std::vector<std::string>& sets) {
  std::vector<std::string> args = {BBPT_EXECUTABLE,
                                   "--threads",
                                   "1",
                                   "--cache-dir",
                                   cache_dir,
                                   "--data-dir",
                                   bbpt::testing::data_dir(),
                                   "run",
                                   "--config",
                                   bbpt::testing::kMethodConfigs + method + ".yaml",
                                   "--dataset",
                                   "fmnist",
                                   "--seed",
                                   "1",
                                   "--shots",
                                   "4",
                                   "--model",
                                   clip_model(),
                                   "--out",
                                   out,
                                   "--progress-every",
                                   "0",
                                   "--set",
                                   "llm_model=fake-model",
                                   "--set",
                                   "llm_backoff_s=0.01"};
  for (const auto& s : sets) args.insert(args.end(), {"--set", s});
  return args;
}

/// Answers every meta-prompt with a fresh, well-formed proposal in the method's format.
void answer_well(FakeOpenAiServer& server) {
  auto counter = std::make_shared<std::atomic<int>>(0);
  server.set_responder([counter](const FakeRequest& request) {
    const auto body = Json::parse(request.body);
    const std::string prompt = body.at("messages").back().at("content").get<std::string>();
    const int k = (*counter)++;
    if (prompt.find("list of good templates") != std::string::npos) {
      return FakeOpenAiServer::ok({"- a photo of a {}, variant " + std::to_string(k) + "."});
    }
    if (prompt.find("<INS>") != std::string::npos) {
      return FakeOpenAiServer::ok(
          {"<INS>a blurry photo of a <CLASS>, number " + std::to_string(k) + ".</INS>"});
    }
    return FakeOpenAiServer::ok(
        {"Prompt: a photo of a <category>, kind " + std::to_string(k) + "."});
  });
}

std::vector<Json> metrics_of(const std::string& dir) {
  std::vector<Json> lines;
  std::istringstream in(bbpt::core::read_file(dir + "/metrics.jsonl"));
  for (std::string line; std::getline(in, line);) lines.push_back(Json::parse(line));
  return lines;
}

Json result_of(const std::string& dir) {
  return Json::parse(bbpt::core::read_file(dir + "/result.json"));
}

class LlmMethods : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!bbpt::testing::run_fixture_ready(&why)) GTEST_SKIP() << why;
    ::unsetenv("OPENAI_API_KEY");
  }
  void use(const FakeOpenAiServer& server) {
    ::setenv("BBPT_LLM_BASE_URL", server.url().c_str(), 1);
  }
};

TEST_F(LlmMethods, TheModelFromTheEnvironmentIsRecordedInTheTrialsConfig) {
  FakeOpenAiServer server;
  use(server);
  answer_well(server);
  ::setenv("BBPT_LLM_MODEL", "env-model", 1);
  const auto out = fresh_dir("env_model");
  auto args = run_args("llm-opt", out, fresh_dir("env_model_cache"), {"iterations=1"});
  const auto set = std::find(args.begin(), args.end(), "llm_model=fake-model");
  args.erase(set - 1, set + 1);  // the model comes from the environment only
  const auto run = run_to_end(args);
  ::unsetenv("BBPT_LLM_MODEL");
  ASSERT_EQ(run.code, 0) << run.output;
  const auto config = Json::parse(bbpt::core::read_file(out + "/config.json"));
  EXPECT_EQ(config.at("llm_model"), "env-model");  // and so in config_sha256 and a sweep's trial id
  EXPECT_EQ(config.at("llm_base_url"), "");        // the address is not: it says where, not what
  ASSERT_FALSE(server.requests().empty());
  for (const auto& request : server.requests())
    EXPECT_EQ(Json::parse(request.body).at("model"), "env-model");
}

TEST_F(LlmMethods, LlmOptRefusesMalformedRepliesRetriesAndAccountsExactly) {
  FakeOpenAiServer server;
  use(server);
  // Iteration 1: prose without "- " lines, a "- " line without {}, an empty reply, then a good
  // template with prose around it after a 429 (Retry-After) and a 500.
  server.push_reply(
      FakeOpenAiServer::ok({"Sure! Here is a better template:\n1. a photo of a {}."}));
  server.push_reply(FakeOpenAiServer::ok({"- a photo of a thing."}));
  server.push_reply(FakeOpenAiServer::ok({""}));
  server.push_reply({429, "{\"error\":\"slow down\"}", {{"Retry-After", "1"}}, 0, false});
  server.push_reply({500, "{\"error\":\"busy\"}", {}, 0, false});
  server.push_reply(
      FakeOpenAiServer::ok({"Here you go:\n- a studio photo of a {}.\nHope it helps!"}));
  // Iteration 2: a duplicate; iteration 3: a template that is too long; then well-formed.
  server.push_reply(FakeOpenAiServer::ok({"- a studio photo of a {}."}));
  std::string too_long = "- ";
  for (int i = 0; i < 80; ++i) too_long += "a ";
  server.push_reply(FakeOpenAiServer::ok({too_long + "{}"}));
  answer_well(server);

  const auto cache = fresh_dir("opt_cache");
  const auto out = fresh_dir("opt");
  const auto run = run_to_end(run_args("llm-opt", out, cache, {"iterations=4"}));
  ASSERT_EQ(run.code, 0) << run.output;
  const auto result = result_of(out);
  const auto metrics = metrics_of(out);
  ASSERT_EQ(metrics.size(), 5u);  // the initial pool, then 4 iterations

  // The initial pool (the dataset's templates) and one template per iteration reach CLIP.
  const int64_t pool = metrics[0].at("evaluated").get<int64_t>();
  EXPECT_GE(pool, 3);
  EXPECT_EQ(metrics[1].at("evaluated"), 1);
  EXPECT_EQ(metrics[2].at("evaluated"), 0);  // the duplicate was refused before costing a query
  EXPECT_EQ(metrics[3].at("evaluated"), 0);  // and so was the template that is too long
  EXPECT_EQ(metrics[4].at("evaluated"), 1);
  EXPECT_EQ(result.at("candidates_evaluated").get<int64_t>(), pool + 2);
  EXPECT_EQ(result.at("queries_used").get<int64_t>(),
            pool + 2);  // 40 images, batch 128: 1 query each
  EXPECT_EQ(metrics.back().at("queries").get<int64_t>(), pool + 2);

  // 3 malformed replies + 1 duplicate + 1 too long, each with its reason.
  EXPECT_EQ(result.at("candidates_rejected"), 5);
  const auto rejected_1 = metrics[1].at("rejected").dump();
  EXPECT_NE(rejected_1.find("no line starting with"), std::string::npos) << rejected_1;
  EXPECT_NE(rejected_1.find("without {}"), std::string::npos) << rejected_1;
  const auto rejected_2 = metrics[2].at("rejected").dump();
  EXPECT_NE(rejected_2.find("duplicate"), std::string::npos) << rejected_2;
  const auto rejected_3 = metrics[3].at("rejected").dump();
  EXPECT_NE(rejected_3.find("CLIP tokens"), std::string::npos) << rejected_3;

  // LLM accounting, apart from the CLIP queries: 4 requests in iteration 1, then 1, 1 and 1 (the
  // too-long template came in a valid reply); 2 more HTTP calls for the 429 and the 500.
  const auto& llm = result.at("llm");
  EXPECT_EQ(llm.at("requests"), 7);
  EXPECT_EQ(llm.at("http_calls"), 9);
  EXPECT_EQ(llm.at("http_calls").get<size_t>(), server.request_count());
  EXPECT_EQ(llm.at("retries"), 2);
  EXPECT_EQ(llm.at("cache_hits"), 0);
  EXPECT_EQ(llm.at("prompt_tokens"), 7 * 11);
  EXPECT_EQ(llm.at("completion_tokens"), 7 * 7);
  EXPECT_EQ(result.at("prompts").size(), 1u);

  // A rerun in a new directory: every answer from the cache, no HTTP call, the same result.
  const size_t calls_before = server.request_count();
  const auto again = fresh_dir("opt_again");
  const auto rerun = run_to_end(run_args("llm-opt", again, cache, {"iterations=4"}));
  ASSERT_EQ(rerun.code, 0) << rerun.output;
  EXPECT_EQ(server.request_count(), calls_before);
  auto a = result_of(out), b = result_of(again);
  EXPECT_EQ(b.at("llm").at("cache_hits"), 7);
  EXPECT_EQ(b.at("llm").at("http_calls"), 0);
  for (auto* r : {&a, &b}) {
    r->erase("wall_time_s");
    r->erase("llm");
  }
  EXPECT_EQ(a, b);
}

TEST_F(LlmMethods, IpoAndGlovCompleteWithExactAccounting) {
  FakeOpenAiServer server;
  use(server);
  answer_well(server);
  // Two of IPO's first 8 replies have no <CLASS> (one in prose around the tags, one empty).
  server.push_reply(
      FakeOpenAiServer::ok({"Sure, here it is: <INS>a photo of a flower.</INS> Enjoy!"}));
  server.push_reply(FakeOpenAiServer::ok({""}));
  const auto cache = fresh_dir("ipo_glov_cache");

  const auto ipo = fresh_dir("ipo");
  const auto ipo_run = run_to_end(run_args("ipo", ipo, cache, {"iterations=2"}));
  ASSERT_EQ(ipo_run.code, 0) << ipo_run.output;
  const auto ipo_result = result_of(ipo);
  EXPECT_EQ(ipo_result.at("llm").at("requests"), 16);    // 8 calls per step
  EXPECT_EQ(ipo_result.at("candidates_evaluated"), 15);  // "a photo of a <CLASS>." + 16 - 2 refused
  EXPECT_EQ(ipo_result.at("candidates_rejected"), 2);
  EXPECT_EQ(ipo_result.at("queries_used"), 15);
  EXPECT_NE(metrics_of(ipo)[1].at("rejected").dump().find("no <CLASS> placeholder"),
            std::string::npos);
  const auto first_request = Json::parse(server.requests().front().body);
  EXPECT_EQ(first_request.at("max_tokens"), 40);
  EXPECT_NE(first_request.at("messages")[0].at("content").get<std::string>().find(
                "The score ranges from 0 to 100"),
            std::string::npos);

  server.push_reply(FakeOpenAiServer::ok({"1. A photo of a cat."}));  // numbered, no <category>
  const size_t before_glov = server.request_count();
  const auto glov = fresh_dir("glov");
  const auto glov_run = run_to_end(run_args("glov", glov, cache, {"iterations=2"}));
  ASSERT_EQ(glov_run.code, 0) << glov_run.output;
  const auto glov_result = result_of(glov);
  EXPECT_EQ(glov_result.at("llm").at("requests"), 20);  // 10 samples per step
  EXPECT_EQ(server.request_count() - before_glov, 20u);
  EXPECT_EQ(glov_result.at("candidates_evaluated"), 20);
  EXPECT_EQ(glov_result.at("candidates_rejected"), 1);
  EXPECT_EQ(glov_result.at("queries_used"), 20);
  EXPECT_EQ(glov_result.at("prompts").size(), 3u);  // the top-3 ensemble
  const auto last = Json::parse(server.requests().back().body);
  EXPECT_EQ(last.at("messages")[0].at("role"), "system");
  EXPECT_NE(last.at("messages")[1].at("content").get<std::string>().find("--- Accuracy: "),
            std::string::npos);
}

TEST_F(LlmMethods, IpoAsksAVisionEndpointToDescribeTheTrainingImages) {
  FakeOpenAiServer server;
  use(server);
  auto counter = std::make_shared<std::atomic<int>>(0);
  server.set_responder([counter](const FakeRequest& request) {
    if (request.body.find("image_url") != std::string::npos) {
      return FakeOpenAiServer::ok({"a shape with straight\nedges"});
    }
    return FakeOpenAiServer::ok(
        {"<INS>a photo of a <CLASS>, take " + std::to_string((*counter)++) + ".</INS>"});
  });
  const auto out = fresh_dir("ipo_vision");
  const auto run = run_to_end(
      run_args("ipo", out, fresh_dir("ipo_vision_cache"),
               {"iterations=1", "vision_base_url=" + server.url(), "vision_model=fake-vision"}));
  ASSERT_EQ(run.code, 0) << run.output;
  int vision_requests = 0;
  std::string meta_prompt;
  for (const auto& r : server.requests()) {
    const auto body = Json::parse(r.body);
    const auto& content = body.at("messages")[0].at("content");
    if (content.is_array()) {  // a vision request: the question, then the image as a PNG data URL
      ++vision_requests;
      EXPECT_EQ(body.at("model"), "fake-vision");
      EXPECT_EQ(content[0].at("type"), "text");
      EXPECT_EQ(content[1]
                    .at("image_url")
                    .at("url")
                    .get<std::string>()
                    .rfind("data:image/png;base64,iVBORw0KGgo", 0),
                0u);
    } else {
      meta_prompt = content.get<std::string>();
    }
  }
  EXPECT_EQ(vision_requests, 40);  // 4 shots x 10 classes, one description each
  EXPECT_NE(meta_prompt.find("Image_1: a shape with straight edges\nImage_2:"), std::string::npos)
      << meta_prompt;
  EXPECT_NE(meta_prompt.find("Image_40: "), std::string::npos);
  const auto result = result_of(out);
  EXPECT_EQ(result.at("descriptions"), 40);
  EXPECT_EQ(result.at("vision").at("requests"), 40);
  EXPECT_EQ(result.at("llm").at("requests"), 8);  // the optimizer's requests are counted apart
}

TEST_F(LlmMethods, AnEndpointThatStaysDownFailsTheTrialAndALaterRunContinuesIt) {
  const auto cache = fresh_dir("down_cache");
  const auto out = fresh_dir("down");
  const std::string down =
      "http://127.0.0.1:" + std::to_string(FakeOpenAiServer::unused_port()) + "/v1";
  ::setenv("BBPT_LLM_BASE_URL", down.c_str(), 1);
  const auto failed =
      run_to_end(run_args("glov", out, cache, {"iterations=2", "llm_max_attempts=2"}));
  EXPECT_EQ(failed.code, 1) << failed.output;
  EXPECT_NE(failed.output.find(down), std::string::npos) << failed.output;
  EXPECT_NE(failed.output.find("2 attempts"), std::string::npos) << failed.output;
  EXPECT_FALSE(fs::exists(out + "/result.json"));
  EXPECT_TRUE(fs::exists(out + "/checkpoint.bin"));  // step 1 (the initial prompt) needs no LLM

  FakeOpenAiServer server;
  use(server);
  answer_well(server);
  const auto resumed =
      run_to_end(run_args("glov", out, cache, {"iterations=2", "llm_max_attempts=2"}));
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming"), std::string::npos) << resumed.output;
  const auto result = result_of(out);
  EXPECT_EQ(result.at("candidates_evaluated"), 21);
  EXPECT_EQ(result.at("llm").at("requests"), 20);
  EXPECT_EQ(metrics_of(out).size(), 3u);
}

/// mpirun -np N, with Open MPI's flags for root and for more ranks than cores.
std::vector<std::string> mpirun(int ranks) {
  std::vector<std::string> args = {BBPT_MPIEXEC};
  const auto version = run_to_end({BBPT_MPIEXEC, "--version"}).output;
  if (version.find("Open MPI") != std::string::npos ||
      version.find("OpenRTE") != std::string::npos) {
    args.insert(args.end(), {"--allow-run-as-root", "--oversubscribe"});
  }
  args.insert(args.end(), {"-np", std::to_string(ranks)});
  return args;
}

TEST_F(LlmMethods, TwoRanksScoreTheCandidatesAndGiveTheResultOfOne) {
  FakeOpenAiServer server;
  use(server);
  answer_well(server);
  const auto cache = fresh_dir("ranks_cache");
  const auto one = fresh_dir("ranks_one");
  const auto single = run_to_end(run_args("glov", one, cache, {"iterations=2"}));
  ASSERT_EQ(single.code, 0) << single.output;
  const size_t calls = server.request_count();

  // Rank 0 asks (the cache answers: the same questions), both ranks score the candidates.
  const auto two = fresh_dir("ranks_two");
  auto args = mpirun(2);
  const auto run = run_args("glov", two, cache, {"iterations=2"});
  args.insert(args.end(), run.begin(), run.end());
  const auto distributed = run_to_end(args);
  ASSERT_EQ(distributed.code, 0) << distributed.output;
  EXPECT_EQ(server.request_count(), calls);
  auto a = result_of(one), b = result_of(two);
  for (auto* r : {&a, &b}) {
    r->erase("wall_time_s");
    r->erase("llm");
  }
  EXPECT_EQ(a, b);
  auto ma = metrics_of(one), mb = metrics_of(two);
  ASSERT_EQ(ma.size(), mb.size());
  for (size_t i = 0; i < ma.size(); ++i) {
    ma[i].erase("llm");
    mb[i].erase("llm");
    EXPECT_EQ(ma[i], mb[i]) << "step " << i + 1;
  }
}

}  // namespace
