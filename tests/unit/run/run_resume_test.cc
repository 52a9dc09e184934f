// SPDX-License-Identifier: MIT
// `bbpt run` as a user runs it, on the golden tiny CLIP (OpenAI layout) and Fashion-MNIST: every
// method finishes with exact query accounting; a run killed (SIGKILL) at a random step and resumed
// ends with the same result.json (every field but wall_time_s) and the same metrics.jsonl, byte
// for byte, as an uninterrupted run; a finished directory is not run again; config errors name the
// key; SIGTERM, SIGINT and SIGUSR2 checkpoint the run and exit 75, and the same command continues
// it bit for bit; a loss that becomes NaN fails the run (exit 1) naming the step and what to check.
// Skips when the fixture or the prepared dataset is missing.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "bbpt/core/file_io.h"
#include "run_fixture.h"

namespace {
namespace fs = std::filesystem;
using bbpt::testing::count_lines;
using bbpt::testing::result_without_time;
using bbpt::testing::run_to_end;
const std::string& kModel = bbpt::testing::kGoldenModel;
const std::string& kConfigs = bbpt::testing::kMethodConfigs;

bool ready(std::string* why) { return bbpt::testing::run_fixture_ready(why); }

std::vector<std::string> run_args(const std::string& method,
                                  const std::string& out,
                                  const std::vector<std::string>& sets) {
  std::vector<std::string> args = {
      BBPT_EXECUTABLE, "run",    "--config",         kConfigs + method + ".yaml",
      "--dataset",     "fmnist", "--seed",           "2",
      "--shots",       "4",      "--model",          kModel,
      "--out",         out,      "--progress-every", "0"};
  for (const auto& s : sets) {
    args.push_back("--set");
    args.push_back(s);
  }
  return args;
}

std::string fresh_dir(const std::string& name) {
  const auto dir = (fs::temp_directory_path() / ("bbpt_run_resume_test_" + name)).string();
  fs::remove_all(dir);
  return dir;
}

class RunResume
    : public ::testing::TestWithParam<std::tuple<std::string, int64_t, std::vector<std::string>>> {
};

TEST_P(RunResume, KilledAtARandomStepAndResumedEqualsUninterrupted) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  const auto& [method, steps, sets_in] = GetParam();
  auto sets = sets_in;
  sets.push_back("checkpoint_every=1");
  sets.push_back("eval_every=40");
  sets.push_back("eval_subset=200");

  const auto reference = fresh_dir(method + "_reference");
  const auto uninterrupted = run_to_end(run_args(method, reference, sets));
  ASSERT_EQ(uninterrupted.code, 0) << uninterrupted.output;
  ASSERT_EQ(count_lines(reference + "/metrics.jsonl"), steps) << "steps of the known schedule";

  const auto killed = fresh_dir(method + "_killed");
  std::random_device device;
  const int64_t kill_at = 1 + static_cast<int64_t>(device() % static_cast<unsigned>(steps - 2));
  const pid_t pid = bbpt::testing::spawn_quiet(run_args(method, killed, sets));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  while (count_lines(killed + "/metrics.jsonl") < kill_at &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  const bool finished_before_kill = fs::exists(killed + "/result.json");
  std::cout << method << ": killed after " << count_lines(killed + "/metrics.jsonl") << " of "
            << steps << " metrics lines (target " << kill_at << ")"
            << (finished_before_kill ? ", too late" : "") << "\n";
  ASSERT_FALSE(finished_before_kill)
      << "the run ended before the kill; the test could not interrupt it";

  const auto resumed = run_to_end(run_args(method, killed, sets));
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_EQ(result_without_time(killed), result_without_time(reference));
  EXPECT_EQ(bbpt::core::read_file(killed + "/metrics.jsonl"),
            bbpt::core::read_file(reference + "/metrics.jsonl"));
  EXPECT_EQ(bbpt::core::read_file(killed + "/config.json"),
            bbpt::core::read_file(reference + "/config.json"));
  EXPECT_EQ(bbpt::core::read_file(killed + "/few_shot.json"),
            bbpt::core::read_file(reference + "/few_shot.json"));

  // A finished directory is not run again.
  const auto again = run_to_end(run_args(method, killed, sets));
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.output.find("already finished"), std::string::npos) << again.output;
}

