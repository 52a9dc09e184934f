// SPDX-License-Identifier: MIT
// Implements make_directories (directories.h).
#include "bbpt/core/directories.h"

#include <filesystem>

#include "bbpt/core/error.h"

namespace bbpt::core {

void make_directories(const std::string& path, const std::string& what, const std::string& flag) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  BBPT_CHECK(!fs::exists(status) || fs::is_directory(status), ConfigError,
             path << ": " << flag << " names an existing file, not a directory; choose another "
                  << flag << " for " << what);
  if (fs::exists(status)) return;
  fs::create_directories(path, ec);
  BBPT_CHECK(!ec, ConfigError,
             path << ": cannot create " << what << " (" << ec.message() << "); choose " << flag
                  << " in a place you can write");
}

}  // namespace bbpt::core
