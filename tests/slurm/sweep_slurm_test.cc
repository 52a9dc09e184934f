// SPDX-License-Identifier: MIT
// `bbpt sweep run --executor slurm` on a throwaway single-node Slurm cluster (local_slurm.h), as a
// user runs it: a 12-trial grid on the golden tiny CLIP and Fashion-MNIST goes out as one job array
// with throttle 2; one running task gets the preemption warning (`scancel --signal=USR2 --batch`),
// checkpoints and requeues itself; all 12 finish, and the merged results equal, bit for bit, those
// of the local executor (all but wall_time_s). Also: --dry-run prints the script and Slurm's
// `sbatch --test-only` answer and submits nothing. Skips without Slurm or the run fixture.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bbpt/core/file_io.h"
#include "local_slurm.h"
#include "run_fixture.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using bbpt::testing::CommandResult;
using bbpt::testing::LocalSlurm;

// zip: one long trial first (array task 0, which gets the warning mid-run) and 5 short ones;
// spsa-gc: 6 short ones. 12 trials. One long trial only: on a loaded CI machine every extra
// second of array work delays the warned task's requeued run, which waits behind the others.
const char* kSweep =
    "name: slurmtest\n"
    "model: %MODEL%\n"
    "set: {dataset: fmnist, shots: 4, views: 2, eval_every: 0, checkpoint_every: 5}\n"
    "methods:\n"
    "  zip: {grid: {budget: [3000, 40, 50, 60, 70, 80], seed: [1]}}\n"
    "  spsa-gc: {grid: {budget: [40, 60], seed: [1, 2, 3]}}\n"
    "executors:\n"
    "  slurm: {time: '00:10:00', cpus_per_task: 1, merge_job: false}\n";

class SweepSlurm : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = LocalSlurm::unavailable_reason();
    if (why.empty()) bbpt::testing::run_fixture_ready(&why);
    if (!why.empty()) GTEST_SKIP() << why;
    // Short: slurmd's Unix socket paths under the cluster root must stay within 107 bytes.
    root_ = fs::path("/tmp") / ("bbpt_ss_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    // BBPT_SWEEP_TEST_MODEL runs the grid on another checkpoint, e.g. the pretrained embedded
    // default
    // (~/.cache/bbpt/models/bbpt-clip-default.pt; CI uses the golden tiny CLIP, as every end-to-end
    // test).
    const char* model = std::getenv("BBPT_SWEEP_TEST_MODEL");
    std::string text = kSweep;
    text.replace(text.find("%MODEL%"), 7, model ? model : bbpt::testing::kGoldenModel);
    sweep_file_ = (root_ / "sweep.yaml").string();
    std::ofstream(sweep_file_) << text;
  }
  void TearDown() override {
    slurm_.reset();
    if (!root_.empty()) fs::remove_all(root_);
  }

  void start_cluster() {
    slurm_ = std::make_unique<LocalSlurm>((root_ / "c").string());
    slurm_->export_env();
  }
  CommandResult bbpt(std::vector<std::string> args, double timeout_s = 120) {
    args.insert(args.begin(), {BBPT_EXECUTABLE, "--threads", "1"});
    return slurm_->run(args, timeout_s);
  }

  fs::path root_;
  std::string sweep_file_;
  std::unique_ptr<LocalSlurm> slurm_;
};

std::vector<std::string> manifest_ids(const std::string& dir) {
  std::vector<std::string> ids;
  std::istringstream lines(bbpt::core::read_file(dir + "/manifest.jsonl"));
  for (std::string line; std::getline(lines, line);)
    ids.push_back(nlohmann::json::parse(line).at("id"));
  return ids;
}

int64_t lines_in(const std::string& path) {
  if (!fs::exists(path)) return 0;
  return bbpt::testing::count_lines(path);
}

/// results.csv without the wall_time_s column, which differs between equal runs.
std::string csv_without_time(const std::string& path) {
  std::istringstream in(bbpt::core::read_file(path));
  std::string header;
  std::getline(in, header);
  int time_column = -1, column = 0;
  std::istringstream names(header);
  for (std::string name; std::getline(names, name, ',');) {
    if (name == "wall_time_s") time_column = column;
    ++column;
  }
  std::ostringstream out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    int at = 0;
    for (std::string field; std::getline(fields, field, ',');) {
      if (at++ != time_column) out << field << ",";
    }
    out << "\n";
  }
  return out.str();
}

