// SPDX-License-Identifier: MIT
// Implements the checks on the trial keys seed and shots (trial_keys.h).
#include "trial_keys.h"

#include "bbpt/core/error.h"

namespace bbpt::run {
namespace {

constexpr int64_t kMaxShots = int64_t{1} << 30;

/// Where `key` came from, for a message: the config's origin, else the CLI flag that filled it.
std::string origin_of(const RunConfig& config, const std::string& key, const char* flag) {
  return config.has(key) ? config.origin(key) : std::string(flag);
}

}  // namespace

uint64_t read_trial_seed(RunConfig& config, uint64_t fallback) {
  // A --seed below zero arrives here wrapped (uint64); read back as int64 it is negative again.
  const int64_t seed = config.get_int("seed", static_cast<int64_t>(fallback));
  BBPT_CHECK(seed >= 0, ConfigError,
             origin_of(config, "seed", "--seed")
                 << ": seed = " << seed
                 << ": expected an integer in [0, 2^63) (a negative seed would wrap "
                    "to "
                 << static_cast<uint64_t>(seed) << ")");
  return static_cast<uint64_t>(seed);
}

int64_t read_trial_shots(RunConfig& config, int64_t fallback) {
  const int64_t shots = config.get_int("shots", fallback);
  BBPT_CHECK(shots >= 1 && shots <= kMaxShots, ConfigError,
             origin_of(config, "shots", "--shots")
                 << ": shots = " << shots
                 << ": expected a number of training images per class in [1, 2^30]");
  return shots;
}

data::ClassSubset read_trial_classes(RunConfig& config, data::ClassSubset fallback) {
  if (!config.has("classes")) return fallback;
  return data::parse_class_subset(config.get_string("classes", "all"), config.origin("classes"));
}

}  // namespace bbpt::run
