// SPDX-License-Identifier: MIT
// A list of trials to run, one JSON object per line (what a sweep's expansion produces, and what
// `bbpt pack` reads):
//   {"id": "zip-fmnist-1", "config": "configs/methods/zip.yaml", "dataset": "fmnist", "seed": 1,
//    "shots": 16, "set": ["budget=1000"]}
// id (unique, [A-Za-z0-9._-]), config and dataset are required; seed (1), shots (16) and set ([])
// are optional. A relative config path is taken from the current directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bbpt::sweep {

struct TrialEntry {
  std::string id;
  std::string config_path;
  std::string dataset;
  uint64_t seed = 1;
  int64_t shots = 16;
  std::vector<std::string> overrides;
  // For progress lines only: what the trial is ("zip fmnist seed 1"), the kind of trials of similar
  // cost (the method) and its query budget (0: unknown).
  std::string label;
  std::string kind;
  int64_t budget = 0;
};

/// Reads and checks a trial list. Throws ConfigError "<file>:<line>: <field>: <problem>" for a
/// line that is not a JSON object, a missing or mistyped field, an unknown field, a bad id or a
/// duplicate id; IoError when the file cannot be read. Blank lines are skipped.
std::vector<TrialEntry> read_trial_list(const std::string& path);

}  // namespace bbpt::sweep
