// SPDX-License-Identifier: MIT
// Reads and plans a trial list (trial_list.h).
#include "bbpt/sweep/trial_list.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/run/run_config.h"
#include "sweep_file.h"

namespace bbpt::sweep {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

/// One line as written, checked field by field.
struct Line {
  std::string where;  // "file:line"
  std::string id, config_path, dataset;
  int64_t seed = 1, shots = 16;
  std::vector<std::string> set;
};

Line read_line(const Json& j, const std::string& where, std::set<std::string>& ids) {
  BBPT_CHECK(j.is_object(), ConfigError,
             where << ": expected a JSON object, got " << j.type_name());
  for (const auto& [key, value] : j.items()) {
    static const std::set<std::string> known = {"id", "config", "dataset", "seed", "shots", "set"};
    BBPT_CHECK(
        known.count(key) == 1, ConfigError,
        where << ": " << key << ": unknown field (known: id, config, dataset, seed, shots, set)");
  }
  const auto text = [&](const char* key) -> std::string {
    BBPT_CHECK(j.contains(key), ConfigError, where << ": " << key << ": missing");
    BBPT_CHECK(j[key].is_string() && !j[key].get<std::string>().empty(), ConfigError,
               where << ": " << key << ": expected a non-empty string, got " << j[key].dump());
    return j[key].get<std::string>();
  };
  const auto integer = [&](const char* key, int64_t fallback, int64_t minimum) -> int64_t {
    if (!j.contains(key)) return fallback;
    BBPT_CHECK(j[key].is_number_integer() && j[key].get<int64_t>() >= minimum, ConfigError,
               where << ": " << key << ": expected an integer >= " << minimum << ", got "
                     << j[key].dump());
    return j[key].get<int64_t>();
  };
  Line line;
  line.where = where;
  line.id = text("id");
  BBPT_CHECK(std::all_of(line.id.begin(), line.id.end(),
                         [](char c) {
                           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' ||
                                  c == '_' || c == '-';
                         }) &&
                 line.id != "." && line.id != "..",
             ConfigError,
             where << ": id: '" << line.id
                   << "' may hold only letters, digits, '.', '_' and '-' (it names a directory)");
  BBPT_CHECK(ids.insert(line.id).second, ConfigError,
             where << ": id: '" << line.id << "' appears twice");
  line.config_path = text("config");
  line.dataset = text("dataset");
  line.seed = integer("seed", 1, 0);
  line.shots = integer("shots", 16, 1);
  if (j.contains("set")) {
    BBPT_CHECK(j["set"].is_array(), ConfigError,
               where << ": set: expected a list of \"key=value\" strings");
    for (const auto& s : j["set"]) {
      BBPT_CHECK(s.is_string() && s.get<std::string>().find('=') != std::string::npos, ConfigError,
                 where << ": set: " << s.dump() << " is not a \"key=value\" string");
      line.set.push_back(s.get<std::string>());
    }
  }
  return line;
}

/// The draft of a sweep trial for one line: its method config with the line's values on top.
detail::TrialDraft draft_of(const Line& line) {
  const fs::path config = fs::absolute(line.config_path).lexically_normal();
  BBPT_CHECK(fs::is_regular_file(config), ConfigError,
             line.where << ": config: method config " << config.string() << " not found");
  detail::TrialDraft draft;
  draft.config_path = config.string();
  draft.origin = line.where;
  draft.name = config.stem().string();
  try {
    draft.config = detail::method_config_values(draft.config_path);
  } catch (const Error& e) {
    BBPT_THROW(ConfigError, line.where << ": config: " << e.what());
  }
  const Json base = draft.config;
  draft.overrides = Json::object();
  const auto assign = [&](const std::string& key, const Json& value) {
    draft.config[key] = value;
    draft.overrides[key] = value;
    draft.origins[key] = line.where;
  };
  assign("dataset", line.dataset);
  assign("seed", line.seed);
  assign("shots", line.shots);
  for (const auto& assignment : line.set) {
    const std::string key = assignment.substr(0, assignment.find('='));
    const std::string written = assignment.substr(assignment.find('=') + 1);
    BBPT_CHECK(key != "dataset" && key != "seed" && key != "shots" && key != "model", ConfigError,
               line.where << ": set: " << key << ": give it as the line's field \"" << key << "\""
                          << (key == "model" ? " (--model, for every trial of the list)" : ""));
    BBPT_CHECK(detail::is_known_key(base, key), ConfigError,
               line.where << ": set: " << key << ": not an option of method " << draft.name << " ("
                          << draft.config_path
                          << " does not name it, and it is not a common option)");
    auto read = run::RunConfig::empty();  // YAML's quoting, as --set reads it
    read.set(assignment, line.where);
    const bool quoted = !written.empty() && (written[0] == '\'' || written[0] == '"');
    assign(key, canonical_scalar(read.texts().at(key), quoted));
  }
  draft.model = {Json("default"), "--model"};
  return draft;
}

}  // namespace

Sweep load_trial_list(const std::string& path, const PlanOptions& options) {
  std::istringstream text(core::read_file(path));
  std::vector<Line> lines;
  std::set<std::string> ids;
  int number = 0;
  for (std::string line; std::getline(text, line);) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(number);
    Json j;
    try {
      j = Json::parse(line);
    } catch (const Json::exception& e) {
      BBPT_THROW(ConfigError, where << ": not a JSON object (" << e.what() << ")");
    }
    lines.push_back(read_line(j, where, ids));  // every line checked before any is planned
  }
  Sweep sweep;
  sweep.name = "pack";
  sweep.file = path;
  std::map<std::string, std::string> model_hashes;
  for (const auto& line : lines) {
    auto draft = draft_of(line);
    if (!options.model_override.empty()) draft.model = {Json(options.model_override), "--model"};
    PlannedTrial t = detail::complete_trial(std::move(draft), options, model_hashes);
    t.id = line.id;
    t.index = static_cast<int64_t>(sweep.trials.size());
    sweep.trials.push_back(std::move(t));
  }
  return sweep;
}

void check_trial_list_against(const Sweep& list, const SweepStore& store) {
  for (const auto& t : list.trials) {
    const std::string path = store.trial_dir(t.id) + "/trial.json";
    if (!core::is_regular_file(path)) continue;
    const auto before = planned_trial_from_json(Json::parse(core::read_file(path)));
    if (before.config == t.config && before.model_sha256 == t.model_sha256) continue;
    std::string what = "the model";
    for (const auto& [key, value] : t.config.items()) {
      if (before.config.value(key, Json()) != value) {
        what = key + " (" + before.config.value(key, Json()).dump() + " then, " + value.dump() +
               " now)";
        break;
      }
    }
    for (const auto& [key, value] : before.config.items()) {
      if (what == "the model" && !t.config.contains(key)) what = key + " (gone now)";
    }
    BBPT_THROW(ConfigError,
               t.origin << ": id '" << t.id << "': " << store.trial_dir(t.id)
                        << " holds this id's trial with another config or model (first difference: "
                        << what << "); give the changed trial a new id, or remove "
                        << store.trial_dir(t.id) << " to run it anew");
  }
}

}  // namespace bbpt::sweep
