// SPDX-License-Identifier: MIT
#include "bbpt/sweep/local_executor.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <iomanip>
#include <iostream>
#include <map>
#include <thread>

#include "bbpt/core/error.h"
#include "bbpt/core/stop_signal.h"
#include "process.h"
#include "progress.h"

namespace bbpt::sweep {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Running {
  PlannedTrial trial;
};

std::string label_of(const PlannedTrial& t) {
  return t.method + " " + t.dataset + " seed " + std::to_string(t.seed) + " (" + t.id + ")";
}

}  // namespace

void run_local(const SweepStore& store,
               const std::vector<PlannedTrial>& to_run,
               const LocalOptions& options,
               ExecutorSummary& summary) {
  BBPT_CHECK(options.jobs >= 1, ConfigError, "--jobs (= " << options.jobs << ") must be >= 1");
  std::deque<PlannedTrial> queue(to_run.begin(), to_run.end());
  std::map<pid_t, Running> running;
  detail::ProgressBoard board(std::cerr, "bbpt sweep", options.jobs);
  for (const auto& t : to_run)
    board.add(t.id, label_of(t), t.method, t.config.value("budget", int64_t{0}));
  bool forwarded = false;
  auto last_merge = Clock::now();
  std::cerr << "bbpt sweep: " << to_run.size() << " trial(s) to run, " << options.jobs
            << " at a time\n";
  while (!queue.empty() || !running.empty()) {
    if (core::stop_requested() && !forwarded) {
      // Pass the request on as USR2, whose handler never turns into the default action: a
      // terminal's Ctrl-C reached the children already, and a second SIGINT would kill them before
      // they checkpoint.
      for (const auto& [pid, r] : running) ::kill(pid, SIGUSR2);
      forwarded = true;
      std::cerr << "bbpt sweep: stop requested: " << running.size()
                << " running trial(s) checkpoint, " << queue.size() << " not started\n";
    }
    while (!core::stop_requested() && running.size() < static_cast<size_t>(options.jobs) &&
           !queue.empty()) {
      PlannedTrial t = queue.front();
      queue.pop_front();
      auto argv = options.task_command;
      argv.insert(argv.end(), {"sweep", "task", store.dir(), "--trial", t.id});
      try {
        store.prepare(t.id);
        const pid_t pid = detail::start_process(argv, store.trial_dir(t.id) + "/log.txt");
        board.started(t.id);
        running.emplace(pid, Running{std::move(t)});
      } catch (const std::exception&
                   e) {  // e.g. no process slots left: that trial fails, the others go on
        store.record_failure(t.id, std::string("could not start the trial process: ") + e.what());
        ++summary.failed;
        board.ended(t.id, std::string("FAILED: could not start the trial process: ") + e.what(),
                    false);
      }
    }
    if (running.empty()) {
      summary.stopped +=
          static_cast<int64_t>(queue.size());  // not started because of a stop request
      break;
    }
    int wait_status = 0;
    const pid_t pid = ::waitpid(-1, &wait_status, WNOHANG);
    if (pid <= 0) {
      board.print_running_every(options.progress_every_s);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (seconds_since(last_merge) > options.merge_every_s) {
        try {
          store.merge();
        } catch (const std::exception&
                     e) {  // the trial directories stay the truth; the final merge retries
          std::cerr << "bbpt sweep: merging the results failed for now: " << e.what() << "\n";
        }
        last_merge = Clock::now();
      }
      continue;
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const Running r = it->second;
    running.erase(it);
    const int code = detail::exit_code_of(wait_status);
    std::string what;
    const auto s = store.status(r.trial.id);
    if (code == 0 && s.state == TrialState::kDone) {
      ++summary.finished;
      what = "done";
    } else if (code == 75 || (core::stop_requested() && code > 128)) {
      // 75: checkpointed. Killed by a signal after a stop request: it had not installed its handler
      // yet (or a second Ctrl-C came); its last checkpoint, if any, is intact.
      ++summary.stopped;
      what = "stopped";
    } else if (s.state == TrialState::kRunning) {
      ++summary.running_elsewhere;  // another process holds its run lock
      what = "running in another process";
    } else {
      ++summary.failed;
      if (s.state != TrialState::kFailed) {
        store.record_failure(
            r.trial.id, "the trial process ended with exit status " + std::to_string(code) +
                            (code > 128 ? " (signal " + std::to_string(code - 128) + ")" : "") +
                            " before recording a result; see " + store.trial_dir(r.trial.id) +
                            "/log.txt");
      }
      what = "FAILED: " + store.status(r.trial.id).reason;
    }
    board.ended(r.trial.id, what, what == "done");
  }
  store.merge();
}

}  // namespace bbpt::sweep
