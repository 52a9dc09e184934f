// SPDX-License-Identifier: MIT
// Wall-clock time stamps for records a user reads (failure records, submissions).
#pragma once

#include <string>

namespace bbpt::core {

/// Now as ISO 8601 UTC, e.g. "2026-11-22T15:34:16Z".
std::string utc_now();

}  // namespace bbpt::core
