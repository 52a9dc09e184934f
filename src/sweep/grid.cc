// SPDX-License-Identifier: MIT
// Expands a sweep file into trials (grid.h): per method entry, the product of its axes and zips
// with the top-level ones, each cell resolved against the method config and given its id.
#include "bbpt/sweep/grid.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/core/redact.h"
#include "bbpt/core/sha256.h"
#include "bbpt/data/class_subset.h"
#include "bbpt/run/method.h"
#include "bbpt/run/run_config.h"
#include "sweep_file.h"

namespace bbpt::sweep {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using detail::Axis;
using detail::Located;

constexpr int64_t kMaxTrials = 1000000;

/// Keys that describe the trial rather than the method (run_trial reads dataset, seed, shots and
/// classes from the config too; model is the checkpoint).
const std::set<std::string>& trial_keys() {
  static const std::set<std::string> keys = {"dataset", "seed", "shots", "classes", "model"};
  return keys;
}

/// The keys every method reads (read_common_options), with their defaults filled for `config`.
/// `origins`: where the sweep file set each key ("file:line"), for the messages.
Json common_options(const Json& config, const std::map<std::string, std::string>& origins = {}) {
  auto run_config = run::RunConfig::empty();
  for (const auto& [key, value] : config.items()) {
    const auto at = origins.find(key);
    run_config.set(key + "=" + value.dump(), at == origins.end() ? "" : at->second);
  }
  run::read_common_options(run_config);
  Json out;
  for (const auto& [key, value] : run_config.resolved().items()) {
    Json v = value;
    if (v.is_number_float() && v.get<double>() == std::floor(v.get<double>()) &&
        std::fabs(v.get<double>()) < 9e15) {
      v = static_cast<int64_t>(v.get<double>());
    }
    out[key] = v;
  }
  return out;
}

const std::set<std::string>& common_keys() {
  static const std::set<std::string> keys = [] {
    std::set<std::string> k;
    const Json defaults = common_options(Json{{"method", "zeroshot"}});
    for (const auto& [key, value] : defaults.items()) k.insert(key);
    return k;
  }();
  return keys;
}

std::string method_config_path(const detail::MethodEntry& m, const PlanOptions& options) {
  const std::string named = m.config.value.get<std::string>();
  const std::string what = named.empty() ? m.name : named;
  const bool is_path = what.find('/') != std::string::npos ||
                       fs::path(what).extension() == ".yaml" ||
                       fs::path(what).extension() == ".yml";
  const fs::path path =
      is_path ? (fs::path(what).is_absolute() ? fs::path(what) : fs::path(m.config_dir) / what)
              : fs::path(options.configs_dir) / "methods" / (what + ".yaml");
  BBPT_CHECK(fs::is_regular_file(path), ConfigError,
             (named.empty() ? m.origin : m.config.origin)
                 << ": methods." << m.name << ": method config " << path.string() << " not found"
                 << (named.empty() ? " (name one with config: <name or path>; the shipped ones are "
                                     "in configs/methods/)"
                                   : ""));
  return path.string();
}

/// One factor of the product: an axis, or a zip group (several axes advanced together).
struct Factor {
  std::vector<const Axis*> axes;
  size_t size() const { return axes.front()->values.size(); }
};

class MethodExpansion {
 public:
  /// `model_hashes`: checkpoint path -> sha256, shared by the entries of one plan (hashing a
  /// checkpoint reads all of it).
  MethodExpansion(const detail::SweepFile& file,
                  const detail::MethodEntry& m,
                  const PlanOptions& options,
                  std::map<std::string, std::string>& model_hashes)
      : file_(file),
        m_(m),
        options_(options),
        model_hashes_(model_hashes),
        config_path_(method_config_path(m, options)) {
    base_ = detail::method_config_values(config_path_);
    // A method's own axis replaces a top-level axis of the same key (e.g. zero-shot on seed 1
    // only).
    std::set<std::string> method_axes;
    for (const auto& axis : m.factors.grid) method_axes.insert(axis.key);
    for (const auto& zip : m.factors.zips) {
      for (const auto& axis : zip.axes) method_axes.insert(axis.key);
    }
    for (const auto* f : {&file.top, &m.factors}) {
      const bool top = f == &file.top;
      for (const auto& axis : f->grid) {
        if (!top || !method_axes.count(axis.key)) factors_.push_back(Factor{{&axis}});
      }
      for (const auto& zip : f->zips) {
        Factor factor;
        for (const auto& axis : zip.axes) {
          BBPT_CHECK(!top || !method_axes.count(axis.key), ConfigError,
                     axis.origin << ": " << axis.key << ": zipped here and an axis of method "
                                 << m.name << " too; give that method its own zip group instead");
          factor.axes.push_back(&axis);
        }
        factors_.push_back(factor);
      }
    }
    check_keys();
  }

