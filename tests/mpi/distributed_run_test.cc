// SPDX-License-Identifier: MIT
// `mpirun -np N bbpt run` as a user runs it, on the golden tiny CLIP and Fashion-MNIST:
//  - ZIP, SPSA-GC, BPT-VLM and BAR give the same result.json (all but wall_time_s) and the same
//    metrics.jsonl, byte for byte, at 1, 2 and 3 ranks as a plain `bbpt run` (all at --threads 1:
//    bits depend on the per-rank BLAS thread count, not on the rank count);
//  - a worker killed with SIGKILL mid-run ends the job in bounded time, and rerunning the same
//    command resumes from the checkpoint to the uninterrupted result;
//  - a worker that stops answering (SIGSTOP) ends the job after --comm-timeout with a message that
//    says so (30 s here: rank 1 also waits that long for rank 0's set-up, on a loaded CI machine);
//  - a leader that fails in the middle of a trial (its loss became NaN) ends every rank at once
//    with the reason; SIGUSR2 to mpirun checkpoints the trial and exits 75, and the same command
//    continues it bit for bit;
//  - packed mode (`mpirun bbpt pack`): a failing trial is recorded with its reason while the others
//    finish; a trial that fails in its middle, in a group of 2 ranks, is recorded and the group
//    takes the next trial at once, and a group whose last trial fails in its middle ends the job
//    at once (neither waits for the communication timeout); a killed worker ends the job, and the
//    same command then runs only what is left.
// Skips when the fixture or the prepared dataset is missing.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bbpt/core/file_io.h"
#include "mpirun.h"
#include "run_fixture.h"

