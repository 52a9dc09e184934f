// SPDX-License-Identifier: MIT
// What the leader of a distributed trial tells the other ranks of its group, and when:
//   1. once, the trial header: start (with the few-shot sample and the checkpoint to resume from),
//      already done, or failed before the first step (with the reason);
//   2. before every step, and once after the last, a step control: continue, finished, stop
//      (checkpointed on a stop request) or failed (with the reason).
// Every message of a trial comes from the leader through these two calls, so that the ranks leave a
// trial together, whatever ended it, and the group is ready for its next trial at once (packed
// mode sends the next assignment on the same communicator). A failure on the leader during a step
// is announced by the next control message; the methods keep the leader-only work that can fail
// before a step's collectives in Method::prepare_step(), which runs before the control message.
// Messages are JSON with a protocol version: a job that mixes bbpt builds fails with a clear error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bbpt/dist/query_group.h"

namespace bbpt::run::detail {

/// Bumped whenever a message's fields change meaning.
inline constexpr int kTrialProtocolVersion = 2;

struct TrialHeader {
  enum class Kind { kStart, kAlreadyDone, kFailed };
  Kind kind = Kind::kStart;
  /// kFailed: the leader's reason, and whether it was a configuration error (exit code 2).
  std::string reason;
  bool config_error = false;
  /// kStart: the few-shot sample (indices into the train and val splits).
  std::vector<int64_t> few_shot_train;
  std::vector<int64_t> few_shot_val;
  /// kStart: the serialized checkpoint to resume from (empty: a fresh start).
  std::string checkpoint;
};

struct StepControl {
  enum class Kind { kContinue, kFinished, kStop, kFailed };
  Kind kind = Kind::kContinue;
  /// Steps done before this message.
  int64_t step = 0;
  /// kFailed: the leader's reason.
  std::string reason;
};

/// The leader sends `header` (taken by value: move the checkpoint bytes in); every other rank
/// returns what it sent (the leader returns its own).
TrialHeader exchange_header(dist::QueryGroup& group, TrialHeader header);
/// The leader sends `control`; every other rank returns what it sent.
StepControl exchange_control(dist::QueryGroup& group, const StepControl& control);

}  // namespace bbpt::run::detail