  /// Calls `emit` for every cell, in order (first axis outermost).
  void expand(const std::function<void(PlannedTrial)>& emit) {
    int64_t total = 1;
    for (const auto& f : factors_) {
      total *= static_cast<int64_t>(f.size());
      BBPT_CHECK(total <= kMaxTrials, ConfigError,
                 m_.origin << ": methods." << m_.name << ": more than " << kMaxTrials
                           << " trials; split the sweep");
    }
    std::vector<size_t> at(factors_.size(), 0);
    for (int64_t cell = 0; cell < total; ++cell) {
      emit(resolve(at));
      for (size_t f = factors_.size(); f-- > 0;) {  // odometer: the last factor turns fastest
        if (++at[f] < factors_[f].size()) break;
        at[f] = 0;
      }
    }
  }

 private:
  bool known(const std::string& key) const { return detail::is_known_key(base_, key); }

  void check_key(const std::string& key, const std::string& origin) const {
    BBPT_CHECK(known(key), ConfigError,
               origin << ": " << key << ": not an option of method " << m_.name << " ("
                      << config_path_
                      << " does not name it, and it is not dataset, seed, shots, classes, model or "
                         "a common option)");
  }

  void check_keys() const {
    for (const auto* f : {&file_.top, &m_.factors}) {
      for (const auto& [key, value] : f->set) check_key(key, value.origin);
    }
    std::map<std::string, std::string> axis_origin;
    for (const auto& factor : factors_) {
      for (const auto* axis : factor.axes) {
        check_key(axis->key, axis->origin);
        BBPT_CHECK(!axis_origin.count(axis->key), ConfigError,
                   axis->origin << ": " << axis->key << ": already an axis at "
                                << axis_origin[axis->key] << " (for method " << m_.name
                                << "); a key may vary on one axis only");
        axis_origin[axis->key] = axis->origin;
      }
    }
  }

  PlannedTrial resolve(const std::vector<size_t>& at) {
    Json config = base_;
    Json overrides = Json::object();
    Located model = file_.model;
    std::map<std::string, std::string> origin;
    const auto assign = [&](const std::string& key, const Located& v) {
      if (key == "model") {
        model = v;
      } else {
        config[key] = v.value;
        overrides[key] = v.value;
      }
      origin[key] = v.origin;
    };
    for (const auto& [key, v] : file_.top.set) assign(key, v);
    for (const auto& [key, v] : m_.factors.set) assign(key, v);
    for (size_t f = 0; f < factors_.size(); ++f) {
      for (const auto* axis : factors_[f].axes) assign(axis->key, axis->values[at[f]]);
    }
    detail::TrialDraft draft;
    draft.config = std::move(config);
    draft.overrides = std::move(overrides);
    draft.origins = std::move(origin);
    draft.model = model;
    draft.config_path = config_path_;
    draft.origin = m_.origin;
    draft.entry = "methods." + m_.name;
    draft.name = m_.name;
    PlannedTrial t = detail::complete_trial(std::move(draft), options_, model_hashes_);
    t.evaluate = evaluations(t.dataset);
    return t;
  }

