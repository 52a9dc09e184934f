// SPDX-License-Identifier: MIT
// A hand-written list of trials, one JSON object per line (what `bbpt pack --trials` reads):
//   {"id": "zip-fmnist-1", "config": "configs/methods/zip.yaml", "dataset": "fmnist", "seed": 1,
//    "shots": 16, "set": ["budget=1000"]}
// id (unique, [A-Za-z0-9._-]), config and dataset are required; seed (1), shots (16) and set ([])
// are optional. A relative config path is taken from the current directory.
//
// A list is planned as a sweep is (grid.h): each line becomes a PlannedTrial whose config is the
// method config with the line's dataset, seed, shots and set on top, completed and checked as a
// sweep file's trials are, and run by the same executors into the same store (store.h). Two things
// differ: the trial's id is the line's id (it names DIR/trials/<id>/), not a hash of the config,
// and its method is the config file's stem.
#pragma once

#include <string>

#include "bbpt/sweep/grid.h"
#include "bbpt/sweep/store.h"

namespace bbpt::sweep {

/// Reads, checks and plans a trial list. The model is options.model_override, else
/// options.default_model; options.resolve_inputs is applied as for a sweep. Throws ConfigError
/// "<file>:<line>: <field>: <problem>" for a line that is not a JSON object, a missing or mistyped
/// field, an unknown field, a bad or duplicate id, a set key the method does not have, and a method
/// config that cannot be read; IoError when the file cannot be read. Blank lines are skipped. The
/// Sweep's name is "pack" and its file the list.
Sweep load_trial_list(const std::string& path, const PlanOptions& options);

/// Refuses (ConfigError naming the line and the directory) a trial of `list` whose directory in
/// `store` was planned with another config or model: a list's ids are the user's, so an edited
/// line would otherwise count the old trial's result as its own.
void check_trial_list_against(const Sweep& list, const SweepStore& store);

}  // namespace bbpt::sweep
