// SPDX-License-Identifier: MIT
// What every optimising runner shares: the step and query counters, the last step's train loss
// and accuracy, their checkpoint entries, and the common fields of a metrics line.
#pragma once
#include <string>

#include "bbpt/core/error.h"
#include "bbpt/eval/query_engine.h"
#include "bbpt/run/method.h"
#include "bbpt/run/run_config.h"

namespace bbpt::run {

class CountedMethod : public Method {
 public:
  bool finished() const override { return counter_.exhausted(); }
  int64_t steps_done() const override { return steps_; }
  int64_t queries_used() const override { return counter_.used(); }

 protected:
  /// steps_key: the checkpoint name of the step count ("generations" for CMA-ES).
  explicit CountedMethod(int64_t budget, std::string steps_key = "steps")
      : counter_(budget), steps_key_(std::move(steps_key)) {}

  /// query_chunk: the settings (queries, candidates) evaluated together in one batched forward.
  /// It fixes how a step's work is cut, for any number of ranks, so results do not depend on the
  /// rank count (dist/query_group.h); 1 gives the most ranks something to do.
  static int64_t read_query_chunk(RunConfig& config) {
    const int64_t chunk = config.get_int("query_chunk", 1);
    BBPT_CHECK(chunk >= 1, ConfigError, "query_chunk (= " << chunk << ") must be >= 1");
    return chunk;
  }

  /// A metrics line with step, queries and the last train loss and accuracy filled in.
  StepMetrics step_metrics() const {
    StepMetrics m;
    m.step = steps_;
    m.queries = counter_.used();
    m.train_loss = last_loss_;
    m.train_acc = last_acc_;
    return m;
  }
  void save_progress(MethodState& state) const {
    state.scalars[steps_key_] = static_cast<double>(steps_);
    state.scalars["queries"] = static_cast<double>(counter_.used());
    state.scalars["last_loss"] = last_loss_;
    state.scalars["last_acc"] = last_acc_;
  }
  void load_progress(const MethodState& state) {
    steps_ = static_cast<int64_t>(state.scalars.at(steps_key_));
    counter_.restore(static_cast<int64_t>(state.scalars.at("queries")));
    last_loss_ = state.scalars.at("last_loss");
    last_acc_ = state.scalars.at("last_acc");
  }

  eval::QueryCounter counter_;
  int64_t steps_ = 0;
  double last_loss_ = 0, last_acc_ = 0;

 private:
  std::string steps_key_;
};

}  // namespace bbpt::run