  /// The trial's `evaluate:` targets (the method entry's list, else the top level's), each
  /// {"dataset", "classes"} with the trial's dataset where none is named; duplicates once.
  Json evaluations(const std::string& dataset) const {
    const auto& list = m_.evaluate.given ? m_.evaluate : file_.evaluate;
    Json out = Json::array();
    for (const auto& spec : list.targets) {
      const Json& d = spec.dataset.value;
      BBPT_CHECK(d.is_null() || (d.is_string() && !d.get<std::string>().empty()), ConfigError,
                 spec.dataset.origin << ": evaluate.dataset: expected a dataset name");
      const std::string classes =
          spec.classes.value.is_null() ? "all" : spec.classes.value.get<std::string>();
      data::parse_class_subset(classes, spec.classes.origin + ": evaluate");
      const Json target = {{"dataset", d.is_null() ? dataset : d.get<std::string>()},
                           {"classes", classes}};
      if (std::find(out.begin(), out.end(), target) == out.end()) out.push_back(target);
    }
    return out;
  }

  const detail::SweepFile& file_;
  const detail::MethodEntry& m_;
  const PlanOptions& options_;
  std::map<std::string, std::string>& model_hashes_;
  std::string config_path_;
  Json base_ = Json::object();
  std::vector<Factor> factors_;
};

/// A sweep stores every trial's config (trial.json, method.yaml, manifest.jsonl, results.sqlite
/// and .csv), and the config is the trial's identity, so a value cannot be stored redacted: a URL
/// with credentials is refused, and they go through the environment instead.
void check_no_credentials(const Json& config,
                          const std::map<std::string, std::string>& origins,
                          const std::string& config_path) {
  for (const auto& [key, value] : config.items()) {
    if (!value.is_string() || !core::has_url_credentials(value.get<std::string>())) continue;
    const auto at = origins.find(key);
    BBPT_THROW(ConfigError,
               (at != origins.end() ? at->second : config_path)
                   << ": " << key << ": " << core::redact_urls(value.get<std::string>())
                   << " carries credentials, which the sweep directory would store; give the URL "
                      "without them ($BBPT_LLM_BASE_URL, read when a trial runs and never stored, "
                      "may hold them; an API key goes in the variable llm_api_key_env names)");
  }
}

std::string model_path(const Located& model, const PlanOptions& options) {
  const std::string text =
      model.value.is_string() ? model.value.get<std::string>() : model.value.dump();
  if (text.empty() || text == "default") return options.default_model;
  return fs::absolute(text).lexically_normal().string();
}

std::string model_sha256(const std::string& path,
                         const std::string& origin,
                         std::map<std::string, std::string>& model_hashes) {
  if (const auto it = model_hashes.find(path); it != model_hashes.end()) return it->second;
  BBPT_CHECK(fs::is_regular_file(path), ConfigError,
             origin << ": model: " << path
                    << " not found (a trial's id includes its model's sha256); "
                    << "pretrain the embedded default first (bbpt pretrain) or point model: at a "
                       "checkpoint");
  return model_hashes[path] = core::sha256_file(path);
}

std::string describe(const PlannedTrial& t) {
  std::ostringstream out;
  out << t.method << " on " << t.dataset << ", seed " << t.seed;
  if (!t.overrides.empty()) out << ", " << t.overrides.dump();
  return out.str();
}

}  // namespace

