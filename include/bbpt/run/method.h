// SPDX-License-Identifier: MIT
// The interface every method runner implements, and the factory that builds one from a method
// config. A runner owns its prompt parametrisation and optimizer; the trial driver (run_trial.h)
// owns the loop, metrics, checkpoints and results.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bbpt/run/checkpoint.h"
#include "bbpt/run/run_config.h"

namespace bbpt::run {

struct TrialContext;

/// One metrics.jsonl line (test_acc_subset added by the driver when evaluated).
struct StepMetrics {
  int64_t step = 0;     // 1-based, after the step
  int64_t queries = 0;  // queries used so far
  double train_loss = 0;
  double train_acc = 0;
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
};

struct FinalMetrics {
  double train_loss = 0;  // of the last step (as the method reports it)
  double train_acc = 0;
  double test_acc = 0;  // full test split, the learned (last-step or selected) prompt
  int64_t test_images = 0;
  std::vector<double> learned_parameters;  // fingerprinted in result.json
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
};

class Method {
 public:
  virtual ~Method() = default;
  /// The budget is spent (or the epochs are done).
  virtual bool finished() const = 0;
  /// The leader's own work for the next step that may fail before the step's first collective
  /// (an LLM's proposals): run on the leader only, before the step's control message, so that a
  /// failure here ends the trial on every rank (trial_protocol.h). step() follows on every rank.
  virtual void prepare_step() {}
  /// One optimizer step (ask, queries, tell).
  virtual StepMetrics step() = 0;
  virtual int64_t steps_done() const = 0;
  virtual int64_t queries_used() const = 0;
  /// Test accuracy of the current prompt on the fixed test subset (accuracy-vs-queries curves).
  virtual double subset_test_accuracy(const std::vector<int64_t>& test_items) = 0;
  /// Final evaluation on the full test split.
  virtual FinalMetrics finish() = 0;
  /// Test accuracy (fraction) of the learned prompt on another target's full test split with that
  /// target's class names: base-to-new, cross-dataset and OOD evaluation (run/evaluation.h).
  /// `target` shares this trial's model (TrialContext::open_target). On the trial's own dataset and
  /// classes it equals finish()'s test_acc.
  virtual double target_test_accuracy(TrialContext& target) = 0;
  virtual void save(MethodState& state) const = 0;
  virtual void load(const MethodState& state) = 0;
};

/// Options every method shares (configs/methods/*.yaml).
struct CommonOptions {
  /// zeroshot | zip | bptvlm | spsa-gc | bar | coop | llm-opt | ipo | glov
  std::string method;
  /// `budget`: the query budget, in queries (algorithms.md 2.1: MAX_API_CALLS = 5000). Must be > 0
  /// for the methods it ends (budget_ends_run); 0 = no cap for the others (zeroshot makes no
  /// training queries, CoOp's epochs and the LLM methods' iterations end their runs).
  int64_t budget_queries = 5000;
  /// Training mini-batch size (algorithms.md 2.1: 128).
  int64_t batch_size = 128;
  /// Augmented views per training image in the feature cache (0: center crop only).
  int64_t views = 8;
  /// `eval_every`: test accuracy on a fixed test subset every this many queries (not steps; 0:
  /// never).
  int64_t eval_every = 500;
  /// Size of that subset.
  int64_t eval_subset = 1000;
  /// `checkpoint_every`: a checkpoint every this many steps (not queries), and always at the end.
  int64_t checkpoint_every_steps = 25;
};

/// Whether only the query budget ends `method`'s run (zip, bptvlm, spsa-gc, bar): those refuse a
/// budget <= 0, which would never end.
bool budget_ends_run(const std::string& method);

/// Reads the common options (all methods). Throws ConfigError naming the file (and line, or the
/// --set) for an unknown method, and for a budget <= 0 where the budget ends the run.
CommonOptions read_common_options(RunConfig& config);

/// The method names `bbpt run` knows.
const std::vector<std::string>& method_names();

/// Whether the method asks an LLM (llm-opt, ipo, glov): its config has the llm_* keys.
bool is_llm_method(const std::string& method);

/// Builds the runner for options.method; reads its options from `config`. Throws ConfigError for
/// an unknown method.
std::unique_ptr<Method> make_method(const CommonOptions& options,
                                    RunConfig& config,
                                    TrialContext& context);

}  // namespace bbpt::run
