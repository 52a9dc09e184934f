// SPDX-License-Identifier: MIT
// Implements the sweep directory (store.h) except the merge (results_merge.cc).
#include "bbpt/sweep/store.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "bbpt/core/directories.h"
#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/core/file_lock.h"
#include "bbpt/core/redact.h"
#include "bbpt/core/sha256.h"
#include "bbpt/core/utc_time.h"
#include "bbpt/data/class_subset.h"
#include "bbpt/run/evaluation.h"

namespace bbpt::sweep {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

int64_t line_count(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n');
}

/// "" when DIR/result.json is a finished result of DIR/config.json; otherwise what is wrong.
std::string result_problem(const std::string& dir) {
  const std::string result_path = dir + "/result.json";
  const std::string config_path = dir + "/config.json";
  try {
    const auto result = Json::parse(core::read_file(result_path));
    if (!core::is_regular_file(config_path)) return "result.json without config.json";
    if (result.value("config_sha256", "") != core::sha256_hex(core::read_file(config_path))) {
      return "result.json does not belong to config.json (config_sha256 differs)";
    }
    return "";
  } catch (const std::exception& e) {
    return std::string("result.json is damaged: ") + e.what();
  }
}

/// The targets of trials/<id>/evaluate.json that have no evaluation of the current result yet.
std::vector<std::string> pending_evaluations(const std::string& dir) {
  std::vector<std::string> pending;
  const std::string path = dir + "/evaluate.json";
  if (!core::is_regular_file(path)) return pending;
  Json targets;
  try {
    targets = Json::parse(core::read_file(path));
  } catch (const std::exception&) {
    return {"(evaluate.json is damaged: plan the sweep again)"};
  }
  for (const auto& t : targets) {
    run::EvaluationTarget target;
    target.dataset = t.value("dataset", "");
    target.classes = data::parse_class_subset(t.value("classes", "all"), path);
    if (run::stored_evaluation(dir, target).is_null()) pending.push_back(run::describe(target));
  }
  return pending;
}

}  // namespace

const char* to_string(TrialState state) {
  switch (state) {
    case TrialState::kPending:
      return "pending";
    case TrialState::kInterrupted:
      return "interrupted";
    case TrialState::kRunning:
      return "running";
    case TrialState::kFailed:
      return "failed";
    case TrialState::kDone:
      return "done";
  }
  return "?";
}

SweepStore::SweepStore(std::string dir) : dir_(std::move(dir)) {
  core::make_directories(dir_, "the sweep", "--dir");
  fs::create_directories(dir_ + "/trials");
}

void SweepStore::write_plan(const Sweep& sweep) const {
  const std::string text = core::read_file(sweep.file);
  if (core::is_regular_file(sweep_file()) && core::read_file(sweep_file()) != text) {
    fs::create_directories(dir_ + "/history");
    int n = 1;
    while (fs::exists(dir_ + "/history/sweep-" + std::to_string(n) + ".yaml")) ++n;
    fs::copy_file(sweep_file(), dir_ + "/history/sweep-" + std::to_string(n) + ".yaml");
  }
  core::write_file_atomic(sweep_file(), text);
  std::ostringstream manifest;
  for (const auto& t : sweep.trials) {
    const Json line = to_json(t);
    manifest << line.dump() << "\n";
    const std::string trial_json = trial_dir(t.id) + "/trial.json";
    if (!core::is_regular_file(trial_json)) {
      core::write_file_atomic(method_config_path(t.id), config_as_yaml(t.config));
      core::write_file_atomic(trial_json, line.dump(2) + "\n");
    }
    // The evaluations are not part of the trial's identity: each plan says which it wants.
    const std::string evaluate_json = trial_dir(t.id) + "/evaluate.json";
    const std::string evaluate_text = t.evaluate.dump(2) + "\n";
    if (t.evaluate.empty()) {
      fs::remove(evaluate_json);
    } else if (!core::is_regular_file(evaluate_json) ||
               core::read_file(evaluate_json) != evaluate_text) {
      core::write_file_atomic(evaluate_json, evaluate_text);
    }
  }
  core::write_file_atomic(dir_ + "/manifest.jsonl", manifest.str());
}

std::vector<PlannedTrial> SweepStore::read_manifest() const {
  const std::string path = dir_ + "/manifest.jsonl";
  BBPT_CHECK(core::is_regular_file(path), ConfigError,
             dir_ << " holds no sweep plan (" << path
                  << " missing); start it with bbpt sweep run <sweep.yaml> --dir " << dir_);
  std::vector<PlannedTrial> trials;
  std::istringstream lines(core::read_file(path));
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    if (line.empty()) continue;
    try {
      trials.push_back(planned_trial_from_json(Json::parse(line)));
    } catch (const std::exception& e) {
      BBPT_THROW(ConfigError, path << ":" << number << ": not a planned trial (" << e.what()
                                   << "); plan again with bbpt sweep run <sweep.yaml> --dir "
                                   << dir_);
    }
  }
  return trials;
}

TrialStatus SweepStore::status(const std::string& id) const {
  const std::string dir = trial_dir(id);
  TrialStatus s;
  std::string problem;
  if (core::is_regular_file(dir + "/result.json")) {
    problem = result_problem(dir);
    if (problem.empty()) {
      const auto pending = pending_evaluations(dir);
      if (pending.empty()) {
        s.state = TrialState::kDone;
        return s;
      }
      s.trained = true;
      problem = "trained; not yet evaluated on";
      for (const auto& p : pending) problem += (&p == &pending.front() ? " " : ", ") + p;
    }
  }
  if (core::FileLock::held_by_other(dir + "/run.lock")) {
    s.state = TrialState::kRunning;
  } else if (core::is_regular_file(dir + "/failed.json")) {
    s.state = TrialState::kFailed;
    try {
      s.reason = Json::parse(core::read_file(dir + "/failed.json")).at("reason").get<std::string>();
    } catch (const std::exception&) {
      s.reason = "failed.json is unreadable";
    }
    return s;
  } else if (core::is_regular_file(dir + "/checkpoint.bin")) {
    s.state = TrialState::kInterrupted;
  }
  s.reason = problem;
  if (s.state != TrialState::kPending) s.steps_done = line_count(dir + "/metrics.jsonl");
  return s;
}

void SweepStore::prepare(const std::string& id) const {
  const std::string dir = trial_dir(id);
  if (core::is_regular_file(dir + "/result.json") && !result_problem(dir).empty()) {
    fs::rename(dir + "/result.json", dir + "/result.json.damaged");
  }
  fs::remove(dir + "/failed.json");
}

void SweepStore::record_failure(const std::string& id, const std::string& reason) const {
  Json j;
  j["id"] = id;
  j["reason"] = core::redact_urls(reason);  // stored: no URL credentials, whoever wrote the message
  j["time"] = core::utc_now();
  core::write_file_atomic(trial_dir(id) + "/failed.json", j.dump(2) + "\n");
}

}  // namespace bbpt::sweep
