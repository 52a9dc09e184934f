// SPDX-License-Identifier: MIT
// A sweep file as written (grid.h describes the format), includes merged, every value typed and
// tagged with the file and line it came from; grid.cc expands it into trials.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bbpt/sweep/grid.h"

namespace bbpt::sweep::detail {

/// A typed scalar and where it was written ("file:line").
struct Located {
  nlohmann::json value;
  std::string origin;
};

/// One axis of a product: a key and its values in order.
struct Axis {
  std::string key;
  std::vector<Located> values;
  std::string origin;
};

/// Axes advanced together (all of one length).
struct ZipGroup {
  std::vector<Axis> axes;
  std::string origin;
};

/// What a level (the top of the file, or one methods: entry) sets: fixed values, axes, zips. Keys
/// keep the order of first appearance; a later file replaces a value in place.
struct Factors {
  std::vector<std::pair<std::string, Located>> set;
  std::vector<Axis> grid;
  std::vector<ZipGroup> zips;
};

/// One `evaluate:` target as written: a dataset (null: the trial's own) and a class subset (null:
/// all).
struct EvaluationSpec {
  Located dataset;
  Located classes;
  std::string origin;
};

/// An `evaluate:` list (the top level's, or a methods: entry's, which replaces it).
struct Evaluations {
  bool given = false;
  std::vector<EvaluationSpec> targets;
  std::string origin;
};

struct MethodEntry {
  std::string name;
  Located config;  // "" (the default: <configs>/methods/<name>.yaml), a name, or a path
  std::string
      config_dir;  // the directory of the file that named `config` (paths are relative to it)
  Factors factors;
  std::string origin;
  Evaluations evaluate;
};

struct SweepFile {
  std::string path;
  Located name;
  Located model;
  Factors top;
  Evaluations evaluate;
  std::vector<MethodEntry> methods;
  nlohmann::json executors = nlohmann::json::object();
  std::map<std::string, std::string> executor_origins;  // "slurm.partition" -> "file:line"
};

/// Reads `path` and, first, the files it includes (relative to it). Throws ConfigError with file,
/// line and key for anything the format does not allow.
SweepFile read_sweep_file(const std::string& path);

/// A trial before it is completed: the method config's values with what the plan set on top, where
/// each of those was set, and its model. Sweep files (grid.cc) and trial lists (trial_list.cc)
/// make one per trial.
struct TrialDraft {
  nlohmann::json config;                       // typed values, the plan's on top
  nlohmann::json overrides;                    // the keys the plan set (for display)
  std::map<std::string, std::string> origins;  // key -> "file:line" of the plan's values
  Located model;                               // "default" or a checkpoint path, and where
  std::string config_path;                     // the method config file
  std::string origin;                          // "file:line" of what made the trial
  std::string entry;                           // "methods.<name>" in a sweep file; "" in a list
  std::string name;                            // PlannedTrial::method
};

/// The method config file's values, typed (canonical_scalar).
nlohmann::json method_config_values(const std::string& path);

/// Whether a plan may set `key` for a method config with these values: a key it names, a common
/// option, or dataset, seed, shots or model.
bool is_known_key(const nlohmann::json& method_config, const std::string& key);

/// Fills seed and shots (1, 16) and the common options' defaults, checks dataset, seed, shots and
/// that no URL carries credentials, resolves the outside inputs (PlanOptions::resolve_inputs), and
/// makes the planned trial with its id. Throws ConfigError naming draft.origin (and entry).
PlannedTrial complete_trial(TrialDraft draft,
                            const PlanOptions& options,
                            std::map<std::string, std::string>& model_hashes);

}  // namespace bbpt::sweep::detail
