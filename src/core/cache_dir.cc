// SPDX-License-Identifier: MIT
// Implements default_cache_dir (cache_dir.h).
#include "bbpt/core/cache_dir.h"

#include <cstdlib>

namespace bbpt::core {

std::string default_cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && *xdg != '\0') return std::string(xdg) + "/bbpt";
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') return std::string(home) + "/.cache/bbpt";
  return ".cache/bbpt";
}

}  // namespace bbpt::core