namespace {
namespace fs = std::filesystem;
using bbpt::testing::count_lines;
using bbpt::testing::mpirun;
using bbpt::testing::result_without_time;
// Spelled as sweep planning spells a model (absolute, no "..": bbpt pack's trials record it so),
// so that a packed trial's config.json can equal a `bbpt run`'s byte for byte.
const std::string kModel = fs::path(bbpt::testing::kGoldenModel).lexically_normal().string();
const std::string& kConfigs = bbpt::testing::kMethodConfigs;

bool ready(std::string* why) { return bbpt::testing::run_fixture_ready(why); }
using Clock = std::chrono::steady_clock;

/// `bbpt run` of `method` on fmnist, 4 shots, at --threads 1 (seed 2 unless given).
std::vector<std::string> bbpt_run(const std::string& method,
                                  const std::string& out,
                                  const std::vector<std::string>& sets,
                                  const std::vector<std::string>& extra = {},
                                  int seed = 2) {
  std::vector<std::string> args = {BBPT_EXECUTABLE,
                                   "--threads",
                                   "1",
                                   "run",
                                   "--config",
                                   kConfigs + method + ".yaml",
                                   "--dataset",
                                   "fmnist",
                                   "--seed",
                                   std::to_string(seed),
                                   "--shots",
                                   "4",
                                   "--model",
                                   kModel,
                                   "--out",
                                   out,
                                   "--progress-every",
                                   "0"};
  for (const auto& s : sets) args.insert(args.end(), {"--set", s});
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// Starts `args` with stdout and stderr to `log` and BBPT_TEST_MARK=mark in its environment (and
/// so in every rank mpirun starts), returns its pid.
pid_t spawn(const std::vector<std::string>& args, const std::string& log, const std::string& mark) {
  const pid_t pid = fork();
  if (pid == 0) {
    setenv("BBPT_TEST_MARK", mark.c_str(), 1);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    freopen(log.c_str(), "w", stdout);
    dup2(fileno(stdout), fileno(stderr));
    execvp(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

/// Waits up to `limit` for pid; its exit status (128 + signal when killed), or nullopt on timeout.
std::optional<int> wait_for(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

int run_to_end(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = spawn(args, log, "none");
  return wait_for(pid, std::chrono::seconds(600)).value_or(-1);
}

/// The pid of the rank that mpirun started with BBPT_TEST_MARK=mark and OMPI_COMM_WORLD_RANK=rank.
std::optional<pid_t> find_rank(const std::string& mark, int rank) {
  DIR* proc = opendir("/proc");
  std::optional<pid_t> found;
  while (dirent* entry = readdir(proc)) {
    const std::string name = entry->d_name;
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::ifstream in("/proc/" + name + "/environ", std::ios::binary);
    const std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto has = [&](const std::string& var) {
      return env.find(std::string(1, '\0') + var + '\0') != std::string::npos ||
             env.rfind(var + '\0', 0) == 0;
    };
    if (has("BBPT_TEST_MARK=" + mark) && has("OMPI_COMM_WORLD_RANK=" + std::to_string(rank))) {
      found = static_cast<pid_t>(std::stol(name));
      break;
    }
  }
  closedir(proc);
  return found;
}

std::string fresh_dir(const std::string& name) {
  const auto dir = (fs::temp_directory_path() / ("bbpt_distributed_run_test_" + name)).string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void expect_same_run(const std::string& dir,
                     const std::string& reference,
                     const std::string& what) {
  EXPECT_EQ(result_without_time(dir), result_without_time(reference)) << what;
  EXPECT_EQ(bbpt::core::read_file(dir + "/metrics.jsonl"),
            bbpt::core::read_file(reference + "/metrics.jsonl"))
      << what;
  EXPECT_EQ(bbpt::core::read_file(dir + "/config.json"),
            bbpt::core::read_file(reference + "/config.json"))
      << what;
  EXPECT_EQ(bbpt::core::read_file(dir + "/few_shot.json"),
            bbpt::core::read_file(reference + "/few_shot.json"))
      << what;
}

class SameResultForAnyRankCount
    : public ::testing::TestWithParam<std::tuple<std::string, std::vector<std::string>>> {};

TEST_P(SameResultForAnyRankCount, OneTwoThreeRanksEqualOneProcess) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  const auto& [method, sets_in] = GetParam();
  auto sets = sets_in;
  sets.insert(sets.end(), {"eval_every=30", "eval_subset=100", "checkpoint_every=3"});
  const auto root = fresh_dir(method);
  const auto reference = root + "/local";
  ASSERT_EQ(run_to_end(bbpt_run(method, reference, sets), root + "/local.log"), 0)
      << bbpt::core::read_file(root + "/local.log");
  for (int ranks : {1, 2, 3}) {
    const auto dir = root + "/np" + std::to_string(ranks);
    const auto log = dir + ".log";
    ASSERT_EQ(run_to_end(concat(mpirun(ranks), bbpt_run(method, dir, sets)), log), 0)
        << bbpt::core::read_file(log);
    expect_same_run(dir, reference, method + " at " + std::to_string(ranks) + " ranks");
  }
}

// Budgets: a few steps each; BPT-VLM with small subspaces (15 candidates per generation).
INSTANTIATE_TEST_SUITE_P(
    Methods,
    SameResultForAnyRankCount,
    ::testing::Values(std::make_tuple("zip", std::vector<std::string>{"budget=100"}),
                      std::make_tuple("spsa-gc", std::vector<std::string>{"budget=60"}),
                      std::make_tuple("bptvlm",
                                      std::vector<std::string>{"budget=60", "text_dim=200",
                                                               "visual_dim=200"}),
                      std::make_tuple("bar", std::vector<std::string>{"budget=48"})),
    [](const auto& info) {
      std::string name = std::get<0>(info.param);
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

std::string random_mark() {
  std::random_device device;
  return std::to_string(device()) + std::to_string(getpid());
}

/// Starts a 2-rank ZIP run, waits for `lines` metrics lines, and returns (mpirun pid, rank 1 pid).
std::pair<pid_t, pid_t> start_two_rank_run(const std::string& dir,
                                           const std::vector<std::string>& sets,
                                           const std::vector<std::string>& extra,
                                           const std::string& log,
                                           int64_t lines) {
  const auto mark = random_mark();
  const pid_t job = spawn(concat(mpirun(2), bbpt_run("zip", dir, sets, extra)), log, mark);
  const auto deadline = Clock::now() + std::chrono::minutes(3);
  while (count_lines(dir + "/metrics.jsonl") < lines && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const auto worker = find_rank(mark, 1);
  EXPECT_TRUE(worker.has_value()) << "rank 1 of the job not found in /proc";
  return {job, worker.value_or(-1)};
}

TEST(DistributedRun, AKilledWorkerEndsTheJobAndTheSameCommandFinishesIt) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  const std::vector<std::string> sets = {"budget=1500", "eval_every=0", "checkpoint_every=5"};
  const auto root = fresh_dir("killed");
  const auto reference = root + "/local";
  ASSERT_EQ(run_to_end(bbpt_run("zip", reference, sets), root + "/local.log"), 0);

  const auto dir = root + "/job";
  const auto [job, worker] = start_two_rank_run(dir, sets, {}, root + "/killed.log", 20);
  ASSERT_GT(worker, 0);
  ASSERT_EQ(kill(worker, SIGKILL), 0);
  const auto start = Clock::now();
  const auto code = wait_for(job, std::chrono::seconds(60));
  if (!code) kill(job, SIGKILL);
  ASSERT_TRUE(code.has_value()) << "the job did not end within 60 s of its worker's death";
  std::cout << "job ended " << std::chrono::duration<double>(Clock::now() - start).count()
            << " s after the kill, exit " << *code << ", after "
            << count_lines(dir + "/metrics.jsonl") << " of 150 steps\n";
  EXPECT_NE(*code, 0);
  const auto log = bbpt::core::read_file(root + "/killed.log");
  EXPECT_NE(log.find("signal 9"), std::string::npos) << log;
  ASSERT_FALSE(fs::exists(dir + "/result.json"))
      << "finished before the kill; the test could not interrupt it";

  // The same command again continues from the last checkpoint to the uninterrupted result.
  ASSERT_EQ(run_to_end(concat(mpirun(2), bbpt_run("zip", dir, sets)), root + "/rerun.log"), 0)
      << bbpt::core::read_file(root + "/rerun.log");
  EXPECT_NE(bbpt::core::read_file(root + "/rerun.log").find("resumed from step"),
            std::string::npos);
  expect_same_run(dir, reference, "killed and rerun at 2 ranks");
}

TEST(DistributedRun, AStuckWorkerEndsTheJobAfterTheTimeout) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  const auto root = fresh_dir("stuck");
  const auto dir = root + "/job";
  const auto [job, worker] = start_two_rank_run(dir, {"budget=100000", "eval_every=0"},
                                                {"--comm-timeout", "30"}, root + "/stuck.log", 5);
  ASSERT_GT(worker, 0);
  ASSERT_EQ(kill(worker, SIGSTOP), 0);
  const auto start = Clock::now();
  const auto code = wait_for(job, std::chrono::seconds(120));
  const double waited = std::chrono::duration<double>(Clock::now() - start).count();
  kill(worker, SIGKILL);  // in case mpirun left the stopped process behind
  if (!code) kill(job, SIGKILL);
  ASSERT_TRUE(code.has_value()) << "the job did not end within 120 s of its worker stopping";
  std::cout << "job ended " << waited << " s after the worker stopped, exit " << *code << "\n";
  EXPECT_NE(*code, 0);
  EXPECT_GE(waited, 29.0);
  const auto log = bbpt::core::read_file(root + "/stuck.log");
  EXPECT_NE(log.find("no answer within 30 s"), std::string::npos) << log;
}

TEST(DistributedRun, ALeaderFailureInTheMiddleOfATrialEndsEveryRankAtOnceWithTheReason) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  const auto root = fresh_dir("leader_fails");
  const auto dir = root + "/job";
  const auto start = Clock::now();
  const int code = run_to_end(
      concat(mpirun(2), bbpt_run("zip", dir, {"budget=400", "eval_every=0", "spsa_a=1e300"},
                                 {"--comm-timeout", "300"})),
      root + "/job.log");
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  std::cout << "the job ended after " << took << " s, exit " << code << "\n";
  const auto log = bbpt::core::read_file(root + "/job.log");
  EXPECT_EQ(code, 1) << log;
  EXPECT_NE(log.find("the training loss became non-finite in step"), std::string::npos) << log;
  EXPECT_EQ(log.find("no answer within"), std::string::npos) << log;
  EXPECT_LT(took, 200.0) << "the helper waited for the communication timeout";
  EXPECT_FALSE(fs::exists(dir + "/result.json"));
}

TEST(DistributedRun, Usr2CheckpointsEveryRankExits75AndTheSameCommandFinishesIt) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  const std::vector<std::string> sets = {"budget=1500", "eval_every=0", "checkpoint_every=100000"};
  const auto root = fresh_dir("usr2");
  const auto reference = root + "/local";
  ASSERT_EQ(run_to_end(bbpt_run("zip", reference, sets), root + "/local.log"), 0);
  const auto dir = root + "/job";
  const auto [job, worker] = start_two_rank_run(dir, sets, {}, root + "/stopped.log", 10);
  ASSERT_GT(worker, 0);
  ASSERT_EQ(kill(job, SIGUSR2),
            0);  // mpirun passes USR2 on to every rank (Slurm's --signal=USR2@...)
  const auto code = wait_for(job, std::chrono::seconds(120));
  if (!code) kill(job, SIGKILL);
  ASSERT_TRUE(code.has_value()) << "the job did not end within 120 s of SIGUSR2";
  const auto log = bbpt::core::read_file(root + "/stopped.log");
  EXPECT_EQ(*code, 75) << log;
  ASSERT_FALSE(fs::exists(dir + "/result.json"))
      << "finished before the signal; the test could not interrupt it";
  EXPECT_NE(log.find("checkpointed; run the same command to continue"), std::string::npos) << log;
  ASSERT_EQ(run_to_end(concat(mpirun(2), bbpt_run("zip", dir, sets)), root + "/rerun.log"), 0)
      << bbpt::core::read_file(root + "/rerun.log");
  EXPECT_NE(bbpt::core::read_file(root + "/rerun.log").find("resumed from step"),
            std::string::npos);
  expect_same_run(dir, reference, "stopped by SIGUSR2 and rerun at 2 ranks");
}

namespace packed {

std::string trial_line(const std::string& id,
                       const std::string& method,
                       const std::string& dataset,
                       int seed,
                       const std::string& budget) {
  return "{\"id\": \"" + id + "\", \"config\": \"" + kConfigs + method +
         ".yaml\", \"dataset\": \"" + dataset + "\", \"seed\": " + std::to_string(seed) +
         ", \"shots\": 4, \"set\": [\"budget=" + budget +
         "\", \"eval_every=0\", \"checkpoint_every=5\"]}\n";
}

/// A ZIP trial whose step size sends the prompt to infinity: its loss becomes NaN in step 2.
std::string diverging_trial_line(const std::string& id) {
  return "{\"id\": \"" + id + "\", \"config\": \"" + kConfigs +
         "zip.yaml\", \"dataset\": \"fmnist\", \"seed\": 3, \"shots\": 4, \"set\": "
         "[\"budget=400\", "
         "\"eval_every=0\", \"spsa_a=1e300\"]}\n";
}

std::vector<std::string> pack(const std::string& trials, const std::string& out) {
  return {BBPT_EXECUTABLE, "--threads", "1", "pack",    "--trials",
          trials,          "--out",     out, "--model", kModel};
}

/// results.jsonl (the store's view, merged at the end of a run) as id -> status; fails the test on
/// a duplicate id.
std::map<std::string, std::string> statuses(const std::string& out) {
  std::map<std::string, std::string> by_id;
  std::ifstream in(out + "/results.jsonl");
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_TRUE(by_id.emplace(j["id"], j["status"]).second) << "recorded twice: " << j["id"];
  }
  return by_id;
}

/// The trials of `out` with a result.json (the store's truth, also while a job runs).
std::vector<std::string> finished_trials(const std::string& out) {
  std::vector<std::string> ids;
  if (!fs::is_directory(out + "/trials")) return ids;
  for (const auto& d : fs::directory_iterator(out + "/trials")) {
    if (fs::exists(d.path() / "result.json")) ids.push_back(d.path().filename().string());
  }
  return ids;
}

/// `mpirun -np 3 bbpt pack --ranks-per-trial 2 --comm-timeout 300` (one group of 2 ranks): its exit
/// code, how long it took (s) and its output.
struct TimedRun {
  int code;
  double took_s;
  std::string log;
};
TimedRun pack_in_groups_of_two(const std::string& trials, const std::string& out) {
  auto args = concat(mpirun(3), pack(trials, out));
  args.insert(args.end(), {"--ranks-per-trial", "2", "--comm-timeout", "300"});
  const auto start = Clock::now();
  const int code = run_to_end(args, out + ".log");
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  std::cout << "the job ended after " << took << " s, exit " << code << "\n";
  return {code, took, bbpt::core::read_file(out + ".log")};
}

TEST(PackedMode, AFailingTrialIsRecordedWithItsReasonAndTheOthersFinish) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  const auto root = fresh_dir("packed_failing");
  const auto trials = root + "/trials.jsonl";
  std::ofstream(trials) << trial_line("zip-1", "zip", "fmnist", 1, "60")
                        << trial_line("broken", "zip", "nosuch", 1, "60")
                        << trial_line("spsa-gc-2", "spsa-gc", "fmnist", 2, "40");
  for (const int ranks_per_trial : {1, 2}) {
    const auto out = root + "/out" + std::to_string(ranks_per_trial);
    auto args = concat(mpirun(3), pack(trials, out));
    args.insert(args.end(), {"--ranks-per-trial", std::to_string(ranks_per_trial)});
    // Exit 1: a trial failed (recorded; the others finished), as bbpt sweep run says it.
    ASSERT_EQ(run_to_end(args, out + ".log"), 1) << bbpt::core::read_file(out + ".log");
    const auto s = statuses(out);
    EXPECT_EQ(s, (std::map<std::string, std::string>{
                     {"zip-1", "done"}, {"broken", "failed"}, {"spsa-gc-2", "done"}}));
    EXPECT_NE(bbpt::core::read_file(out + "/results.jsonl").find("dataset 'nosuch'"),
              std::string::npos);
  }
  // A packed trial is the trial `bbpt run` makes, whatever the group size.
  const auto single = root + "/single";
  ASSERT_EQ(run_to_end(
                bbpt_run("zip", single, {"budget=60", "eval_every=0", "checkpoint_every=5"}, {}, 1),
                root + "/single.log"),
            0);
  expect_same_run(root + "/out1/trials/zip-1", single, "packed, 1 rank per trial");
  expect_same_run(root + "/out2/trials/zip-1", single, "packed, 2 ranks per trial");
}

TEST(PackedMode, AGroupWhoseLastTrialFailsInItsMiddleEndsTheJobAtOnce) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  const auto root = fresh_dir("packed_last_fails");
  const auto trials = root + "/trials.jsonl";
  std::ofstream(trials) << trial_line("zip-1", "zip", "fmnist", 1, "60")
                        << diverging_trial_line("diverges");
  const auto out = root + "/out";
  const auto [code, took, log] = pack_in_groups_of_two(trials, out);
  EXPECT_EQ(code, 1) << log;  // a trial failed (recorded), the other finished
  EXPECT_LT(took, 200.0) << "a helper waited for the communication timeout: " << log;
  EXPECT_EQ(statuses(out),
            (std::map<std::string, std::string>{{"zip-1", "done"}, {"diverges", "failed"}}));
  EXPECT_NE(bbpt::core::read_file(out + "/results.jsonl")
                .find("the training loss became non-finite in step 2"),
            std::string::npos);
}

// Issue #16's acceptance: in a group of 2 ranks, a trial whose loss turns NaN in its second step
// sits between two sound trials. It is recorded as failed with the reason, the group takes the next
// trial at once (no rank waits for the 300 s communication timeout), and the sound trials equal
// single-process `bbpt run`s.
TEST(PackedMode, ATrialFailingInItsMiddleIsRecordedAndTheGroupGoesOnAtOnce) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  const auto root = fresh_dir("packed_middle_fails");
  const auto trials = root + "/trials.jsonl";
  std::ofstream(trials) << trial_line("zip-1", "zip", "fmnist", 1, "60")
                        << diverging_trial_line("diverges")
                        << trial_line("spsa-gc-2", "spsa-gc", "fmnist", 2, "40");
  const auto out = root + "/out";
  const auto [code, took, log] = pack_in_groups_of_two(trials, out);
  EXPECT_EQ(code, 1) << log;  // a trial failed (recorded), the others finished
  EXPECT_LT(took, 200.0) << "a rank waited for the communication timeout: " << log;
  EXPECT_EQ(statuses(out), (std::map<std::string, std::string>{
                               {"zip-1", "done"}, {"diverges", "failed"}, {"spsa-gc-2", "done"}}));
  EXPECT_NE(bbpt::core::read_file(out + "/trials/diverges/failed.json")
                .find("the training loss became non-finite in step 2"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(out + "/trials/diverges/result.json"));
  const std::vector<std::string> sets = {"eval_every=0", "checkpoint_every=5"};
  const auto zip = root + "/zip";
  const auto spsa = root + "/spsa";
  auto zip_sets = sets;
  zip_sets.push_back("budget=60");
  auto spsa_sets = sets;
  spsa_sets.push_back("budget=40");
  ASSERT_EQ(run_to_end(bbpt_run("zip", zip, zip_sets, {}, 1), root + "/zip.log"), 0);
  ASSERT_EQ(run_to_end(bbpt_run("spsa-gc", spsa, spsa_sets, {}, 2), root + "/spsa.log"), 0);
  expect_same_run(out + "/trials/zip-1", zip, "packed zip-1, before the failing trial");
  expect_same_run(out + "/trials/spsa-gc-2", spsa, "packed spsa-gc-2, after the failing trial");
}

TEST(PackedMode, Usr2CheckpointsTheRunningTrialExits75AndTheSameCommandFinishesIt) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  const auto root = fresh_dir("packed_usr2");
  const auto trials = root + "/trials.jsonl";
  std::ofstream(trials) << trial_line("zip-1", "zip", "fmnist", 1, "1500")
                        << trial_line("zip-2", "zip", "fmnist", 2, "60");
  const auto out = root + "/out";
  const pid_t job =
      spawn(concat(mpirun(2), pack(trials, out)), root + "/stopped.log", random_mark());
  const auto deadline = Clock::now() + std::chrono::minutes(3);
  while (count_lines(out + "/trials/zip-1/metrics.jsonl") < 10 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_EQ(kill(job, SIGUSR2), 0);  // mpirun passes USR2 on to every rank
  const auto code = wait_for(job, std::chrono::seconds(120));
  if (!code) kill(job, SIGKILL);
  ASSERT_TRUE(code.has_value()) << "the job did not end within 120 s of SIGUSR2";
  const auto log = bbpt::core::read_file(root + "/stopped.log");
  EXPECT_EQ(*code, 75) << log;
  ASSERT_FALSE(fs::exists(out + "/trials/zip-1/result.json"))
      << "finished before the signal; the test could not interrupt it";
  EXPECT_TRUE(fs::exists(out + "/trials/zip-1/checkpoint.bin"));
  EXPECT_TRUE(statuses(out).empty()) << "a stopped trial is neither done nor failed";

  ASSERT_EQ(run_to_end(concat(mpirun(2), pack(trials, out)), root + "/rerun.log"), 0)
      << bbpt::core::read_file(root + "/rerun.log");
  EXPECT_EQ(statuses(out),
            (std::map<std::string, std::string>{{"zip-1", "done"}, {"zip-2", "done"}}));
  // The stopped and continued trial is the trial `bbpt run` makes uninterrupted.
  const auto single = root + "/single";
  ASSERT_EQ(run_to_end(bbpt_run("zip", single,
                                {"budget=1500", "eval_every=0", "checkpoint_every=5"}, {}, 1),
                       root + "/single.log"),
            0);
  expect_same_run(out + "/trials/zip-1", single, "packed, stopped by SIGUSR2 and continued");
}

TEST(PackedMode, AKilledWorkerEndsTheJobAndTheSameCommandRunsOnlyWhatIsLeft) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  const auto root = fresh_dir("packed_killed");
  const auto trials = root + "/trials.jsonl";
  {
    std::ofstream list(trials);
    for (int seed = 1; seed <= 6; ++seed)
      list << trial_line("zip-" + std::to_string(seed), "zip", "fmnist", seed, "400");
  }
  const auto out = root + "/out";
  const auto mark = random_mark();
  const pid_t job = spawn(concat(mpirun(3), pack(trials, out)), root + "/killed.log", mark);
  const auto deadline = Clock::now() + std::chrono::minutes(3);
  while (finished_trials(out).size() < 2 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto worker = find_rank(mark, 1);
  ASSERT_TRUE(worker.has_value());
  ASSERT_EQ(kill(*worker, SIGKILL), 0);
  const auto code = wait_for(job, std::chrono::seconds(60));
  if (!code) kill(job, SIGKILL);
  ASSERT_TRUE(code.has_value()) << "the job did not end within 60 s of a worker's death";
  EXPECT_NE(*code, 0);
  const auto before = finished_trials(out);
  std::cout << before.size() << " of 6 trials recorded before the kill\n";
  ASSERT_LT(before.size(), 6u)
      << "all finished before the kill; the test could not interrupt the job";
  std::map<std::string, fs::file_time_type> written;
  for (const auto& id : before)
    written[id] = fs::last_write_time(out + "/trials/" + id + "/result.json");

  ASSERT_EQ(run_to_end(concat(mpirun(3), pack(trials, out)), root + "/rerun.log"), 0)
      << bbpt::core::read_file(root + "/rerun.log");
  const auto after = statuses(out);
  EXPECT_EQ(after.size(), 6u);
  for (const auto& [id, status] : after) EXPECT_EQ(status, "done") << id;
  for (const auto& [id, time] : written) {
    EXPECT_EQ(fs::last_write_time(out + "/trials/" + id + "/result.json"), time)
        << id << " was run again";
  }
}

}  // namespace packed

}  // namespace

// `mpirun bbpt sweep run --executor mpi`: the sweep's packed executor gives the local executor's
// trials, byte for byte, records a failing trial in the store with its reason, and a resume under
// mpirun runs nothing more.
TEST(SweepMpiExecutor, SameTrialsAsTheLocalExecutorAndFailuresInTheStore) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  const auto root = fresh_dir("sweep_mpi");
  const auto sweep = root + "/sweep.yaml";
  std::ofstream(sweep)
      << "name: mpitest\nmodel: " << kModel
      << "\nset: {shots: 4, views: 2, eval_every: 0, checkpoint_every: 5}\n"
         "grid: {dataset: [fmnist, nosuch]}\n"
         "methods:\n  zip: {grid: {seed: [1, 2], budget: [40]}}\n  spsa-gc: {set: {budget: 40}}\n";
  const auto packed = root + "/packed";
  const auto local = root + "/local";
  const std::vector<std::string> bbpt = {BBPT_EXECUTABLE, "--threads", "1", "sweep"};
  // Exit 1: the nosuch trials fail (recorded), the fmnist ones finish.
  ASSERT_EQ(run_to_end(concat(concat(mpirun(3), bbpt),
                              {"run", sweep, "--dir", packed, "--executor", "mpi"}),
                       root + "/packed.log"),
            1)
      << bbpt::core::read_file(root + "/packed.log");
  ASSERT_EQ(
      run_to_end(concat(bbpt, {"run", sweep, "--dir", local, "-j", "2"}), root + "/local.log"), 1)
      << bbpt::core::read_file(root + "/local.log");
  std::istringstream manifest(bbpt::core::read_file(packed + "/manifest.jsonl"));
  int done = 0, failed = 0;
  for (std::string line; std::getline(manifest, line);) {
    const auto trial = nlohmann::json::parse(line);
    const std::string id = trial.at("id");
    if (trial.at("dataset") == "nosuch") {
      ++failed;
      const auto reason = bbpt::core::read_file(packed + "/trials/" + id + "/failed.json");
      EXPECT_NE(reason.find("nosuch"), std::string::npos) << reason;
      continue;
    }
    ++done;
    expect_same_run(packed + "/trials/" + id, local + "/trials/" + id,
                    "mpi executor vs local executor");
  }
  EXPECT_EQ(done, 3);
  EXPECT_EQ(failed, 3);
  // Nothing left but the failures, which resume skips unless asked to retry them.
  ASSERT_EQ(run_to_end(concat(concat(mpirun(2), bbpt), {"resume", packed}), root + "/resume.log"),
            0)
      << bbpt::core::read_file(root + "/resume.log");
  EXPECT_NE(bbpt::core::read_file(root + "/resume.log").find("3 done before, 0 finished, 0 failed"),
            std::string::npos)
      << bbpt::core::read_file(root + "/resume.log");
}