namespace detail {

Json method_config_values(const std::string& path) {
  Json values = Json::object();
  for (const auto& [key, text] : run::RunConfig::from_file(path).texts())
    values[key] = canonical_scalar(text, false);
  return values;
}

bool is_known_key(const Json& method_config, const std::string& key) {
  return method_config.contains(key) || common_keys().count(key) || trial_keys().count(key);
}

PlannedTrial complete_trial(TrialDraft draft,
                            const PlanOptions& options,
                            std::map<std::string, std::string>& model_hashes) {
  Json& config = draft.config;
  auto& origin = draft.origins;
  // "file:line: methods.zip" for a sweep's entry, "file:line" for a trial list's line.
  const std::string where = draft.entry.empty() ? draft.origin : draft.origin + ": " + draft.entry;
  if (!config.contains("seed")) config["seed"] = 1;  // TrialSpec's defaults, spelled out so that an
  if (!config.contains("shots")) config["shots"] = 16;  // explicit seed: 1 is the same trial
  BBPT_CHECK(config.contains("dataset") && config["dataset"].is_string(), ConfigError,
             where << ": no dataset; set one under set: or grid: (e.g. grid: {dataset: [fmnist]})");
  BBPT_CHECK(config["seed"].is_number_integer() && config["seed"].get<int64_t>() >= 0, ConfigError,
             (origin.count("seed") ? origin["seed"] : draft.origin)
                 << ": seed: expected an integer >= 0, got " << config["seed"].dump());
  BBPT_CHECK(config["shots"].is_number_integer() && config["shots"].get<int64_t>() >= 1,
             ConfigError,
             (origin.count("shots") ? origin["shots"] : draft.origin)
                 << ": shots: expected an integer >= 1, got " << config["shots"].dump());
  if (config.contains("classes")) {
    const std::string at = origin.count("classes") ? origin["classes"] : draft.origin;
    BBPT_CHECK(config["classes"].is_string(), ConfigError,
               at << ": classes: expected all, base or new, got " << config["classes"].dump());
    // classes: all is the default: the same trial (and id) as a config without the key.
    if (data::parse_class_subset(config["classes"].get<std::string>(), at) ==
        data::ClassSubset::kAll) {
      config.erase("classes");
      draft.overrides.erase("classes");
    }
  }
  try {
    std::map<std::string, std::string> at = origin;
    for (const auto& [key, value] : config.items())
      at.emplace(key, draft.config_path);  // from the method config
    const Json common = common_options(config, at);
    for (const auto& [key, value] : common.items()) config[key] = value;
  } catch (const ConfigError& e) {
    // A message that names its line in the plan's file keeps it; others get the entry's line.
    const std::string what = e.what();
    const std::string file = draft.origin.substr(0, draft.origin.rfind(':'));
    if (what.rfind(file + ":", 0) == 0) {
      BBPT_THROW(ConfigError, what << (draft.entry.empty() ? "" : " (" + draft.entry + ")"));
    }
    BBPT_THROW(ConfigError, where << ": " << what);
  }
  check_no_credentials(config, origin, draft.config_path);
  if (options.resolve_inputs) {
    try {
      options.resolve_inputs(config);
    } catch (const Error& e) {
      BBPT_THROW(ConfigError, where << ": " << e.what());
    }
  }
  PlannedTrial t;
  t.method = draft.name;
  t.algorithm = config["method"].get<std::string>();
  t.dataset = config["dataset"].get<std::string>();
  t.seed = config["seed"].get<uint64_t>();
  t.shots = config["shots"].get<int64_t>();
  t.model = model_path(draft.model, options);
  t.model_sha256 = model_sha256(t.model, draft.model.origin, model_hashes);
  t.config = config;
  t.overrides = draft.overrides;
  t.origin = draft.origin;
  t.id = trial_id(config, t.model_sha256);
  return t;
}

}  // namespace detail

Sweep load_sweep(const std::string& path, const PlanOptions& options) {
  auto file = detail::read_sweep_file(path);
  if (!options.model_override.empty())
    file.model = {nlohmann::json(options.model_override), "--model"};
  Sweep sweep;
  sweep.name = file.name.value.get<std::string>();
  sweep.file = path;
  sweep.executors = file.executors;
  sweep.executor_origins = file.executor_origins;
  std::map<std::string, const PlannedTrial*> by_id;
  std::map<std::string, std::string> model_hashes;
  for (const auto& m : file.methods) {
    MethodExpansion(file, m, options, model_hashes).expand([&](PlannedTrial t) {
      t.index = static_cast<int64_t>(sweep.trials.size());
      sweep.trials.push_back(std::move(t));
    });
  }
  for (const auto& t : sweep.trials) {
    const auto [it, fresh] = by_id.emplace(t.id, &t);
    BBPT_CHECK(fresh, ConfigError,
               t.origin << ": methods." << t.method << ": the trial " << describe(t)
                        << " resolves to the same config as " << describe(*it->second) << " ("
                        << it->second->origin << "); the sweep would run it twice");
  }
  return sweep;
}

}  // namespace bbpt::sweep
