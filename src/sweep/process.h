// SPDX-License-Identifier: MIT
// Child processes for the executors: run a command and capture its output (sbatch, squeue,
// scontrol), or start one with its output going to a file (a local trial).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace bbpt::sweep::detail {

struct CommandResult {
  int exit_code = -1;  // 127: could not be started; 128 + n: killed by signal n
  std::string output;  // stdout and stderr together
};

/// Runs argv[0] (looked up in PATH) to the end.
CommandResult run_command(const std::vector<std::string>& argv);

/// Starts argv with stdout and stderr appended to `log_path`; returns its pid.
pid_t start_process(const std::vector<std::string>& argv, const std::string& log_path);

/// A wait status as an exit code (128 + n for a signal).
int exit_code_of(int wait_status);

/// The command line as a shell would read it (arguments quoted where needed).
std::string shell_quote(const std::vector<std::string>& argv);

}  // namespace bbpt::sweep::detail
