// SPDX-License-Identifier: MIT
#include "bbpt/core/utc_time.h"

#include <ctime>

namespace bbpt::core {

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace bbpt::core
