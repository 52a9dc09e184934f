// SPDX-License-Identifier: MIT
// Sweep files (jobs/*.yaml) and their expansion into trials with stable ids. The format:
//
//   name: demo                      # the sweep's name (default directory sweeps/<name>, Slurm job
//   name) include: [common.yaml]          # optional; read first, this file's values win model:
//   default                  # a CLIP checkpoint path, or default (the embedded default model) set:
//   {budget: 2000, shots: 16}  # values for every trial: method-config keys, dataset, seed, shots
//   grid:                           # axes of the Cartesian product, first key outermost
//     dataset: [fmnist, mnist]
//     seed: {range: [1, 4]}         # 1, 2, 3 (stop excluded, as in Python and Hydra); [start,
//     stop, step]
//   zip:                            # optional groups of axes advanced together (equal lengths);
//   each
//     - {spsa_a: [0.01, 0.02], spsa_c: [0.01, 0.005]}   # group is one more factor of the product
//   methods:                        # one more factor: each entry with its own set, grid and zip
//     zip: {}                       #   config defaults to <configs>/methods/<entry name>.yaml
//     zip-rank1: {config: zip, set: {rank: 1}}
//     bptvlm: {grid: {sigma0: [0.5, 1.0]}}
//   executors: {local: {...}, mpi: {...}, slurm: {...}}   # defaults of `bbpt sweep run` per
//   executor
//   evaluate: [{dataset: mnist}, {classes: new}]   # after a trial: its prompt on these targets
//                                   # (no dataset: the trial's own); a methods: entry's replaces it
//
// A key varies on one axis per trial: a method's own axis replaces a top-level axis of that key
// (e.g. `zeroshot: {grid: {seed: [1]}}`), otherwise two axes of one key are refused; `set` values
// give way to axes, and a method's `set` wins over the top-level one. Every key must be a trial key
// (dataset, seed, shots), a common option, or an option its method config names; anything else,
// and a duplicate key or axis value, is refused with the file, line and key.
//
// A trial's id is a hash of its canonical resolved config (the method config merged with the
// sweep's values, typed, keys sorted: key order and number spelling do not matter), the model's
// sha256 and the bbpt version: the same trial always gets the same id, so growing a grid adds only
// the new cells.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bbpt::sweep {

struct PlannedTrial {
  std::string id;         // 16 hex digits
  int64_t index = 0;      // position in the expansion
  std::string method;     // the methods: entry's name (e.g. zip-rank1)
  std::string algorithm;  // the config's `method:` (e.g. zip)
  std::string dataset;
  uint64_t seed = 1;
  int64_t shots = 16;
  std::string model;  // checkpoint path
  std::string model_sha256;
  nlohmann::json config;     // canonical resolved config: every key with its typed value, sorted
  nlohmann::json overrides;  // the keys the sweep set on top of the method config (for display)
  /// Targets its prompt is evaluated on once it finishes (`evaluate:`; run/evaluation.h), each
  /// {"dataset", "classes"} with the trial's own dataset filled in; not part of the id.
  nlohmann::json evaluate = nlohmann::json::array();
  std::string origin;  // "file:line" of the methods: entry that made it
};

struct Sweep {
  std::string name;
  std::string file;
  std::vector<PlannedTrial> trials;
  /// executors: as written (each executor checks its own keys), and where each value was written
  /// ("slurm.partition" -> "file:line").
  nlohmann::json executors = nlohmann::json::object();
  std::map<std::string, std::string> executor_origins;
};

struct PlanOptions {
  /// The configs/ folder a method entry's `config: <name>` and the default config come from.
  std::string configs_dir;
  /// The checkpoint `model: default` (or no model:) means.
  std::string default_model;
  /// When set, replaces the sweep file's top-level model: (bbpt sweep --model).
  std::string model_override;
  /// Called on every trial's resolved config before its id is computed: adds what the result
  /// depends on from outside the config (the CLI: the LLM's model name and checkpoint fingerprint).
  std::function<void(nlohmann::json& config)> resolve_inputs;
};

/// Reads a sweep file (and its includes) and expands it. Throws ConfigError "<file>:<line>: <key>:
/// <problem>" for unknown keys, duplicate keys or axis values, bad ranges, zips of unequal length,
/// a key set twice, two trials with the same resolved config, and unreadable method configs;
/// IoError when the model file cannot be read.
Sweep load_sweep(const std::string& path, const PlanOptions& options);

/// A YAML scalar as a typed JSON value: integers (and integral numbers such as 5e3 or 1.0) as
/// integers, other numbers as doubles, true/false/yes/no as booleans, the rest (and quoted text) as
/// strings.
nlohmann::json canonical_scalar(const std::string& text, bool quoted);

/// The id of a resolved config: the first 16 hex digits of sha256 over the canonical JSON of
/// {config, model_sha256, bbpt_version}.
std::string trial_id(const nlohmann::json& config, const std::string& model_sha256);

/// A planned trial as one JSON object (manifest.jsonl lines, trials/<id>/trial.json) and back.
nlohmann::json to_json(const PlannedTrial& trial);
PlannedTrial planned_trial_from_json(const nlohmann::json& j);

/// The canonical config as a method config file (one `key: value` line per key), which
/// RunConfig::from_file reads back to the same values.
std::string config_as_yaml(const nlohmann::json& config);

}  // namespace bbpt::sweep
