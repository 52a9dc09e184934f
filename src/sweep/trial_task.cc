// SPDX-License-Identifier: MIT
#include "bbpt/sweep/trial_task.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

#include "bbpt/comm/communicator.h"
#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/core/redact.h"
#include "bbpt/core/stop_signal.h"
#include "bbpt/run/evaluation.h"
#include "bbpt/run/run_trial.h"
#include "bbpt/sweep/slurm_executor.h"

namespace bbpt::sweep {
namespace {

/// Points stdout and stderr at a file (appending) for its lifetime, then restores them.
class OutputToFile {
 public:
  explicit OutputToFile(const std::string& path) {
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    BBPT_CHECK(fd >= 0, IoError, path << ": cannot open the trial log");
    saved_out_ = ::dup(1);
    saved_err_ = ::dup(2);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~OutputToFile() {
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    ::dup2(saved_out_, 1);
    ::dup2(saved_err_, 2);
    ::close(saved_out_);
    ::close(saved_err_);
  }
  OutputToFile(const OutputToFile&) = delete;
  OutputToFile& operator=(const OutputToFile&) = delete;

 private:
  int saved_out_ = -1, saved_err_ = -1;
};

}  // namespace

TrialOutcome run_planned_trial(const SweepStore& store,
                               const PlannedTrial& trial,
                               const run::TrialSpec& base,
                               const TaskOptions& options) {
  const bool leader = options.group == nullptr || options.group->rank() == 0;
  TrialOutcome outcome;
  try {
    std::unique_ptr<OutputToFile> log;
    if (leader) {
      store.prepare(trial.id);
      if (options.log_to_trial_dir)
        log = std::make_unique<OutputToFile>(store.trial_dir(trial.id) + "/log.txt");
    }
    run::RunRequest request;
    request.config_path = store.method_config_path(trial.id);
    request.trial = base;
    request.trial.dataset = trial.dataset;
    request.trial.seed = trial.seed;
    request.trial.shots = trial.shots;
    request.trial.model_path = trial.model;
    request.out_dir = store.trial_dir(trial.id);
    // The store's trial directory: trial.json, method.yaml and log.txt are there before the run.
    request.allow_foreign_out_dir = true;
    request.communicator = options.group;
    request.on_step = options.on_step;
    request.progress_every_steps = options.progress_every_steps;
    const auto summary = run::run_trial(request);
    outcome.status = summary.outcome == run::RunOutcome::kStopped ? OutcomeStatus::kStopped
                                                                  : OutcomeStatus::kDone;
    outcome.result = summary.result;
    if (leader && outcome.status == OutcomeStatus::kDone) {
      // The plan's evaluate: targets, on the leader (the other ranks have left the trial); one
      // already stored for this result is not run again.
      for (const auto& t : trial.evaluate) {
        run::EvaluationRequest evaluation;
        evaluation.trial_dir = request.out_dir;
        evaluation.target.dataset = t.at("dataset").get<std::string>();
        evaluation.target.classes = data::parse_class_subset(
            t.at("classes").get<std::string>(), store.trial_dir(trial.id) + "/evaluate.json");
        evaluation.base = request.trial;
        try {
          run::evaluate_trial(evaluation);
        } catch (const std::exception& e) {
          BBPT_THROW(Error, "evaluation on " << run::describe(evaluation.target)
                                             << " failed: " << e.what());
        }
      }
    }
  } catch (const CommError&) {
    throw;
  } catch (const run::TrialDirectoryBusy& e) {
    outcome.status =
        OutcomeStatus::kBusy;  // not a failure of the trial: whoever holds the lock decides it
    outcome.reason = core::redact_urls(e.what());  // shown, logged and stored
  } catch (const std::exception& e) {
    outcome.status = OutcomeStatus::kFailed;
    outcome.reason = core::redact_urls(e.what());  // shown, logged and stored
    if (leader) store.record_failure(trial.id, outcome.reason);
  }
  return outcome;
}

int run_trials(const SweepStore& store,
               const std::vector<std::string>& ids,
               const run::TrialSpec& base,
               comm::Communicator* world,
               const std::string& requeue_job) {
  std::map<std::string, PlannedTrial> plan;
  for (auto& t : store.read_manifest()) plan.emplace(t.id, std::move(t));
  for (const auto& id : ids) {
    BBPT_CHECK(plan.count(id), ConfigError,
               id << ": not a trial of the plan in " << store.dir() << "/manifest.jsonl");
  }
  const bool leader = world == nullptr || world->rank() == 0;
  const bool distributed = world != nullptr && world->size() > 1;
  bool stopped = false, failed = false;
  for (const auto& id : ids) {
    // Done before a requeue: skip. A distributed trial decides that in run_trial instead, on the
    // leader, so that every rank takes the same path.
    if (!distributed && store.status(id).state == TrialState::kDone) continue;
    TaskOptions task;
    task.group = distributed ? world : nullptr;
    task.log_to_trial_dir = leader;
    const auto outcome = run_planned_trial(store, plan.at(id), base, task);
    if (leader)
      std::cerr << "bbpt sweep task: " << id << ": " << to_string(outcome.status)
                << (outcome.reason.empty() ? "" : ": " + outcome.reason) << "\n";
    failed = failed || outcome.status == OutcomeStatus::kFailed;
    std::vector<int64_t> stop = {
        leader && (outcome.status == OutcomeStatus::kStopped || core::stop_requested()) ? 1 : 0};
    if (distributed) world->broadcast(stop, 0);  // the leader's decision, for every rank
    if (stop[0] != 0) {
      stopped = true;
      break;
    }
  }
  // An array task warned of its end puts itself back in the queue; the requeued task skips what is
  // done and resumes the checkpointed trial.
  if (stopped && leader && !requeue_job.empty() && core::preemption_warning_received()) {
    const auto answer = requeue(requeue_job);
    std::cerr << "bbpt sweep task: requeue " << requeue_job
              << (answer.empty() ? ": done" : ": " + answer) << "\n";
  }
  return stopped ? 75 : failed ? 1 : 0;
}

std::vector<std::string> array_task_ids(const std::string& list, int64_t index, int64_t per_task) {
  std::vector<std::string> all;
  std::istringstream lines(core::read_file(list));
  for (std::string id; std::getline(lines, id);) {
    if (!id.empty()) all.push_back(id);
  }
  BBPT_CHECK(index >= 0 && per_task >= 1 && index * per_task < static_cast<int64_t>(all.size()),
             ConfigError,
             "--index " << index << " x --per-task " << per_task << " is past the " << all.size()
                        << " trials of " << list);
  std::vector<std::string> ids;
  for (int64_t i = index * per_task;
       i < std::min<int64_t>((index + 1) * per_task, static_cast<int64_t>(all.size())); ++i) {
    ids.push_back(all[static_cast<size_t>(i)]);
  }
  return ids;
}

}  // namespace bbpt::sweep
