// SPDX-License-Identifier: MIT
// Validation shared by every optimizer's tell().
#include "bbpt/optim/optimizer.h"

#include <cmath>

#include "bbpt/core/error.h"

namespace bbpt::optim {

void check_losses(const std::vector<double>& losses, int64_t expected, const std::string& who) {
  BBPT_CHECK(static_cast<int64_t>(losses.size()) == expected, ConfigError,
             who << ": tell() got " << losses.size() << " losses, expected " << expected
                 << " (one per column of ask(), in column order)");
  for (size_t i = 0; i < losses.size(); ++i) {
    BBPT_CHECK(std::isfinite(losses[i]), ConfigError,
               who << ": loss " << i << " (= " << losses[i]
                   << ") is not finite; record the trial as failed instead of telling it");
  }
}

}  // namespace bbpt::optim
