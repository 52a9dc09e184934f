// SPDX-License-Identifier: MIT
// The trial keys a run reads from its config or, when the config leaves them out, from the CLI
// flags (--seed, --shots): checked here once, so that `bbpt run`, `--set`, sweep and pack trials
// refuse the same values with the same message.
#pragma once

#include <cstdint>

#include "bbpt/data/class_subset.h"
#include "bbpt/run/run_config.h"

namespace bbpt::run {

/// `seed` from the config, else `fallback` (--seed). Throws ConfigError naming where it was set
/// and the value when it is negative: a seed is an integer in [0, 2^63), never wrapped.
uint64_t read_trial_seed(RunConfig& config, uint64_t fallback);

/// `shots` from the config, else `fallback` (--shots). Throws ConfigError naming where it was set
/// and the value unless 1 <= shots <= 2^30 (whether every class has that many images is checked
/// when the sample is drawn, data::sample_dataset_few_shot).
int64_t read_trial_shots(RunConfig& config, int64_t fallback);

/// `classes` from the config (all | base | new, data/class_subset.h), else `fallback`. Read only
/// when the config sets it, so a trial of every class keeps the config (and id) it had before the
/// key existed. Throws ConfigError naming where it was set for any other value.
data::ClassSubset read_trial_classes(RunConfig& config, data::ClassSubset fallback);

}  // namespace bbpt::run
