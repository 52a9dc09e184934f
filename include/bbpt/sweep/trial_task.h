// SPDX-License-Identifier: MIT
// One planned trial of a sweep run in this process (every executor ends here): the trial runs
// from its frozen method config into its directory of the store; a failure is recorded there
// (failed.json) with its reason, and a stop request (core/stop_signal.h) checkpoints it.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bbpt/run/trial_context.h"
#include "bbpt/sweep/grid.h"
#include "bbpt/sweep/store.h"
#include "bbpt/sweep/trial_outcome.h"

namespace bbpt::comm {
class Communicator;
}

namespace bbpt::sweep {

struct TaskOptions {
  /// Ranks that run the trial together (nullptr: this process alone).
  comm::Communicator* group = nullptr;
  /// Called on the leader after each step (heartbeats).
  std::function<void(int64_t step, int64_t queries)> on_step;
  /// Append this process's stdout and stderr to trials/<id>/log.txt while the trial runs.
  bool log_to_trial_dir = false;
  /// Progress line every this many steps (not queries; 0: none).
  int64_t progress_every_steps = 50;
};

/// Runs (or resumes) `trial`; `base` gives the device, data, caches and vocabulary. A
/// communication failure (CommError) is not a trial failure: it passes through.
TrialOutcome run_planned_trial(const SweepStore& store,
                               const PlannedTrial& trial,
                               const run::TrialSpec& base,
                               const TaskOptions& options);

/// `bbpt sweep task`: the trials `ids` of the store's plan, one after another in this process
/// (`world`: every rank of it runs each trial together; nullptr: this process alone), each with its
/// output appended to its log.txt. A trial done before is skipped. After a trial that a stop
/// request checkpointed it stops, and when `requeue_job` is set (a Slurm array task) and the stop
/// was a preemption warning, requeues that job. Returns the exit status: 75 stopped, 1 a trial
/// failed, 0 otherwise. Throws ConfigError, before running anything, for an id the plan lacks.
int run_trials(const SweepStore& store,
               const std::vector<std::string>& ids,
               const run::TrialSpec& base,
               comm::Communicator* world,
               const std::string& requeue_job);

/// The trial ids of array task `index`: lines index * per_task to index * per_task + per_task - 1
/// of `list` (one id per line). Throws ConfigError when index * per_task is past the end.
std::vector<std::string> array_task_ids(const std::string& list, int64_t index, int64_t per_task);

}  // namespace bbpt::sweep
