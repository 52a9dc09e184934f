// SPDX-License-Identifier: MIT
// One trial from a method config to a finished run directory:
//   DIR/config.json      the resolved configuration (method options, dataset, seed, shots, model)
//   DIR/few_shot.json    the few-shot indices the trial trains on
//   DIR/metrics.jsonl    one line per step: step, queries, train_loss, train_acc (+ test_acc_subset
//                        at fixed query counts, on a fixed test subset, marked as such)
//   DIR/checkpoint.bin   everything needed to continue (checkpoint.h), rewritten atomically
//   DIR/result.json      written atomically at the end; its presence means "done"
//   DIR/run.lock         held (flock) while a process runs the trial; a second one is refused
// A directory with a checkpoint resumes from it (and only with the same config); a directory with a
// result is not run again.
//
// Distributed (RunRequest::communicator with more than one rank, e.g. `mpirun -np N bbpt run`):
// every rank calls run_trial with the same request. Rank 0 (the leader) does everything above and
// is the only rank that touches DIR; once it has the few-shot sample, the features and the
// checkpoint, it sends them to the other ranks, which then only help evaluate each step's queries
// (dist/query_group.h). Results are identical for any number of ranks. The leader starts every step
// with a control message (continue, finished, stop or failed with the reason) and ends the trial
// with one, so every rank leaves a trial together, whatever ended it (src/run/trial_protocol.h).
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bbpt/core/error.h"
#include "bbpt/run/run_config.h"
#include "bbpt/run/trial_context.h"

namespace bbpt::comm {
class Communicator;
}

namespace bbpt::run {

/// Thrown when another process runs the same trial directory now (its run lock is held).
class TrialDirectoryBusy : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

/// Thrown on the other ranks of a distributed trial when the leader failed; the reason is the
/// leader's. Every rank has left the trial, and the group can take its next one.
class LeaderFailed : public Error {
 public:
  using Error::Error;
};

struct RunRequest {
  /// configs/methods/<name>.yaml
  std::string config_path;
  /// "key=value" overrides, applied in order after the file.
  std::vector<std::string> overrides;
  TrialSpec trial;
  /// The run directory.
  std::string out_dir;
  /// Print a progress line every this many steps (not queries; 0: none).
  int64_t progress_every_steps = 50;
  /// The ranks that run this trial together; nullptr (or one rank): this process alone.
  comm::Communicator* communicator = nullptr;
  /// Write into out_dir even when it is an existing directory that is not a bbpt run, or a run of
  /// another config that never checkpointed (`bbpt run --force`; the sweep and pack executors,
  /// whose trial directories hold their own files). A finished or checkpointed run of another
  /// config is refused either way.
  bool allow_foreign_out_dir = false;
  /// Called on the leader after each step's metrics line (e.g. a heartbeat to a scheduler).
  std::function<void(int64_t step, int64_t queries)> on_step;
};

/// kHelped: a non-leader rank of a distributed trial (it evaluated queries; the leader wrote DIR).
/// kStopped: a stop was requested (core/stop_signal.h, on the leader); the trial checkpointed at
/// the end of the current step and the same request continues it (`bbpt run` exits 75).
enum class RunOutcome { kFinished, kAlreadyDone, kHelped, kStopped };

struct RunSummary {
  RunOutcome outcome = RunOutcome::kFinished;
  nlohmann::ordered_json result;  // result.json (empty on helping ranks)
  bool resumed = false;
  int64_t resumed_from_step = 0;
};

/// Runs (or resumes, or skips) one trial. Throws ConfigError for a bad config (file, key and value
/// named) before any work, and when DIR holds a run of another config; NumericalError when the
/// loss becomes NaN or infinite (the step and what to check named); on the other ranks of a
/// distributed trial, LeaderFailed when the leader failed, and CommError when this rank failed on
/// its own (its group can no longer keep in step: the job must end).
RunSummary run_trial(const RunRequest& request);

/// The request's method config with its overrides applied, as written (nothing read yet).
RunConfig load_run_config(const RunRequest& request);

/// The resolved config of a request without running it (config.json's content).
nlohmann::ordered_json resolve_config(const RunRequest& request);

}  // namespace bbpt::run
