// SPDX-License-Identifier: MIT
// Implements evaluate_trial: a finished trial rebuilt from its directory, its prompt evaluated on
// another target's test split.
#include "bbpt/run/evaluation.h"

#include <cctype>
#include <chrono>
#include <filesystem>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/core/sha256.h"
#include "bbpt/run/checkpoint.h"
#include "bbpt/run/method.h"
#include "trial_keys.h"

namespace bbpt::run {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

Json read_json_file(const std::string& path, const std::string& what) {
  BBPT_CHECK(core::is_regular_file(path), ConfigError, path << " missing: " << what);
  try {
    return Json::parse(core::read_file(path));
  } catch (const Json::parse_error& e) {
    BBPT_THROW(ConfigError, path << ": not valid JSON (" << e.what() << ")");
  }
}

}  // namespace

std::string describe(const EvaluationTarget& target) {
  if (target.classes == data::ClassSubset::kAll) return target.dataset;
  return target.dataset + " (" + data::to_string(target.classes) + ")";
}

std::string evaluation_path(const std::string& trial_dir, const EvaluationTarget& target) {
  std::string name;
  for (const char c : target.dataset) {
    const bool plain =
        std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    name += plain ? c : '_';
  }
  if (name.size() > 40) name = name.substr(name.size() - 40);
  const std::string classes = data::to_string(target.classes);
  const std::string digest = core::sha256_hex(target.dataset + "\n" + classes).substr(0, 8);
  return trial_dir + "/evaluations/" + name + "-" + classes + "-" + digest + ".json";
}

nlohmann::ordered_json stored_evaluation(const std::string& trial_dir,
                                         const EvaluationTarget& target) {
  const std::string path = evaluation_path(trial_dir, target);
  const std::string result_path = trial_dir + "/result.json";
  if (!core::is_regular_file(path) || !core::is_regular_file(result_path)) return Json();
  try {
    const Json stored = Json::parse(core::read_file(path));
    const Json result = Json::parse(core::read_file(result_path));
    const bool same =
        stored.value("target_dataset", "") == target.dataset &&
        stored.value("target_classes", "") == data::to_string(target.classes) &&
        stored.value("learned_prompt_sha256", "") == result.value("learned_prompt_sha256", "") &&
        stored.value("config_sha256", "") == result.value("config_sha256", "");
    return same ? stored : Json();
  } catch (const std::exception&) {
    return Json();  // damaged: evaluated again
  }
}

nlohmann::ordered_json evaluate_trial(const EvaluationRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  const std::string& dir = request.trial_dir;
  if (request.reuse) {
    Json stored = stored_evaluation(dir, request.target);
    if (!stored.is_null()) return stored;
  }
  const Json result =
      read_json_file(dir + "/result.json", "the trial has not finished (run it to the end first)");
  const std::string config_path = dir + "/config.json";
  const Json config_json = read_json_file(config_path, "not a bbpt run directory");
  BBPT_CHECK(result.value("config_sha256", "") == core::sha256_hex(core::read_file(config_path)),
             ConfigError,
             dir << ": result.json does not belong to config.json (config_sha256 differs); "
                    "run the trial again");
  const auto checkpoint = read_checkpoint(dir + "/checkpoint.bin");
  BBPT_CHECK(checkpoint.has_value(), ConfigError,
             dir << "/checkpoint.bin missing: the learned prompt is kept there; run the trial "
                    "again to write it");
  BBPT_CHECK(checkpoint->config_sha256 == result.value("config_sha256", ""), ConfigError,
             dir << "/checkpoint.bin belongs to another configuration than result.json");

  // The trial's options as it ran them; model, model_sha256 and bbpt_version describe the run.
  Json options = config_json;
  const std::string model_sha256 = options.value("model_sha256", "");
  TrialSpec spec = request.base;
  if (spec.model_path.empty()) spec.model_path = options.value("model", "");
  for (const std::string key : {"model", "model_sha256", "bbpt_version"}) options.erase(key);
  RunConfig config = RunConfig::from_json(options, config_path);
  const CommonOptions common = read_common_options(config);
  spec.dataset = config.get_string("dataset", "");
  spec.seed = read_trial_seed(config, spec.seed);
  spec.shots = read_trial_shots(config, spec.shots);
  spec.classes = read_trial_classes(config, data::ClassSubset::kAll);
  BBPT_CHECK(!spec.model_path.empty() && core::is_regular_file(spec.model_path), ConfigError,
             config_path << ": model '" << spec.model_path
                         << "' not found; pass the checkpoint the trial was trained with");

  auto source = TrialContext::open(spec, &checkpoint->few_shot_train, &checkpoint->few_shot_val);
  BBPT_CHECK(model_sha256.empty() || source->model_fingerprint == model_sha256, ConfigError,
             spec.model_path << " is not the model " << dir << " was trained with (its sha256 "
                             << source->model_fingerprint << " differs from config.json's "
                             << model_sha256 << ")");
  auto method = make_method(common, config, *source);
  config.reject_unread();
  method->load(checkpoint->method);
  auto target = TrialContext::open_target(*source, request.target.dataset, request.target.classes);
  const double accuracy = method->target_test_accuracy(*target);

  Json out;
  out["trial_dir"] = dir;
  out["method"] = common.method;
  out["dataset"] = spec.dataset;
  out["classes"] = data::to_string(spec.classes);
  out["seed"] = spec.seed;
  out["shots"] = spec.shots;
  out["target_dataset"] = request.target.dataset;
  out["target_classes"] = data::to_string(request.target.classes);
  out["num_classes"] = target->num_classes();
  out["test_acc"] = accuracy;
  out["test_images"] = static_cast<int64_t>(target->test_split->size());
  out["learned_prompt_sha256"] = result.value("learned_prompt_sha256", "");
  out["config_sha256"] = result.value("config_sha256", "");
  out["wall_time_s"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (request.store) {
    const std::string path = evaluation_path(dir, request.target);
    fs::create_directories(fs::path(path).parent_path());
    core::write_file_atomic(path, out.dump(2) + "\n");
  }
  return out;
}

}  // namespace bbpt::run
