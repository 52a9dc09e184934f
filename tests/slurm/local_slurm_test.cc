// SPDX-License-Identifier: MIT
// Smoke tests of LocalSlurm (tests/support/local_slurm.h): the throwaway cluster runs the two job
// shapes bbpt's Slurm emitter depends on (a throttled array with per-task logs, and signal ->
// checkpoint -> requeue -> resume) and leaves no process behind. Each test starts its own cluster.
#include "local_slurm.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;
using bbpt::testing::LocalSlurm;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_script(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), 0755);
}

bool wait_for_file(const std::string& path, double timeout_s) {
  const auto t0 = Clock::now();
  while (!fs::exists(path)) {
    if (seconds_since(t0) > timeout_s) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

// A root per test process and test: parallel ctest jobs and repeated runs never share one.
std::string fresh_root() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string root = (fs::temp_directory_path() /
                            ("bbpt_slurm_" + std::to_string(::getpid()) + "_" + info->name()))
                               .string();
  fs::remove_all(root);
  return root;
}

class LocalSlurmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = LocalSlurm::unavailable_reason();
    if (!why.empty()) GTEST_SKIP() << why;
    slurm_ = std::make_unique<LocalSlurm>(fresh_root());
    std::cout << "[ timing   ] cluster " << slurm_->cluster_name() << " up in "
              << slurm_->up_time_s() << " s\n";
    work_ = slurm_->root() + "/work";
    fs::create_directories(work_);
  }

  void TearDown() override {
    if (!slurm_) return;
    const auto t0 = Clock::now();
    slurm_.reset();
    std::cout << "[ timing   ] teardown " << seconds_since(t0) << " s\n";
  }

  // sbatch --parsable ARGS; the job id ("<id>" or "<id>;<cluster>"), "" on failure.
  std::string submit(std::vector<std::string> args) {
    args.insert(args.begin(), {"sbatch", "--parsable"});
    const auto r = slurm_->run(args);
    EXPECT_EQ(r.exit_code, 0) << "sbatch failed: " << r.err << "\n" << slurm_->log_tail();
    return r.out.substr(0, r.out.find_first_of(";\n"));
  }

  // The job's state as squeue prints it (%T), "" once it left the queue.
  std::string state_of(const std::string& job_id) {
    std::string state = slurm_->run({"squeue", "-h", "-j", job_id, "-o", "%T"}).out;
    state.erase(std::remove(state.begin(), state.end(), '\n'), state.end());
    return state;
  }

  bool wait_for_state(const std::string& job_id, const std::string& state, double timeout_s) {
    const auto t0 = Clock::now();
    while (state_of(job_id) != state) {
      if (seconds_since(t0) > timeout_s) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return true;
  }

  // Polls `squeue -h -j JOB` until it lists nothing: plain squeue shows pending, running and
  // completing jobs only, so finished jobs drop out even though MinJobAge keeps their records.
  bool wait_until_finished(const std::string& job_id, double timeout_s) {
    const auto t0 = Clock::now();
    while (seconds_since(t0) < timeout_s) {
      const auto r = slurm_->run({"squeue", "-h", "-j", job_id});
      if (r.exit_code == 0 && r.out.empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }

  std::unique_ptr<LocalSlurm> slurm_;
  std::string work_;  // scripts and job outputs, inside the cluster's root
};

// `--array=0-5%2` must run every task once, name each task's log by %x_%A_%a, and never run more
// than 2 tasks at once: the sweep emitter relies on the throttle to cap GPU use per sweep.
TEST_F(LocalSlurmTest, ArrayThrottleAndPerTaskLogs) {
  const std::string out = work_ + "/out";
  fs::create_directories(out);
  write_script(work_ + "/array.sh", R"(#!/bin/bash
# $1: directory that gets one "<start> <end>" line per task, named by the task id
start=$(date +%s.%N)
sleep 2
end=$(date +%s.%N)
echo "$start $end" > "$1/$SLURM_ARRAY_TASK_ID"
echo "task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_JOB_ID done"
)");
  const auto t0 = Clock::now();
  const std::string job =
      submit({"--array=0-5%2", "--job-name=lsarray",
              "--output=" + slurm_->root() + "/logs/%x_%A_%a.out", work_ + "/array.sh", out});
  ASSERT_FALSE(job.empty());
  ASSERT_TRUE(wait_until_finished(job, 120)) << "array " << job << " still queued after 120 s\n"
                                             << slurm_->log_tail();
  std::cout << "[ timing   ] array of 6 x 2 s tasks, 2 at a time: " << seconds_since(t0) << " s\n";

  std::vector<std::pair<double, int>> events;  // (time, +1 start / -1 end)
  for (int task = 0; task < 6; ++task) {
    std::istringstream times(read_file(out + "/" + std::to_string(task)));
    double start = 0;
    double end = 0;
    EXPECT_TRUE(times >> start >> end) << "task " << task << " wrote no times";
    events.emplace_back(start, +1);
    events.emplace_back(end, -1);
    const std::string log =
        slurm_->root() + "/logs/lsarray_" + job + "_" + std::to_string(task) + ".out";
    EXPECT_EQ(read_file(log), "task " + std::to_string(task) + " of " + job + " done\n") << log;
  }
  std::sort(events.begin(), events.end());  // at equal times an end (-1) sorts before a start
  int running = 0;
  int max_running = 0;
  for (const auto& [time, delta] : events) max_running = std::max(max_running, running += delta);
  EXPECT_LE(max_running, 2) << "the %2 throttle was not honoured";
  std::cout << "[ info     ] at most " << max_running << " tasks ran at once; starts at +";
  for (const auto& [time, delta] : events) {
    if (delta > 0) std::cout << " " << time - events.front().first;
  }
  std::cout << " s\n";

  // Finished tasks stay visible to `squeue -t all` (MinJobAge=600): what bbpt reads without sacct.
  const auto all = slurm_->run({"squeue", "-h", "-t", "all", "-j", job, "-o", "%i %T"});
  EXPECT_EQ(std::count(all.out.begin(), all.out.end(), '\n'), 6) << all.out;
  EXPECT_EQ(all.out.find("COMPLETED") != std::string::npos, true) << all.out;
  EXPECT_EQ(all.out.find("FAILED"), std::string::npos) << all.out;
}

// A job told by USR2 that it will be preempted checkpoints, requeues itself and exits; Slurm must
// start it again with SLURM_RESTART_COUNT=1 and keep appending to the same log
// (--open-mode=append). This is the preemption path of long trials.
TEST_F(LocalSlurmTest, Usr2RequeuesAndRestartsOnce) {
  const std::string markers = work_ + "/markers";
  fs::create_directories(markers);
  write_script(work_ + "/requeue.sh", R"(#!/bin/bash
#SBATCH --requeue
#SBATCH --open-mode=append
# $1: directory for the markers the test waits on
markers=$1
restart=${SLURM_RESTART_COUNT:-0}
date +%s.%N > "$markers/start_$restart"
echo "start restart_count=$restart"
self=$SLURM_JOB_ID
if [ -n "$SLURM_ARRAY_JOB_ID" ]; then self=${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}; fi
on_usr2() {
  echo "caught USR2 restart_count=$restart"
  date +%s.%N > "$markers/usr2_$restart"
  scontrol requeue "$self"
  exit 0
}
trap on_usr2 USR2
if [ "$restart" -ge 1 ]; then echo "resumed"; exit 0; fi
touch "$markers/trap_set"
# `sleep & wait`: bash runs a trap only between commands, and `wait` returns on a signal at once.
for i in $(seq 1 100); do sleep 1 & wait $!; done
echo "USR2 never came"
exit 3
)");
  const std::string log = slurm_->root() + "/logs/requeue.out";
  const std::string job =
      submit({"--job-name=lsrequeue", "--output=" + log, work_ + "/requeue.sh", markers});
  ASSERT_FALSE(job.empty());
  ASSERT_TRUE(wait_for_state(job, "RUNNING", 30)) << "state " << state_of(job) << "\n"
                                                  << slurm_->log_tail();
  // RUNNING is set before the script starts; a USR2 before `trap` would kill bash outright.
  ASSERT_TRUE(wait_for_file(markers + "/trap_set", 30)) << read_file(log);

  const auto t0 = Clock::now();
  const auto signal = slurm_->run({"scancel", "--signal=USR2", "--batch", job});
  ASSERT_EQ(signal.exit_code, 0) << signal.err;
  ASSERT_TRUE(wait_for_file(markers + "/usr2_0", 10)) << read_file(log);
  ASSERT_TRUE(wait_until_finished(job, 90)) << "job " << job << " state " << state_of(job) << "\n"
                                            << read_file(log) << slurm_->log_tail();
  std::cout << "[ timing   ] USR2 to completion of the restarted job: " << seconds_since(t0)
            << " s\n";
  const double usr2_at = std::stod(read_file(markers + "/usr2_0"));
  const double restart_at = std::stod(read_file(markers + "/start_1"));
  std::cout << "[ timing   ] requeued job held for " << restart_at - usr2_at
            << " s (cred_expire=10)\n";

  const auto show = slurm_->run({"scontrol", "show", "job", job});
  EXPECT_NE(show.out.find("JobState=COMPLETED"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("Restarts=1 "), std::string::npos) << show.out;
  // slurmstepd adds its own "*** JOB ... CANCELLED ... DUE TO JOB REQUEUE ***" line; skip those.
  std::istringstream lines(read_file(log));
  std::string script_lines;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("slurmstepd", 0) != 0) script_lines += line + "\n";
  }
  EXPECT_EQ(script_lines,
            "start restart_count=0\ncaught USR2 restart_count=0\nstart restart_count=1\nresumed\n")
      << "the second start must append to the first start's log:\n"
      << read_file(log);
}

// Destroying the fixture must leave no daemon, slurmstepd or job process (not even one that left
// the job's process tree) and no root dir: the next test, or a developer's shell, must not find a
// cluster still running jobs.
TEST_F(LocalSlurmTest, TeardownLeavesNoProcesses) {
  const std::string markers = work_ + "/markers";
  fs::create_directories(markers);
  write_script(work_ + "/forever.sh", R"(#!/bin/bash
# $1: directory for the pids the test checks: script, its slurmstepd (the parent), an orphan
( sleep 300 & echo $! > "$1/orphan" )
echo "$$ $PPID" > "$1/pids.tmp" && mv "$1/pids.tmp" "$1/pids"
for i in $(seq 1 300); do sleep 1 & wait $!; done
)");
  const std::string job =
      submit({"--output=" + slurm_->root() + "/logs/forever.out", work_ + "/forever.sh", markers});
  ASSERT_FALSE(job.empty());
  ASSERT_TRUE(wait_for_file(markers + "/pids", 30)) << slurm_->log_tail();
  pid_t script = 0;
  pid_t stepd = 0;
  pid_t orphan = 0;
  std::istringstream(read_file(markers + "/pids")) >> script >> stepd;
  std::istringstream(read_file(markers + "/orphan")) >> orphan;
  const std::vector<std::pair<std::string, pid_t>> pids = {{"slurmctld", slurm_->slurmctld_pid()},
                                                           {"slurmd", slurm_->slurmd_pid()},
                                                           {"slurmstepd", stepd},
                                                           {"batch script", script},
                                                           {"orphaned job process", orphan}};
  for (const auto& [name, pid] : pids)
    ASSERT_TRUE(LocalSlurm::is_running(pid)) << name << " " << pid;
  const std::string root = slurm_->root();

  const auto t0 = Clock::now();
  slurm_.reset();
  std::cout << "[ timing   ] teardown with a running job " << seconds_since(t0) << " s\n";

  for (const auto& [name, pid] : pids) {
    // A zombie has stopped but waits for its parent (PID 1 here) to reap it, which the fixture can
    // only wait for; so "not running" is the invariant, and kill(pid, 0) failing is reported.
    EXPECT_FALSE(LocalSlurm::is_running(pid)) << name << " " << pid << " survived the teardown";
    std::cout << "[ info     ] " << name << " " << pid << ": kill(pid, 0) "
              << (::kill(pid, 0) == 0 ? "still succeeds (zombie not reaped yet)" : "fails") << "\n";
  }
  EXPECT_FALSE(fs::exists(root));
}

// Two clusters in one process stand side by side: their ports, cluster names and job ids differ,
// and each runs its own jobs. This is what lets ctest -j run slurm tests in parallel.
TEST_F(LocalSlurmTest, TwoClustersSideBySide) {
  LocalSlurm second(slurm_->root() + "2");
  EXPECT_NE(second.cluster_name(), slurm_->cluster_name());
  EXPECT_NE(second.conf(), slurm_->conf());
  // Not `sbatch --wait`: it polls at growing intervals and took about 8 s for an instant job.
  std::vector<std::string> jobs;
  for (const LocalSlurm* cluster : {slurm_.get(), &second}) {
    const auto r =
        cluster->run({"sbatch", "--parsable", "--output=" + cluster->root() + "/logs/wrap.out",
                      "--wrap", "echo $SLURM_CLUSTER_NAME"});
    EXPECT_EQ(r.exit_code, 0) << r.err << cluster->log_tail();
    jobs.push_back(r.out.substr(0, r.out.find_first_of(";\n")));
  }
  EXPECT_NE(jobs[0], jobs[1]) << "FirstJobId differs per cluster";
  const auto t0 = Clock::now();
  for (const LocalSlurm* cluster : {slurm_.get(), &second}) {
    const std::string& job = cluster == &second ? jobs[1] : jobs[0];
    while (!cluster->run({"squeue", "-h", "-j", job}).out.empty() && seconds_since(t0) < 30) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(read_file(cluster->root() + "/logs/wrap.out"), cluster->cluster_name() + "\n")
        << cluster->log_tail();
  }
}

}  // namespace
