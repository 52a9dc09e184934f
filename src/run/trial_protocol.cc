// SPDX-License-Identifier: MIT
// Implements the trial protocol's two messages: JSON with a version (the checkpoint, binary,
// follows the header as its own broadcast).
#include "trial_protocol.h"

#include <array>
#include <nlohmann/json.hpp>
#include <utility>

#include "bbpt/core/error.h"

namespace bbpt::run::detail {
namespace {

using Json = nlohmann::json;

constexpr std::array<std::pair<TrialHeader::Kind, const char*>, 3> kHeaderKinds = {
    {{TrialHeader::Kind::kStart, "start"},
     {TrialHeader::Kind::kAlreadyDone, "already_done"},
     {TrialHeader::Kind::kFailed, "failed"}}};
constexpr std::array<std::pair<StepControl::Kind, const char*>, 4> kControlKinds = {
    {{StepControl::Kind::kContinue, "continue"},
     {StepControl::Kind::kFinished, "finished"},
     {StepControl::Kind::kStop, "stop"},
     {StepControl::Kind::kFailed, "failed"}}};

template <typename Kind, size_t N>
const char* kind_name(const std::array<std::pair<Kind, const char*>, N>& table, Kind kind) {
  for (const auto& [k, name] : table) {
    if (k == kind) return name;
  }
  BBPT_ASSERT(false, "a trial protocol kind without a name");
  return "";
}

template <typename Kind, size_t N>
Kind parse_kind(const std::array<std::pair<Kind, const char*>, N>& table, const std::string& name) {
  for (const auto& [k, n] : table) {
    if (name == n) return k;
  }
  BBPT_THROW(CommError, "rank 0 sent a trial message of unknown kind '" << name << "'");
}

/// Parses a message from rank 0 and checks its version: ranks of one job must run one bbpt build.
Json parse_message(const std::string& bytes, const char* what) {
  Json j;
  try {
    j = Json::parse(bytes);
  } catch (const Json::exception&) {
    BBPT_THROW(CommError, "rank 0 sent a "
                              << what << " this rank cannot read (" << bytes.size()
                              << " bytes); are all ranks running the same bbpt build?");
  }
  const int version = j.value("version", 0);
  BBPT_CHECK(version == kTrialProtocolVersion, CommError,
             "rank 0 speaks trial protocol version "
                 << version << ", this rank version " << kTrialProtocolVersion
                 << "; run every rank of the job with the same bbpt build");
  return j;
}

}  // namespace

TrialHeader exchange_header(dist::QueryGroup& group, TrialHeader header) {
  if (!group.distributed()) return header;
  if (group.is_leader()) {
    Json j;
    j["version"] = kTrialProtocolVersion;
    j["kind"] = kind_name(kHeaderKinds, header.kind);
    j["reason"] = header.reason;
    j["config_error"] = header.config_error;
    j["few_shot_train"] = header.few_shot_train;
    j["few_shot_val"] = header.few_shot_val;
    std::string bytes = j.dump(-1, ' ', false, Json::error_handler_t::replace);
    group.broadcast(bytes);
    if (header.kind == TrialHeader::Kind::kStart) group.broadcast(header.checkpoint);
    return header;
  }
  std::string bytes;
  group.broadcast(bytes);
  const Json j = parse_message(bytes, "trial header");
  TrialHeader received;
  received.kind = parse_kind(kHeaderKinds, j.at("kind").get<std::string>());
  received.reason = j.at("reason").get<std::string>();
  received.config_error = j.at("config_error").get<bool>();
  received.few_shot_train = j.at("few_shot_train").get<std::vector<int64_t>>();
  received.few_shot_val = j.at("few_shot_val").get<std::vector<int64_t>>();
  if (received.kind == TrialHeader::Kind::kStart) group.broadcast(received.checkpoint);
  return received;
}

StepControl exchange_control(dist::QueryGroup& group, const StepControl& control) {
  if (!group.distributed()) return control;
  std::string bytes;
  if (group.is_leader()) {
    Json j;
    j["version"] = kTrialProtocolVersion;
    j["kind"] = kind_name(kControlKinds, control.kind);
    j["step"] = control.step;
    if (control.kind == StepControl::Kind::kFailed) j["reason"] = control.reason;
    bytes = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  group.broadcast(bytes);
  if (group.is_leader()) return control;
  const Json j = parse_message(bytes, "step control message");
  StepControl received;
  received.kind = parse_kind(kControlKinds, j.at("kind").get<std::string>());
  received.step = j.at("step").get<int64_t>();
  received.reason = j.value("reason", std::string());
  return received;
}

}  // namespace bbpt::run::detail