TEST_F(SweepSlurm, DryRunPrintsTheScriptAndSlurmsAnswerAndSubmitsNothing) {
  start_cluster();
  const std::string dir = (root_ / "dry").string();
  const auto r = bbpt({"sweep", "run", sweep_file_, "--dir", dir, "--executor", "slurm",
                       "--throttle", "2", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("#SBATCH --array=0-11%2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/slurm/logs/%x_%A_%a.out"), std::string::npos);
  EXPECT_NE(r.out.find("#SBATCH --signal=B:USR2@120"), std::string::npos);
  EXPECT_NE(r.out.find("#SBATCH --requeue"), std::string::npos);
  EXPECT_NE(r.out.find("#SBATCH --job-name=bbpt-slurmtest"), std::string::npos);
  EXPECT_NE(r.out.find("sweep task"), std::string::npos);
  EXPECT_NE(r.out.find("to start at"), std::string::npos) << r.out;  // sbatch --test-only's answer
  EXPECT_TRUE(slurm_->run({"squeue", "-h"}).out.empty());
  EXPECT_FALSE(fs::exists(dir + "/slurm/submissions.jsonl"));

  // A warning that reaches the batch shell before bbpt runs (a `scancel --signal=USR2 --batch`
  // that Slurm retried into the first milliseconds of a requeued task's restart) must not kill it:
  // the script up to its exec, with the exec replaced by a USR2 to itself, runs on.
  const size_t begin = r.out.find("#!/bin/bash");
  const size_t exec = r.out.find("\nexec ", begin);
  ASSERT_NE(begin, std::string::npos) << r.out;
  ASSERT_NE(exec, std::string::npos) << r.out;
  const std::string script = (root_ / "until_exec.sh").string();
  std::ofstream(script) << r.out.substr(begin, exec + 1 - begin)
                        << "kill -USR2 $$\necho \"survived the warning\"\n";
  const auto shell = slurm_->run({"bash", script});
  EXPECT_EQ(shell.exit_code, 0) << shell.out << shell.err;
  EXPECT_NE(shell.out.find("survived the warning"), std::string::npos) << shell.out << shell.err;
}

TEST_F(SweepSlurm, ArrayWithThrottleSurvivesAPreemptionWarningAndMatchesTheLocalExecutor) {
  start_cluster();
  const std::string dir = (root_ / "slurm").string();
  const auto submit =
      bbpt({"sweep", "run", sweep_file_, "--dir", dir, "--executor", "slurm", "--throttle", "2"});
  ASSERT_EQ(submit.exit_code, 0) << submit.out << submit.err << slurm_->log_tail();
  const auto submissions = bbpt::core::read_file(dir + "/slurm/submissions.jsonl");
  const std::string job =
      nlohmann::json::parse(submissions.substr(0, submissions.find('\n'))).at("job_id");
  const auto ids = manifest_ids(dir);
  ASSERT_EQ(ids.size(), 12u);

  // The warning goes to a long trial once it has checkpointed a few times.
  const std::string long_trial = dir + "/trials/" + ids[0];
  // Generous deadlines, one per phase: CI runs this beside the other labels on 2 cores, where
  // it has taken 4x its time alone (about 90 s).
  const auto warn_deadline = Clock::now() + std::chrono::seconds(420);
  while (lines_in(long_trial + "/metrics.jsonl") < 12 && Clock::now() < warn_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_GE(lines_in(long_trial + "/metrics.jsonl"), 12) << slurm_->log_tail();
  int max_running = 0;
  const auto running_now = [&]() {
    const auto q = slurm_->run({"squeue", "-h", "-r", "-j", job, "-t", "RUNNING", "-o", "%i"});
    int n = 0;
    std::istringstream rows(q.out);
    for (std::string row; std::getline(rows, row);) n += !row.empty();
    max_running = std::max(max_running, n);
    return n;
  };
  running_now();
  const auto warn = slurm_->run({"scancel", "--signal=USR2", "--batch", job + "_0"}, 90);
  ASSERT_EQ(warn.exit_code, 0) << warn.out << warn.err << slurm_->run({"squeue", "-r"}).out
                               << slurm_->log_tail();

  // Everything finishes (the warned task after its requeue, which waits out cred_expire).
  const auto deadline = Clock::now() + std::chrono::seconds(600);
  const auto all_done = [&]() {
    for (const auto& id : ids) {
      if (!fs::exists(dir + "/trials/" + id + "/result.json")) return false;
    }
    return true;
  };
  while (!all_done() && Clock::now() < deadline) {
    running_now();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_TRUE(all_done()) << bbpt({"sweep", "status", dir, "--no-merge"}).out << slurm_->log_tail();
  EXPECT_LE(max_running, 2);  // the %2 throttle

  // The warned task checkpointed, requeued and resumed from its checkpoint.
  const std::string task_log =
      bbpt::core::read_file(dir + "/slurm/logs/bbpt-slurmtest_" + job + "_0.out");
  EXPECT_NE(task_log.find("restart 0"), std::string::npos) << task_log;
  EXPECT_NE(task_log.find("requeue " + job + "_0: done"), std::string::npos) << task_log;
  EXPECT_NE(task_log.find("restart 1"), std::string::npos) << task_log;
  const std::string trial_log = bbpt::core::read_file(long_trial + "/log.txt");
  EXPECT_NE(trial_log.find("checkpointed at step"), std::string::npos) << trial_log;
  EXPECT_NE(trial_log.find("resuming"), std::string::npos) << trial_log;

  const auto status = bbpt({"sweep", "status", dir});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("merged 12 trial directories"), std::string::npos) << status.out;

  // The same sweep on the local executor: the same results, bit for bit.
  const std::string local = (root_ / "local").string();
  const auto run_local = bbpt({"sweep", "run", sweep_file_, "--dir", local, "-j", "2"}, 300);
  ASSERT_EQ(run_local.exit_code, 0) << run_local.out << run_local.err;
  EXPECT_EQ(manifest_ids(local), ids);
  for (const auto& id : ids) {
    EXPECT_EQ(bbpt::core::read_file(dir + "/trials/" + id + "/metrics.jsonl"),
              bbpt::core::read_file(local + "/trials/" + id + "/metrics.jsonl"))
        << id;
    EXPECT_EQ(bbpt::testing::result_without_time(dir + "/trials/" + id),
              bbpt::testing::result_without_time(local + "/trials/" + id))
        << id;
  }
  EXPECT_EQ(csv_without_time(dir + "/results.csv"), csv_without_time(local + "/results.csv"));
}

}  // namespace

namespace {

TEST_F(SweepSlurm, TheMergeJobMergesTheResultsWhenTheArrayEnds) {
  start_cluster();
  const std::string file = (root_ / "merge.yaml").string();
  std::ofstream(file) << "name: mergetest\nmodel: " << bbpt::testing::kGoldenModel
                      << "\nset: {dataset: fmnist, shots: 4, views: 2, eval_every: 0, budget: 40}\n"
                         "grid: {seed: [1, 2]}\nmethods: {zip: {}}\n";
  const std::string dir = (root_ / "merge").string();
  const auto submit = bbpt({"sweep", "run", file, "--dir", dir, "--executor", "slurm"});
  ASSERT_EQ(submit.exit_code, 0) << submit.out << submit.err;
  EXPECT_NE(submit.out.find("merge job"), std::string::npos) << submit.out;
  // Nobody else merges here: results.csv appears only through the dependent job.
  const auto deadline = Clock::now() + std::chrono::seconds(300);
  const auto merged = [&]() {
    if (!fs::exists(dir + "/results.csv")) return false;
    const std::string csv = bbpt::core::read_file(dir + "/results.csv");
    return csv.find(",done,") != std::string::npos &&
           csv.find(",done,", csv.find(",done,") + 1) != std::string::npos;
  };
  while (!merged() && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_TRUE(merged()) << slurm_->run({"squeue", "-a"}).out << slurm_->log_tail();
}

}  // namespace
