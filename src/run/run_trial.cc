// SPDX-License-Identifier: MIT
// Implements the trial driver: config resolution, the step loop, metrics, checkpoints, results.
#include "bbpt/run/run_trial.h"


#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/core/file_lock.h"
#include "bbpt/core/log.h"
#include "bbpt/core/sha256.h"
#include "bbpt/core/stop_signal.h"
#include "bbpt/data/few_shot.h"
#include "bbpt/eval/query_engine.h"
#include "bbpt/run/method.h"
#include "run_directory.h"
#include "trial_keys.h"

namespace bbpt::run {
namespace {

namespace fs = std::filesystem;

RunConfig load_config(const RunRequest& request) {
  RunConfig config = request.config_path.empty() ? RunConfig::empty() : RunConfig::from_file(request.config_path);
  for (const auto& assignment : request.overrides) config.set(assignment);
  return config;
}

/// Trial-level keys live in the config too (so sweeps can set them); the CLI flags fill them.
void resolve_trial_keys(RunConfig& config, TrialSpec& trial) {
  trial.dataset = config.get_string("dataset", trial.dataset);
  trial.seed = read_trial_seed(config, trial.seed);
  trial.shots = read_trial_shots(config, trial.shots);
  BBPT_CHECK(!trial.dataset.empty(), ConfigError, "no dataset: pass --dataset (or set dataset: in the config)");
}

std::string fingerprint_parameters(const std::vector<double>& p) {
  return core::sha256_hex(std::string_view(reinterpret_cast<const char*>(p.data()), p.size() * sizeof(double)));
}

/// Keeps the first `bytes` bytes of a file (the metrics of the checkpointed steps).
void truncate_file(const std::string& path, int64_t bytes) {
  if (!fs::exists(path)) {
    BBPT_CHECK(bytes == 0, IoError, path << ": missing, but the checkpoint expects " << bytes << " bytes");
    return;
  }
  BBPT_CHECK(static_cast<int64_t>(fs::file_size(path)) >= bytes, IoError,
             path << ": shorter than the checkpoint expects (" << bytes << " bytes); the run directory is damaged");
  fs::resize_file(path, static_cast<uintmax_t>(bytes));
}

/// DIR/run.lock, held for the life of the run: two processes never run one trial directory at
/// once. A status probe (sweep/store.h) may hold it for an instant: wait a second before refusing.
core::FileLock lock_run_directory(const std::string& dir) {
  const std::string path = dir + "/run.lock";
  auto lock = core::FileLock::try_for(path, 1.0);
  if (!lock) {
    BBPT_THROW(run::TrialDirectoryBusy, dir << " is being run by another process (" << path
                                            << " is locked); wait for it, or choose another --out");
  }
  return std::move(*lock);
}

class MetricsWriter {
 public:
  explicit MetricsWriter(const std::string& path) : path_(path), out_(path, std::ios::app | std::ios::binary) {
    BBPT_CHECK(out_.good(), IoError, path << ": cannot open for appending");
  }
  void write(const nlohmann::ordered_json& line) {
    out_ << line.dump() << '\n';
    out_.flush();
    BBPT_CHECK(out_.good(), IoError, path_ << ": write failed (disk full?)");
  }
  /// The file's size (not tellp(): in append mode it is 0 until the first write).
  int64_t bytes() {
    out_.flush();
    return static_cast<int64_t>(fs::file_size(path_));
  }

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace

nlohmann::ordered_json resolve_config(const RunRequest& request) {
  RunConfig config = load_config(request);
  TrialSpec trial = request.trial;
  const auto common = read_common_options(config);
  resolve_trial_keys(config, trial);
  (void)common;
  return config.resolved();
}

namespace {

/// Whether to stop before the next step: the leader's stop request (core/stop_signal.h), shared
/// with the other ranks of a distributed trial so that all stop after the same step.
bool stop_before_next_step(dist::QueryGroup& group) {
  if (!group.distributed()) return core::stop_requested();
  std::vector<int64_t> flag = {group.is_leader() && core::stop_requested() ? 1 : 0};
  group.broadcast(flag);
  return flag[0] != 0;
}

/// The header's first value when the leader failed before the first step (a reason follows).
constexpr int64_t kFailedHeader = -1;

/// What the leader tells the other ranks before the first step: [outcome, |train|, train...,
/// |val|, val...] (the few-shot sample) and the checkpoint bytes to resume from (empty: fresh).
std::vector<int64_t> trial_header(RunOutcome outcome, const data::FewShotSplit& few_shot) {
  std::vector<int64_t> header = {static_cast<int64_t>(outcome), static_cast<int64_t>(few_shot.train.size())};
  header.insert(header.end(), few_shot.train.begin(), few_shot.train.end());
  header.push_back(static_cast<int64_t>(few_shot.val.size()));
  header.insert(header.end(), few_shot.val.begin(), few_shot.val.end());
  return header;
}

/// A non-leader rank: adopts the leader's few-shot sample and checkpoint, builds the same method,
/// and takes part in every step until the budget is spent. Touches nothing in DIR.
RunSummary help_trial(RunConfig& config, const CommonOptions& common, const TrialSpec& trial,
                      dist::QueryGroup group) {
  std::vector<int64_t> header;
  group.broadcast(header);
  RunSummary summary;
  summary.outcome = RunOutcome::kHelped;
  if (header.at(0) == kFailedHeader) {
    std::string reason;
    group.broadcast(reason);
    if (header.at(1) == 1) BBPT_THROW(ConfigError, reason);
    BBPT_THROW(Error, "rank 0 failed: " << reason);
  }
  if (header.at(0) == static_cast<int64_t>(RunOutcome::kAlreadyDone)) return summary;
  const auto train_count = static_cast<size_t>(header.at(1));
  const std::vector<int64_t> train(header.begin() + 2, header.begin() + 2 + static_cast<std::ptrdiff_t>(train_count));
  const auto val_at = 2 + train_count;
  const std::vector<int64_t> val(header.begin() + static_cast<std::ptrdiff_t>(val_at) + 1, header.end());
  BBPT_CHECK(static_cast<int64_t>(val.size()) == header.at(val_at), CommError,
             "the trial header from rank 0 is inconsistent (" << header.size() << " values)");
  auto context = TrialContext::open(trial, &train, &val);
  context->group = group;
  auto method = make_method(common, config, *context);
  config.reject_unread();
  std::string checkpoint_bytes;
  context->group.broadcast(checkpoint_bytes);
  if (!checkpoint_bytes.empty()) {
    const auto checkpoint = parse_checkpoint(checkpoint_bytes, "the checkpoint sent by rank 0");
    method->load(checkpoint.method);
    summary.resumed = true;
    summary.resumed_from_step = checkpoint.steps;
  }
  while (!method->finished()) {
    if (stop_before_next_step(context->group)) {
      summary.outcome = RunOutcome::kStopped;
      return summary;
    }
    method->step();
  }
  return summary;
}

}  // namespace

namespace {

/// The leader's side of run_trial. `header_sent` turns true once the other ranks have been told
/// how the trial starts; before that, a failure must be passed on to them (run_trial does).
RunSummary lead_trial(const RunRequest& request, RunConfig& config, const TrialSpec& trial,
                      const CommonOptions& common, const dist::QueryGroup& group, bool& header_sent,
                      std::chrono::steady_clock::time_point start) {
  prepare_run_directory(request.out_dir, request.allow_foreign_out_dir);
  const std::string dir = request.out_dir;
  const core::FileLock lock = lock_run_directory(dir);
  const std::string result_path = dir + "/result.json";
  const std::string checkpoint_path = dir + "/checkpoint.bin";
  const std::string metrics_path = dir + "/metrics.jsonl";
  const std::string config_path = dir + "/config.json";

  // A checkpoint fixes the few-shot sample; the context is built from it so nothing is redrawn.
  auto checkpoint = read_checkpoint(checkpoint_path);
  auto context = checkpoint ? TrialContext::open(trial, &checkpoint->few_shot_train, &checkpoint->few_shot_val)
                            : TrialContext::open(trial);
  context->group = group;
  auto method = make_method(common, config, *context);
  config.reject_unread();

  nlohmann::ordered_json resolved = config.resolved();
  resolved["model"] = trial.model_path;
  resolved["model_sha256"] = context->model_fingerprint;
  resolved["bbpt_version"] = BBPT_VERSION;
  const std::string config_text = resolved.dump(2) + "\n";
  const std::string config_sha = core::sha256_hex(config_text);

  RunSummary summary;
  if (core::is_regular_file(result_path)) {
    BBPT_CHECK(core::is_regular_file(config_path) && core::read_file(config_path) == config_text, ConfigError,
               dir << " already holds a finished run of another configuration; choose another --out");
    summary.outcome = RunOutcome::kAlreadyDone;
    summary.result = nlohmann::ordered_json::parse(core::read_file(result_path));
    auto header = trial_header(RunOutcome::kAlreadyDone, context->few_shot);
    context->group.broadcast(header);
    header_sent = true;
    return summary;
  }
  double previous_wall_s = 0;
  if (checkpoint) {
    BBPT_CHECK(checkpoint->config_sha256 == config_sha, ConfigError,
               checkpoint_path << " belongs to another configuration (config.json differs); resume with the same "
                                  "config and overrides, or choose another --out");
    method->load(checkpoint->method);
    truncate_file(metrics_path, checkpoint->metrics_bytes);
    previous_wall_s = checkpoint->wall_time_s;
    summary.resumed = true;
    summary.resumed_from_step = checkpoint->steps;
    BBPT_LOG_INFO("resuming " << dir << " at step " << checkpoint->steps << " (" << checkpoint->queries
                              << " queries used)");
  } else {
    // A run of another config that never checkpointed: replacing it is the user's call.
    BBPT_CHECK(
        request.allow_foreign_out_dir || !core::is_regular_file(config_path) ||
            core::read_file(config_path) == config_text,
        ConfigError,
        config_path
            << " holds another configuration (a run that stopped before its first checkpoint); "
               "choose another --out, or pass --force to start this one there");
    core::write_file_atomic(config_path, config_text);
    data::write_few_shot_file(dir + "/few_shot.json", context->few_shot);
    std::ofstream(metrics_path, std::ios::trunc);  // a fresh run starts an empty metrics file
  }

  if (context->group.distributed()) {
    auto header = trial_header(RunOutcome::kFinished, context->few_shot);
    context->group.broadcast(header);
    header_sent = true;
    std::string checkpoint_bytes = checkpoint ? serialize_checkpoint(*checkpoint) : std::string();
    context->group.broadcast(checkpoint_bytes);
  }

  MetricsWriter metrics(metrics_path);
  const auto test_subset = eval::fixed_subset(static_cast<int64_t>(context->test_split->size()),
                                              common.eval_subset,
                                              derive_seed(trial.seed, SeedPurpose::kTestSubset));
  const auto elapsed_s = [&]() {
    return previous_wall_s +
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const auto save = [&]() {
    Checkpoint c;
    c.config_sha256 = config_sha;
    c.steps = method->steps_done();
    c.queries = method->queries_used();
    c.metrics_bytes = metrics.bytes();
    c.wall_time_s = elapsed_s();
    c.few_shot_train = context->few_shot.train;
    c.few_shot_val = context->few_shot.val;
    method->save(c.method);
    write_checkpoint(checkpoint_path, c);
  };

  while (!method->finished()) {
    if (stop_before_next_step(context->group)) {
      save();
      summary.outcome = RunOutcome::kStopped;
      BBPT_LOG_INFO("stop requested (signal " << core::stop_signal() << "): " << dir << " checkpointed at step "
                                              << method->steps_done() << "; the same command continues it");
      return summary;
    }
    const int64_t queries_before = method->queries_used();
    StepMetrics m = method->step();
    nlohmann::ordered_json line;
    line["step"] = m.step;
    line["queries"] = m.queries;
    line["train_loss"] = m.train_loss;
    line["train_acc"] = m.train_acc;
    for (const auto& [key, value] : m.extra.items()) line[key] = value;
    // Test accuracy at fixed query counts: whenever the step crosses a multiple of eval_every.
    if (common.eval_every > 0 && m.queries / common.eval_every > queries_before / common.eval_every) {
      line["test_acc_subset"] = method->subset_test_accuracy(test_subset);
      line["test_subset_size"] = static_cast<int64_t>(test_subset.size());
    }
    metrics.write(line);
    if (request.progress_every > 0 && m.step % request.progress_every == 0) {
      std::cerr << "bbpt: " << common.method << " " << trial.dataset << " seed " << trial.seed << ": step " << m.step
                << ", " << m.queries;
      if (common.budget > 0) std::cerr << "/" << common.budget;
      std::cerr << " queries, train loss " << std::fixed
                << std::setprecision(4) << m.train_loss << ", train acc " << std::setprecision(3) << m.train_acc
                << "\n";
    }
    if (m.step % common.checkpoint_every == 0) save();
    if (request.on_step) request.on_step(m.step, m.queries);
  }

  const FinalMetrics final_metrics = method->finish();
  nlohmann::ordered_json result;
  result["method"] = common.method;
  result["dataset"] = trial.dataset;
  result["seed"] = trial.seed;
  result["shots"] = trial.shots;
  result["budget"] = common.budget;
  result["queries_used"] = method->queries_used();
  result["steps"] = method->steps_done();
  result["train_loss"] = final_metrics.train_loss;
  result["train_acc"] = final_metrics.train_acc;
  result["test_acc"] = final_metrics.test_acc;
  result["test_images"] = final_metrics.test_images;
  result["num_learned_parameters"] = static_cast<int64_t>(final_metrics.learned_parameters.size());
  result["learned_prompt_sha256"] = fingerprint_parameters(final_metrics.learned_parameters);
  for (const auto& [key, value] : final_metrics.extra.items()) result[key] = value;
  result["config_sha256"] = config_sha;
  result["wall_time_s"] = elapsed_s();
  save();  // the final state, so the learned prompt can be reloaded
  core::write_file_atomic(result_path, result.dump(2) + "\n");
  summary.result = result;
  return summary;
}

}  // namespace

RunSummary run_trial(const RunRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  RunConfig config = load_config(request);
  TrialSpec trial = request.trial;
  const CommonOptions common = read_common_options(config);
  resolve_trial_keys(config, trial);
  dist::QueryGroup group = request.communicator ? dist::QueryGroup(*request.communicator) : dist::QueryGroup();
  BBPT_CHECK(!group.distributed() || common.method != "coop", ConfigError,
             "coop trains with gradients on one process; run it without mpirun (or with -np 1)");
  if (!group.is_leader()) return help_trial(config, common, trial, group);
  bool header_sent = false;
  try {
    return lead_trial(request, config, trial, common, group, header_sent, start);
  } catch (const std::exception& e) {
    // The other ranks wait for the header: tell them the trial failed, and why, so that they fail
    // the same way instead of waiting for the timeout.
    if (group.distributed() && !header_sent) {
      const bool config_error = dynamic_cast<const ConfigError*>(&e) != nullptr;
      std::vector<int64_t> header = {kFailedHeader, config_error ? 1 : 0};
      std::string reason = e.what();
      group.broadcast(header);
      group.broadcast(reason);
    }
    throw;
  }
}

}  // namespace bbpt::run