// (method, metrics lines = steps, overrides). Query accounting (algorithms.md 2.6): ZIP and SPSA-GC
// 10 per step; BAR 6 per step (a step crossing the budget completes: 100 -> 17 steps, 102 queries);
// BPT-VLM: 40 shots-4 images = 1 batch, 1 query per candidate, 15 per generation; CoOp by epochs.
INSTANTIATE_TEST_SUITE_P(
    Methods,
    RunResume,
    ::testing::Values(
        std::make_tuple("zip", 20, std::vector<std::string>{"budget=200"}),
        std::make_tuple("spsa-gc", 15, std::vector<std::string>{"budget=150"}),
        std::make_tuple("bar", 17, std::vector<std::string>{"budget=100"}),
        std::make_tuple("bptvlm",
                        10,
                        std::vector<std::string>{"budget=150", "text_dim=200", "visual_dim=200"}),
        std::make_tuple("coop", 24, std::vector<std::string>{"max_epoch=12", "batch_size=16"})),
    [](const auto& info) {
      std::string name = std::get<0>(info.param);
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

TEST(Run, QueryAccountingInResult) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  const auto dir = fresh_dir("accounting");
  const auto r = run_to_end(run_args("bar", dir, {"budget=100", "eval_every=0"}));
  ASSERT_EQ(r.code, 0) << r.output;
  const auto result = nlohmann::json::parse(bbpt::core::read_file(dir + "/result.json"));
  EXPECT_EQ(result["queries_used"], 102);  // 17 steps x (1 + q); the crossing step completes
  EXPECT_EQ(result["steps"], 17);
  EXPECT_EQ(result["method"], "bar");
  for (const char* key : {"dataset", "seed", "shots", "train_loss", "test_acc", "wall_time_s",
                          "learned_prompt_sha256"}) {
    EXPECT_TRUE(result.contains(key)) << key;
  }
}

TEST(Run, SecondProcessOnTheSameDirectoryIsRefused) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  const auto dir = fresh_dir("locked");
  const auto args = run_args("zip", dir, {"budget=100000", "eval_every=0"});
  const pid_t first = bbpt::testing::spawn_quiet(args);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (count_lines(dir + "/metrics.jsonl") < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto second = run_to_end(args);
  kill(first, SIGKILL);
  int status = 0;
  waitpid(first, &status, 0);
  EXPECT_EQ(second.code, 2) << second.output;
  EXPECT_NE(second.output.find("being run by another process"), std::string::npos) << second.output;
  // The lock dies with its holder. A short budget either starts over (no checkpoint yet: exit 0) or
  // is refused as another configuration (exit 2); either way not because of the lock.
  const auto after = run_to_end(run_args("zip", dir, {"budget=20", "eval_every=0"}));
  EXPECT_TRUE(after.code == 0 || after.code == 2) << after.output;
  EXPECT_EQ(after.output.find("being run by another process"), std::string::npos) << after.output;
}

TEST(Run, ConfigErrorsNameTheKeyAndWriteNothing) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  const auto dir = fresh_dir("bad_key");
  const auto r = run_to_end(run_args("zip", dir, {"rnak=3"}));
  EXPECT_EQ(r.code, 2) << r.output;  // configuration errors exit 2
  EXPECT_EQ(r.output.rfind("bbpt: error: ", 0), 0u) << r.output;
  EXPECT_NE(r.output.find("rnak"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir + "/metrics.jsonl"));
  const auto bad_type = run_to_end(run_args("zip", fresh_dir("bad_type"), {"budget=many"}));
  EXPECT_EQ(bad_type.code, 2);
  EXPECT_NE(bad_type.output.find("budget"), std::string::npos) << bad_type.output;
}

/// Waits (up to 3 minutes) until DIR/metrics.jsonl has `lines` lines.
void wait_for_lines(const std::string& dir, int64_t lines) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  while (count_lines(dir + "/metrics.jsonl") < lines &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

TEST(Run, ASignalCheckpointsExits75AndTheSameCommandContinuesBitForBit) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  // No periodic checkpoint within the budget: the checkpoint the resume starts from is the stop's.
  const std::vector<std::string> sets = {"budget=1000", "eval_every=0", "checkpoint_every=100000"};
  const auto reference = fresh_dir("signal_reference");
  ASSERT_EQ(run_to_end(run_args("zip", reference, sets)).code, 0);
  for (const int signal : {SIGTERM, SIGINT, SIGUSR2}) {
    const auto dir = fresh_dir("signal_" + std::to_string(signal));
    const pid_t pid = bbpt::testing::spawn_quiet(run_args("zip", dir, sets));
    wait_for_lines(dir, 3);
    ASSERT_EQ(kill(pid, signal), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status))
        << "signal " << signal << " killed the run instead of stopping it";
    EXPECT_EQ(WEXITSTATUS(status), 75) << "signal " << signal;
    ASSERT_FALSE(fs::exists(dir + "/result.json"))
        << "finished before the signal; the test could not interrupt it";
    ASSERT_TRUE(fs::exists(dir + "/checkpoint.bin")) << "signal " << signal;
    const int64_t lines_at_stop = count_lines(dir + "/metrics.jsonl");
    const auto resumed = run_to_end(run_args("zip", dir, sets));
    ASSERT_EQ(resumed.code, 0) << resumed.output;
    EXPECT_NE(resumed.output.find("resumed from step " + std::to_string(lines_at_stop)),
              std::string::npos)
        << resumed.output;
    EXPECT_EQ(result_without_time(dir), result_without_time(reference)) << "signal " << signal;
    EXPECT_EQ(bbpt::core::read_file(dir + "/metrics.jsonl"),
              bbpt::core::read_file(reference + "/metrics.jsonl"))
        << "signal " << signal;
  }
}

TEST(Run, ALossThatBecomesNaNFailsTheRunNamingTheStepAndWhatToCheck) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  const auto dir = fresh_dir("nan");
  // A step size of 1e300 sends the prompt to infinity after the first step.
  const auto r = run_to_end(run_args("zip", dir, {"budget=200", "eval_every=0", "spsa_a=1e300"}));
  EXPECT_EQ(r.code, 1) << r.output;  // a failed run, not a configuration error
  const auto last_line = r.output.substr(r.output.rfind("bbpt: error: "));
  EXPECT_EQ(std::count(last_line.begin(), last_line.end(), '\n'), 1) << last_line;
  EXPECT_NE(last_line.find("zip: the training loss became non-finite in step "), std::string::npos)
      << last_line;
  EXPECT_NE(last_line.find("init_std"), std::string::npos) << last_line;
  EXPECT_NE(last_line.find("configs/methods/zip.yaml"), std::string::npos) << last_line;
  // What the steps before wrote is kept; nothing claims the run finished.
  EXPECT_TRUE(fs::exists(dir + "/config.json"));
  EXPECT_FALSE(fs::exists(dir + "/result.json"));
  const auto step = std::stoll(last_line.substr(last_line.find("in step ") + 8));
  EXPECT_EQ(count_lines(dir + "/metrics.jsonl"), step - 1);
}

}  // namespace
