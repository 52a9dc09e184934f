// SPDX-License-Identifier: MIT
// Implements the common options and the method factory.
#include "method_factory.h"

#include <algorithm>
#include <sstream>

#include "bbpt/core/error.h"

namespace bbpt::run {

const std::vector<std::string>& method_names() {
  static const std::vector<std::string> names = {"zeroshot", "zip",     "bptvlm", "spsa-gc", "bar",
                                                 "coop",     "llm-opt", "ipo",    "glov"};
  return names;
}

bool is_llm_method(const std::string& method) {
  return method == "llm-opt" || method == "ipo" || method == "glov";
}

bool budget_ends_run(const std::string& method) {
  return method == "zip" || method == "bptvlm" || method == "spsa-gc" || method == "bar";
}

CommonOptions read_common_options(RunConfig& config) {
  CommonOptions o;
  o.method = config.get_string("method", o.method);
  const auto& names = method_names();
  if (std::find(names.begin(), names.end(), o.method) == names.end()) {
    std::ostringstream valid;
    for (const auto& n : names) valid << (&n == &names.front() ? "" : ", ") << n;
    BBPT_THROW(ConfigError, config.source() << ": method: unknown method '" << o.method
                                            << "' (valid: " << valid.str() << ")");
  }
  o.budget_queries = config.get_int("budget", o.budget_queries);
  o.batch_size = config.get_int("batch_size", o.batch_size);
  o.views = config.get_int("views", o.views);
  o.eval_every = config.get_int("eval_every", o.eval_every);
  o.eval_subset = config.get_int("eval_subset", o.eval_subset);
  o.checkpoint_every_steps = config.get_int("checkpoint_every", o.checkpoint_every_steps);
  // A run that only the budget ends must have one: budget 0 ("no cap") would query forever.
  BBPT_CHECK(!budget_ends_run(o.method) || o.budget_queries > 0, ConfigError,
             config.origin("budget")
                 << ": budget = " << o.budget_queries << ": " << o.method
                 << " needs a positive number of queries (its run ends only when the budget "
                    "is spent); set budget to e.g. 5000, the papers' MAX_API_CALLS");
  BBPT_CHECK(o.budget_queries >= 0, ConfigError,
             config.origin("budget") << ": budget = " << o.budget_queries
                                     << ": must be a number of queries >= 0 (0: no cap)");
  BBPT_CHECK(o.batch_size >= 1, ConfigError, "batch_size (= " << o.batch_size << ") must be >= 1");
  BBPT_CHECK(o.views >= 0, ConfigError, "views (= " << o.views << ") must be >= 0");
  BBPT_CHECK(o.eval_every >= 0 && o.eval_subset >= 1, ConfigError,
             "eval_every (= " << o.eval_every
                              << ") must be >= 0 and eval_subset (= " << o.eval_subset << ") >= 1");
  BBPT_CHECK(o.checkpoint_every_steps >= 1, ConfigError,
             "checkpoint_every (= " << o.checkpoint_every_steps << ") must be >= 1");
  return o;
}

std::unique_ptr<Method> make_method(const CommonOptions& options,
                                    RunConfig& config,
                                    TrialContext& context) {
  if (options.method == "zeroshot") return make_zeroshot_method(options, config, context);
  if (options.method == "zip") return make_zip_method(options, config, context);
  if (options.method == "spsa-gc") return make_spsa_gc_method(options, config, context);
  if (options.method == "bptvlm") return make_bptvlm_method(options, config, context);
  if (options.method == "bar") return make_bar_method(options, config, context);
  if (options.method == "coop") return make_coop_method(options, config, context);
  if (options.method == "llm-opt") return make_llm_opt_method(options, config, context);
  if (options.method == "ipo") return make_ipo_method(options, config, context);
  if (options.method == "glov") return make_glov_method(options, config, context);
  BBPT_THROW(ConfigError, "unknown method '" << options.method << "'");
}

}  // namespace bbpt::run
