// SPDX-License-Identifier: MIT
// Implements the trial outcome's names and its JSON form.
#include "bbpt/sweep/trial_outcome.h"

#include <array>
#include <utility>

#include "bbpt/core/error.h"

namespace bbpt::sweep {
namespace {

constexpr std::array<std::pair<OutcomeStatus, const char*>, 4> kNames = {
    {{OutcomeStatus::kDone, "done"},
     {OutcomeStatus::kFailed, "failed"},
     {OutcomeStatus::kStopped, "stopped"},
     {OutcomeStatus::kBusy, "busy"}}};

}  // namespace

std::string to_string(OutcomeStatus status) {
  for (const auto& [s, name] : kNames) {
    if (s == status) return name;
  }
  BBPT_ASSERT(false, "a OutcomeStatus without a name");
  return "";
}

OutcomeStatus parse_outcome_status(const std::string& text) {
  for (const auto& [s, name] : kNames) {
    if (text == name) return s;
  }
  BBPT_THROW(CommError, "a trial outcome with the unknown status '"
                            << text << "' (are all ranks running the same bbpt build?)");
}

nlohmann::ordered_json to_json(const TrialOutcome& outcome) {
  nlohmann::ordered_json j;
  j["status"] = to_string(outcome.status);
  if (outcome.status == OutcomeStatus::kDone) j["result"] = outcome.result;
  if (outcome.status == OutcomeStatus::kFailed || outcome.status == OutcomeStatus::kBusy) {
    j["reason"] = outcome.reason;
  }
  return j;
}

TrialOutcome trial_outcome_from_json(const nlohmann::ordered_json& j) {
  TrialOutcome outcome;
  outcome.status = parse_outcome_status(j.at("status").get<std::string>());
  if (j.contains("result")) outcome.result = j.at("result");
  outcome.reason = j.value("reason", std::string());
  return outcome;
}

std::string describe(const TrialOutcome& outcome) {
  switch (outcome.status) {
    case OutcomeStatus::kFailed:
      return "FAILED: " + (outcome.reason.empty() ? std::string("(no reason)") : outcome.reason);
    case OutcomeStatus::kBusy:
      return "busy: " + outcome.reason;
    default:
      return to_string(outcome.status);
  }
}

}  // namespace bbpt::sweep
