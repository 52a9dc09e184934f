// SPDX-License-Identifier: MIT
// The checks on a run directory before a trial writes into it (`bbpt run --out DIR`): DIR is new,
// empty, or a bbpt run (which the trial resumes or refuses by its config); a directory of anything
// else, a file, or a place that cannot be written is refused with what to do, before any work.
#pragma once

#include <string>

namespace bbpt::run {

/// Whether `dir` holds a bbpt run: a config.json of bbpt's (a JSON object with bbpt_version), or
/// a checkpoint.bin, result.json or run.lock next to no foreign config.json.
bool is_run_directory(const std::string& dir);

/// Creates `dir` if needed. Throws ConfigError naming `dir` when it is an existing file, an
/// existing non-empty directory that is not a bbpt run (unless `allow_foreign`: `--force`, or an
/// executor's own trial directory), or cannot be created or written.
void prepare_run_directory(const std::string& dir, bool allow_foreign);

}  // namespace bbpt::run
