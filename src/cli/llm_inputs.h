// SPDX-License-Identifier: MIT
// What an LLM method's result depends on that bbpt would otherwise find outside the trial's config
// when the trial runs, resolved into the config before it is hashed into config.json and a sweep's
// trial id (docs/sweeps.md, "What a trial id covers"):
//   llm_model            from $BBPT_LLM_MODEL when the config leaves it empty (llm_backend: http);
//   vision_model         from $BBPT_VISION_MODEL when the config leaves it empty (ipo);
//   llm_model_fingerprint the local checkpoint's fingerprint (llm_backend: local; lm::LocalLlm).
// The endpoints' addresses ($BBPT_LLM_BASE_URL, $BBPT_VISION_BASE_URL) and API keys stay out: an
// address says where a model is served, not which model it is, and a key is a secret.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bbpt/run/run_trial.h"

namespace bbpt::cli {

/// Adds the keys above to a resolved method config (other methods: unchanged). Returns the
/// assignments made, as `--set` takes them ("key='value'").
std::vector<std::string> resolve_outside_inputs(nlohmann::json& config);

/// The same for a run request: its resolved config decides, the assignments go to its overrides.
void resolve_outside_inputs(run::RunRequest& request);

}  // namespace bbpt::cli
