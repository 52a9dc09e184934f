// SPDX-License-Identifier: MIT
// Implements the run-directory checks (run_directory.h).
#include "run_directory.h"

#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "bbpt/core/directories.h"
#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"

namespace bbpt::run {
namespace {

namespace fs = std::filesystem;

/// 1: config.json is bbpt's; 0: there is none; -1: there is one and it is something else's.
int bbpt_config_state(const std::string& dir) {
  const std::string path = dir + "/config.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) return 0;
  if (!core::is_regular_file(path)) return -1;
  try {
    const auto j = nlohmann::json::parse(core::read_file(path));
    return j.is_object() && j.contains("bbpt_version") ? 1 : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace

bool is_run_directory(const std::string& dir) {
  const int config = bbpt_config_state(dir);
  if (config != 0) return config == 1;
  for (const char* name : {"checkpoint.bin", "result.json", "run.lock"}) {
    if (core::is_regular_file(dir + "/" + name)) return true;
  }
  return false;
}

void prepare_run_directory(const std::string& dir, bool allow_foreign) {
  BBPT_CHECK(!dir.empty(), ConfigError, "--out is empty; give the run directory");
  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  if (fs::exists(status)) {
    BBPT_CHECK(fs::is_directory(status), ConfigError,
               dir << ": --out names an existing file, not a directory; choose a new or empty "
                      "directory (or a bbpt run directory to resume)");
    if (!allow_foreign && !is_run_directory(dir)) {
      fs::directory_iterator entries(dir, ec);
      BBPT_CHECK(!ec, ConfigError,
                 dir << ": cannot list the --out directory (" << ec.message()
                     << "); choose a readable one");
      if (entries != fs::directory_iterator()) {
        const std::string what =
            bbpt_config_state(dir) == -1
                ? std::string("a config.json that is not bbpt's")
                : "'" + entries->path().filename().string() +
                      "' and no bbpt config.json, checkpoint.bin, result.json or run.lock";
        BBPT_THROW(ConfigError,
                   dir << ": --out is an existing directory that is not a bbpt run (it holds "
                       << what
                       << "); choose a new or empty directory, or pass --force to write the run "
                          "there (its config.json and metrics.jsonl would be replaced)");
      }
    }
  }
  core::make_directories(dir, "the run directory", "--out");
  BBPT_CHECK(::access(dir.c_str(), W_OK | X_OK) == 0, ConfigError,
             dir << ": the run directory is not writable; choose --out in a place you can write");
}

}  // namespace bbpt::run
