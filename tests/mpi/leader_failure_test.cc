// SPDX-License-Identifier: MIT
// A group's leader that fails in the middle of a distributed trial (`mpirun -np 2 bbpt run`),
// one case per place where the leader alone runs a method's own work between steps:
//  - CMA-ES (BPT-VLM): tell() refuses a NaN loss (a step size of 1e300 sends the prompt to
//    infinity in the first generation);
//  - BAR's gradient estimator: tell() refuses a NaN loss (a checkpoint whose logit scale is NaN:
//    BAR's frame program is bounded, so no setting makes its loss NaN on a sound model);
//  - an LLM method's proposal step (LLM-OPT): the endpoint answers the first request and then
//    refuses every other one with HTTP 400, so rank 0 fails while it asks for step 3's templates.
// (SPSA's tell() is covered by distributed_run_test.) In each case every rank ends at once with
// the reason and exit 1, not after the communication timeout, and no result is written.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "bbpt/model/checkpoint.h"
#include "fake_openai_server.h"
#include "mpirun.h"
#include "run_fixture.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using bbpt::testing::FakeOpenAiServer;
using bbpt::testing::FakeReply;
using bbpt::testing::FakeRequest;

std::string fresh_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("bbpt_leader_failure_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

/// `mpirun -np 2 bbpt run` of `method` on fmnist, 4 shots, with a 300 s communication timeout: a
/// helper that waited for it would make the run take far longer than the limit the tests check.
std::vector<std::string> distributed_run(const std::string& method,
                                         const std::string& model,
                                         const std::string& out,
                                         const std::vector<std::string>& sets) {
  auto args = bbpt::testing::mpirun(2);
  const std::vector<std::string> run = {BBPT_EXECUTABLE,
                                        "--threads",
                                        "1",
                                        "--cache-dir",
                                        out + "_cache",
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
                                        model,
                                        "--out",
                                        out,
                                        "--progress-every",
                                        "0",
                                        "--comm-timeout",
                                        "300"};
  args.insert(args.end(), run.begin(), run.end());
  for (const auto& s : sets) args.insert(args.end(), {"--set", s});
  return args;
}

/// Runs the command; fails the test unless it exits 1 well within the communication timeout,
/// without a rank reporting that it waited for another. Returns the output.
std::string expect_every_rank_ends_at_once(const std::vector<std::string>& args,
                                           const std::string& out) {
  const auto start = Clock::now();
  const auto run = bbpt::testing::run_to_end(args);
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  std::cout << "the job ended after " << took << " s, exit " << run.code << "\n";
  EXPECT_EQ(run.code, 1) << run.output;
  EXPECT_LT(took, 200.0) << "a helper waited for the communication timeout: " << run.output;
  EXPECT_EQ(run.output.find("no answer within"), std::string::npos) << run.output;
  EXPECT_FALSE(fs::exists(out + "/result.json"));
  return run.output;
}

class LeaderFailure : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!bbpt::testing::run_fixture_ready(&why)) GTEST_SKIP() << why;
  }
};

TEST_F(LeaderFailure, CmaEsTellOnANanLossEndsEveryRankWithTheReason) {
  const auto out = fresh_dir("cmaes") + "/run";
  const auto output = expect_every_rank_ends_at_once(
      distributed_run("bptvlm", bbpt::testing::kGoldenModel, out,
                      {"budget=400", "eval_every=0", "sigma0=1e300"}),
      out);
  EXPECT_NE(output.find("bptvlm: the training loss became non-finite in step 1"), std::string::npos)
      << output;
  EXPECT_NE(output.find("cma-es: the loss of query"), std::string::npos) << output;
}

TEST_F(LeaderFailure, BarEstimatorTellOnANanLossEndsEveryRankWithTheReason) {
  const auto root = fresh_dir("bar");
  // The golden model with a NaN logit scale: every logit, so every loss, is NaN.
  const auto model_path = root + "/nan_scale.pt";
  {
    auto model = bbpt::model::load_clip(bbpt::testing::kGoldenModel);
    torch::NoGradGuard no_grad;
    model->logit_scale.fill_(std::numeric_limits<float>::quiet_NaN());
    bbpt::model::save_state_dict(model, model_path);
  }
  const auto out = root + "/run";
  const auto output = expect_every_rank_ends_at_once(
      distributed_run("bar", model_path, out, {"budget=60", "eval_every=0"}), out);
  EXPECT_NE(output.find("bar: the training loss became non-finite in step 1"), std::string::npos)
      << output;
}

TEST_F(LeaderFailure, AnLlmProposalThatFailsEndsEveryRankWithTheReason) {
  FakeOpenAiServer server;
  auto answered = std::make_shared<std::atomic<int>>(0);
  server.set_responder([answered](const FakeRequest&) {
    if ((*answered)++ == 0) return FakeOpenAiServer::ok({"- a photo of a {}, a new template."});
    return FakeReply{400, "{\"error\": {\"message\": \"context length exceeded\"}}", {}, 0, false};
  });
  ::setenv("BBPT_LLM_BASE_URL", server.url().c_str(), 1);
  ::unsetenv("OPENAI_API_KEY");
  const auto out = fresh_dir("llm") + "/run";
  const auto output = expect_every_rank_ends_at_once(
      distributed_run("llm-opt", bbpt::testing::kGoldenModel, out,
                      {"iterations=3", "llm_model=fake-model", "llm_backoff_s=0.01"}),
      out);
  EXPECT_NE(output.find("400"), std::string::npos) << output;
  EXPECT_NE(output.find("context length exceeded"), std::string::npos) << output;
  EXPECT_EQ(server.request_count(), 2u) << "a 400 is not retried";
  EXPECT_TRUE(fs::exists(out + "/checkpoint.bin")) << "the steps before the failure are kept";
}

}  // namespace
