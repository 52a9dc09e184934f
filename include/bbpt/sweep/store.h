// SPDX-License-Identifier: MIT
// A sweep directory: the plan, one directory per trial, and the merged results.
//
//   DIR/sweep.yaml       the sweep file (or bbpt pack's trial list) of the last plan (earlier
//                        ones in DIR/history/)
//   DIR/manifest.jsonl   the expansion: one planned trial per line (grid.h), in order
//   DIR/trials/<id>/     trial.json (its manifest line), method.yaml (its frozen config),
//                        evaluate.json (the plan's evaluate: targets, when it has any), and what
//                        run_trial writes: config.json, few_shot.json, metrics.jsonl,
//                        checkpoint.bin, result.json (atomic; "done"); plus failed.json (atomic;
//                        the reason), evaluations/*.json and log.txt
//   DIR/results.sqlite   merged: table trials (one row per id), table metrics (one row per step
//                        of each done trial) and table evaluations (one row per (trial id, target
//                        dataset, target classes) from trials/<id>/evaluations/*.json)
//   DIR/results.csv      merged: the trials table
//   DIR/results.jsonl    merged: {"id", "status": "done", "result"} or {"id", "status": "failed",
//                        "reason"} per done or failed trial
//   DIR/evaluations.csv  merged: the evaluations table
//   DIR/store.lock       held while merging: one writer at a time, whoever calls merge()
//
// The trial directories are the truth; the merged files are derived from them and can be rebuilt
// at any time (merge() is idempotent, keyed by trial id). A trial is done only when result.json
// parses and belongs to its config.json; anything else (a crash between writing and renaming, a
// truncated copy) is not counted as done and is redone from its checkpoint.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bbpt/sweep/grid.h"

namespace bbpt::sweep {

enum class TrialState {
  kPending,      // nothing run yet
  kInterrupted,  // a checkpoint but no result: the next run resumes it
  kRunning,      // a process holds its run lock now
  kFailed,       // failed.json: the last attempt failed (its reason is kept)
  kDone,         // a valid result.json
};
const char* to_string(TrialState state);

struct TrialStatus {
  TrialState state = TrialState::kPending;
  std::string reason;      // kFailed: why; kPending after a damaged result: what was wrong
  int64_t steps_done = 0;  // from metrics.jsonl (kRunning, kInterrupted)
  /// result.json is valid but an `evaluate:` target of the plan (trials/<id>/evaluate.json) has no
  /// evaluation yet: the trial is not done, and running it again only evaluates.
  bool trained = false;
};

struct MergeSummary {
  int64_t trials = 0;   // trial directories seen
  int64_t updated = 0;  // rows inserted or changed in results.sqlite
};

class SweepStore {
 public:
  /// Opens (and creates) a sweep directory.
  explicit SweepStore(std::string dir);

  const std::string& dir() const { return dir_; }
  std::string trial_dir(const std::string& id) const { return dir_ + "/trials/" + id; }
  std::string method_config_path(const std::string& id) const {
    return trial_dir(id) + "/method.yaml";
  }

  /// Records a plan: the sweep file, manifest.jsonl, and trial.json + method.yaml of every trial
  /// that has no directory yet (existing trial directories are left as they are).
  void write_plan(const Sweep& sweep) const;
  /// The last plan, in order. Throws ConfigError when the directory holds no plan.
  std::vector<PlannedTrial> read_manifest() const;
  /// The sweep file of the last plan (DIR/sweep.yaml).
  std::string sweep_file() const { return dir_ + "/sweep.yaml"; }

  TrialStatus status(const std::string& id) const;
  /// Before a trial runs: moves a damaged result.json aside (result.json.damaged) and removes a
  /// failure record, so the attempt starts from the checkpoint, if any.
  void prepare(const std::string& id) const;
  /// failed.json with the reason (atomic).
  void record_failure(const std::string& id, const std::string& reason) const;

  /// Merges every trial directory into results.sqlite, results.csv and results.jsonl under
  /// DIR/store.lock.
  MergeSummary merge() const;

 private:
  std::string dir_;
};

}  // namespace bbpt::sweep
