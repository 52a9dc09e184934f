// SPDX-License-Identifier: MIT
// Implements the trial driver: config resolution, the step loop, metrics, checkpoints, results.
#include "bbpt/run/run_trial.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <utility>

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
#include "trial_protocol.h"

namespace bbpt::run {
namespace {

namespace fs = std::filesystem;

/// Trial-level keys live in the config too (so sweeps can set them); the CLI flags fill them.
void resolve_trial_keys(RunConfig& config, TrialSpec& trial) {
  trial.dataset = config.get_string("dataset", trial.dataset);
  trial.seed = read_trial_seed(config, trial.seed);
  trial.shots = read_trial_shots(config, trial.shots);
  trial.classes = read_trial_classes(config, trial.classes);
  BBPT_CHECK(!trial.dataset.empty(), ConfigError,
             "no dataset: pass --dataset (or set dataset: in the config)");
}

std::string fingerprint_parameters(const std::vector<double>& p) {
  return core::sha256_hex(
      std::string_view(reinterpret_cast<const char*>(p.data()), p.size() * sizeof(double)));
}

/// Keeps the first `bytes` bytes of a file (the metrics of the checkpointed steps).
void truncate_file(const std::string& path, int64_t bytes) {
  if (!fs::exists(path)) {
    BBPT_CHECK(bytes == 0, IoError,
               path << ": missing, but the checkpoint expects " << bytes << " bytes");
    return;
  }
  BBPT_CHECK(static_cast<int64_t>(fs::file_size(path)) >= bytes, IoError,
             path << ": shorter than the checkpoint expects (" << bytes
                  << " bytes); the run directory is damaged");
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
  explicit MetricsWriter(const std::string& path)
      : path_(path), out_(path, std::ios::app | std::ios::binary) {
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

RunConfig load_run_config(const RunRequest& request) {
  RunConfig config =
      request.config_path.empty() ? RunConfig::empty() : RunConfig::from_file(request.config_path);
  for (const auto& assignment : request.overrides) config.set(assignment);
  return config;
}

nlohmann::ordered_json resolve_config(const RunRequest& request) {
  RunConfig config = load_run_config(request);
  TrialSpec trial = request.trial;
  const auto common = read_common_options(config);
  resolve_trial_keys(config, trial);
  (void)common;
  return config.resolved();
}

namespace {

using detail::StepControl;
using detail::TrialHeader;

/// help_trial once the trial has started: every step the leader's control messages call for.
RunSummary follow_leader(RunConfig& config,
                         const CommonOptions& common,
                         const TrialSpec& trial,
                         dist::QueryGroup group,
                         const TrialHeader& header) {
  RunSummary summary;
  summary.outcome = RunOutcome::kHelped;
  auto context = TrialContext::open(trial, &header.few_shot_train, &header.few_shot_val);
  context->group = group;
  auto method = make_method(common, config, *context);
  config.reject_unread();
  if (!header.checkpoint.empty()) {
    const auto checkpoint = parse_checkpoint(header.checkpoint, "the checkpoint sent by rank 0");
    method->load(checkpoint.method);
    summary.resumed = true;
    summary.resumed_from_step = checkpoint.steps;
  }
  for (;;) {
    const StepControl control = detail::exchange_control(context->group, StepControl());
    switch (control.kind) {
      case StepControl::Kind::kContinue:
        try {
          method->step();
        } catch (const dist::GroupEvaluationFailed&) {
          // Every rank of the group failed the step together; rank 0's next control message says
          // so.
        }
        break;
      case StepControl::Kind::kFinished:
        return summary;
      case StepControl::Kind::kStop:
        summary.outcome = RunOutcome::kStopped;
        return summary;
      case StepControl::Kind::kFailed:
        throw LeaderFailed("rank 0 failed after step " + std::to_string(control.step) + ": " +
                           control.reason);
    }
  }
}

/// A non-leader rank: adopts the leader's few-shot sample and checkpoint, builds the same method,
/// and takes part in every step the leader's control messages call for. Touches nothing in DIR.
RunSummary help_trial(RunConfig& config,
                      const CommonOptions& common,
                      const TrialSpec& trial,
                      dist::QueryGroup group) {
  const TrialHeader header = detail::exchange_header(group, TrialHeader());
  RunSummary summary;
  summary.outcome = RunOutcome::kHelped;
  if (header.kind == TrialHeader::Kind::kFailed) {
    if (header.config_error) BBPT_THROW(ConfigError, header.reason);
    throw LeaderFailed("rank 0 failed: " + header.reason);
  }
  if (header.kind == TrialHeader::Kind::kAlreadyDone) return summary;
  try {
    return follow_leader(config, common, trial, group, header);
  } catch (const LeaderFailed&) {
    throw;
  } catch (const CommError&) {
    throw;
  } catch (const std::exception& e) {
    // This rank failed while its leader went on: the group cannot keep in step any more, and the
    // leader would wait for this rank in the step's collectives. Ending the job is the only way
    // that no rank waits for a failed peer (the executors end it on a CommError).
    BBPT_THROW(
        CommError,
        "rank " << group.rank() << " of the trial's group failed on its own (" << e.what()
                << "); the ranks can no longer keep in step, so the job ends. Fix the cause on "
                   "this rank's node and run the same command again");
  }
}

/// The one-line reason of a failure, in the user's terms where bbpt knows them.
std::string failure_reason(const std::exception& e, const CommonOptions& common, int64_t step) {
  if (dynamic_cast<const NumericalError*>(&e) != nullptr) {
    std::ostringstream reason;
    reason << common.method << ": the training loss became non-finite in step " << step + 1 << " ("
           << e.what()
           << "); the prompt or the model produced NaN or infinite values: check the model file "
              "(bbpt model check), "
              "init_std and the step-size settings of configs/methods/"
           << common.method << ".yaml";
    return reason.str();
  }
  return e.what();
}

}  // namespace

namespace {

/// Where the other ranks of a distributed trial wait for the leader: what run_trial must send them
/// when the leader fails (trial_protocol.h).
enum class HelpersWait {
  kForHeader,   // a failed header
  kForControl,  // a failed step control (steps done so far in `steps`)
  kForNothing,  // they have left the trial
};

struct LeaderState {
  HelpersWait helpers = HelpersWait::kForHeader;
  int64_t steps = 0;
};

/// The leader's side of run_trial. `state` says where the other ranks wait: if the leader fails,
/// run_trial passes the failure on to them there.
RunSummary lead_trial(const RunRequest& request,
                      RunConfig& config,
                      const TrialSpec& trial,
                      const CommonOptions& common,
                      dist::QueryGroup& group,
                      LeaderState& state,
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
  auto context =
      checkpoint ? TrialContext::open(trial, &checkpoint->few_shot_train, &checkpoint->few_shot_val)
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
    BBPT_CHECK(
        core::is_regular_file(config_path) && core::read_file(config_path) == config_text,
        ConfigError,
        dir << " already holds a finished run of another configuration; choose another --out");
    summary.outcome = RunOutcome::kAlreadyDone;
    summary.result = nlohmann::ordered_json::parse(core::read_file(result_path));
    TrialHeader header;
    header.kind = TrialHeader::Kind::kAlreadyDone;
    detail::exchange_header(group, std::move(header));
    state.helpers = HelpersWait::kForNothing;
    return summary;
  }
  double previous_wall_s = 0;
  if (checkpoint) {
    BBPT_CHECK(
        checkpoint->config_sha256 == config_sha, ConfigError,
        checkpoint_path
            << " belongs to another configuration (config.json differs); resume with the same "
               "config and overrides, or choose another --out");
    method->load(checkpoint->method);
    truncate_file(metrics_path, checkpoint->metrics_bytes);
    previous_wall_s = checkpoint->wall_time_s;
    summary.resumed = true;
    summary.resumed_from_step = checkpoint->steps;
    BBPT_LOG_INFO("resuming " << dir << " at step " << checkpoint->steps << " ("
                              << checkpoint->queries << " queries used)");
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

  if (group.distributed()) {
    TrialHeader header;
    header.few_shot_train = context->few_shot.train;
    header.few_shot_val = context->few_shot.val;
    if (checkpoint) header.checkpoint = serialize_checkpoint(*checkpoint);
    detail::exchange_header(group, std::move(header));
  }
  state.helpers = HelpersWait::kForControl;

  MetricsWriter metrics(metrics_path);
  const auto test_subset =
      eval::fixed_subset(static_cast<int64_t>(context->test_split->size()), common.eval_subset,
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

  for (;;) {
    // Every step starts with the leader's control message, and the trial ends with one: the other
    // ranks leave with the leader whatever ends the trial (a failure is sent by run_trial).
    state.steps = method->steps_done();
    StepControl control;
    control.step = state.steps;
    if (method->finished()) {
      control.kind = StepControl::Kind::kFinished;
    } else if (core::stop_requested()) {
      control.kind = StepControl::Kind::kStop;
    } else {
      method->prepare_step();  // leader-only work that may fail (an LLM's proposals)
    }
    detail::exchange_control(group, control);
    if (control.kind == StepControl::Kind::kFinished) break;
    if (control.kind == StepControl::Kind::kStop) {
      state.helpers = HelpersWait::kForNothing;
      save();
      summary.outcome = RunOutcome::kStopped;
      BBPT_LOG_INFO("stop requested (signal " << core::stop_signal() << "): " << dir
                                              << " checkpointed at step " << method->steps_done()
                                              << "; the same command continues it");
      return summary;
    }
    const int64_t queries_before = method->queries_used();
    StepMetrics m = method->step();
    BBPT_CHECK(std::isfinite(m.train_loss), NumericalError,
               "the step's train loss is " << m.train_loss);
    nlohmann::ordered_json line;
    line["step"] = m.step;
    line["queries"] = m.queries;
    line["train_loss"] = m.train_loss;
    line["train_acc"] = m.train_acc;
    for (const auto& [key, value] : m.extra.items()) line[key] = value;
    // Test accuracy at fixed query counts: whenever the step crosses a multiple of eval_every.
    if (common.eval_every > 0 &&
        m.queries / common.eval_every > queries_before / common.eval_every) {
      line["test_acc_subset"] = method->subset_test_accuracy(test_subset);
      line["test_subset_size"] = static_cast<int64_t>(test_subset.size());
    }
    metrics.write(line);
    if (request.progress_every_steps > 0 && m.step % request.progress_every_steps == 0) {
      std::cerr << "bbpt: " << common.method << " " << trial.dataset << " seed " << trial.seed
                << ": step " << m.step << ", " << m.queries;
      if (common.budget_queries > 0) std::cerr << "/" << common.budget_queries;
      std::cerr << " queries, train loss " << std::fixed << std::setprecision(4) << m.train_loss
                << ", train acc " << std::setprecision(3) << m.train_acc << "\n";
    }
    if (m.step % common.checkpoint_every_steps == 0) save();
    if (request.on_step) request.on_step(m.step, m.queries);
  }

  state.helpers = HelpersWait::kForNothing;
  const FinalMetrics final_metrics = method->finish();
  nlohmann::ordered_json result;
  result["method"] = common.method;
  result["dataset"] = trial.dataset;
  result["seed"] = trial.seed;
  result["shots"] = trial.shots;
  if (trial.classes != data::ClassSubset::kAll) result["classes"] = data::to_string(trial.classes);
  result["budget"] = common.budget_queries;
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
  RunConfig config = load_run_config(request);
  TrialSpec trial = request.trial;
  const CommonOptions common = read_common_options(config);
  resolve_trial_keys(config, trial);
  dist::QueryGroup group =
      request.communicator ? dist::QueryGroup(*request.communicator) : dist::QueryGroup();
  BBPT_CHECK(!group.distributed() || common.method != "coop", ConfigError,
             "coop trains with gradients on one process; run it without mpirun (or with -np 1)");
  if (!group.is_leader()) return help_trial(config, common, trial, group);
  LeaderState state;
  try {
    return lead_trial(request, config, trial, common, group, state, start);
  } catch (const std::exception& e) {
    const std::string reason = failure_reason(e, common, state.steps);
    // The other ranks wait for the leader: tell them the trial failed, and why, where they wait,
    // so that they end it with the leader instead of waiting for the communication timeout. (After
    // a communication failure nothing more is sent: the executors end the job.)
    const bool tell = group.distributed() && dynamic_cast<const CommError*>(&e) == nullptr;
    if (tell && state.helpers == HelpersWait::kForHeader) {
      TrialHeader header;
      header.kind = TrialHeader::Kind::kFailed;
      header.reason = reason;
      header.config_error = dynamic_cast<const ConfigError*>(&e) != nullptr;
      detail::exchange_header(group, std::move(header));
    } else if (tell && state.helpers == HelpersWait::kForControl) {
      StepControl control;
      control.kind = StepControl::Kind::kFailed;
      control.step = state.steps;
      control.reason = reason;
      detail::exchange_control(group, control);
    }
    if (dynamic_cast<const NumericalError*>(&e) != nullptr) throw NumericalError(reason);
    throw;
  }
}

}  // namespace bbpt::run
