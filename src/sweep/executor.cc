// SPDX-License-Identifier: MIT
#include "bbpt/sweep/executor.h"

#include <sstream>

namespace bbpt::sweep {

std::vector<PlannedTrial> trials_to_run(const SweepStore& store,
                                        const std::vector<PlannedTrial>& plan,
                                        bool retry_failed,
                                        ExecutorSummary& summary) {
  summary.trials = static_cast<int64_t>(plan.size());
  std::vector<PlannedTrial> out;
  for (const auto& t : plan) {
    const auto s = store.status(t.id);
    if (s.state == TrialState::kDone) {
      ++summary.already_done;
    } else if (s.state == TrialState::kRunning) {
      ++summary.running_elsewhere;
    } else if (s.state == TrialState::kFailed && !retry_failed) {
      ++summary.skipped_failed;
    } else {
      out.push_back(t);
    }
  }
  return out;
}

std::string describe(const ExecutorSummary& s) {
  std::ostringstream out;
  out << s.trials << " trials: " << s.already_done << " done before";
  if (s.submitted) out << ", " << s.submitted << " submitted";
  if (s.finished || !s.submitted) out << ", " << s.finished << " finished";
  out << ", " << s.failed << " failed";
  if (s.stopped) out << ", " << s.stopped << " stopped (checkpointed; resume continues them)";
  if (s.running_elsewhere) out << ", " << s.running_elsewhere << " running elsewhere";
  if (s.skipped_failed)
    out << ", " << s.skipped_failed << " failed before (--retry-failed runs them)";
  return out.str();
}

int exit_status(const ExecutorSummary& s) {
  if (s.stopped) return 75;
  return s.failed ? 1 : 0;
}

}  // namespace bbpt::sweep
