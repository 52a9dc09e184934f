// SPDX-License-Identifier: MIT
// How one run of a trial ended, as every executor reports it (trial_task, the packed scheduler,
// results.jsonl): a typed status with its result or reason. The strings exist only where an
// outcome crosses a process or a file (to_json / trial_outcome_from_json).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace bbpt::sweep {

enum class OutcomeStatus {
  kDone,     // result.json written
  kFailed,   // failed, with the reason (recorded: a failure is data)
  kStopped,  // checkpointed on a stop request; the next run continues it
  kBusy,     // another process runs it now (its run lock is held)
};

/// "done", "failed", "stopped", "busy".
std::string to_string(OutcomeStatus status);
/// The inverse of to_string; throws CommError for anything else (a message from another build).
OutcomeStatus parse_outcome_status(const std::string& text);

struct TrialOutcome {
  OutcomeStatus status = OutcomeStatus::kDone;
  std::string reason;             // kFailed, kBusy: why
  nlohmann::ordered_json result;  // kDone: result.json (on the trial's leader)
};

/// {"status": ..., "result": {...}} (done) or {"status": ..., "reason": "..."} (failed, busy).
nlohmann::ordered_json to_json(const TrialOutcome& outcome);
/// Reads the fields to_json writes from `j` (other fields are ignored).
TrialOutcome trial_outcome_from_json(const nlohmann::ordered_json& j);

/// For progress lines: "done", "stopped", "busy: <reason>", "FAILED: <reason>".
std::string describe(const TrialOutcome& outcome);

}  // namespace bbpt::sweep
