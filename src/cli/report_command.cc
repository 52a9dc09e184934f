// SPDX-License-Identifier: MIT
// `bbpt report DIR [--out OUT] [--points N] [--window F]`: the report of a sweep store (tables,
// curves, query efficiency) in DIR/report/report.md. The analysis is Python (analysis/report.py,
// Debian's python3-pandas and python3-matplotlib); this command finds it and hands over to it.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bbpt/core/error.h"
#include "cli_context.h"

namespace bbpt::cli {
namespace {

struct ReportOptions {
  std::string store;
  std::string out;
  int points = 0;       // 0: analysis/report.py's default
  double window = 0.0;  // 0: analysis/report.py's default
};

std::string env_or(const char* name, const std::string& fallback) {
  const std::string value = getenv_or_empty(name);
  return value.empty() ? fallback : value;
}

/// Debian's interpreter first: a pyenv or virtualenv `python3` earlier in PATH lacks the packages.
std::string python_interpreter() {
  const std::string debian = "/usr/bin/python3";
  return env_or("BBPT_PYTHON", std::filesystem::exists(debian) ? debian : "python3");
}

[[noreturn]] void run_report(const ReportOptions& options) {
  const std::string script =
      env_or("BBPT_ANALYSIS_DIR", BBPT_SOURCE_DIR "/analysis") + "/report.py";
  BBPT_CHECK(std::filesystem::exists(script), ConfigError,
             script << " not found: bbpt report runs the analysis of the source checkout; set "
                       "BBPT_ANALYSIS_DIR "
                       "to the checkout's analysis/ folder");
  std::vector<std::string> argv = {python_interpreter(), script, options.store};
  if (!options.out.empty()) argv.insert(argv.end(), {"--out", options.out});
  if (options.points > 0) argv.insert(argv.end(), {"--points", std::to_string(options.points)});
  if (options.window > 0) argv.insert(argv.end(), {"--window", std::to_string(options.window)});
  std::vector<char*> c_argv;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  ::execvp(c_argv[0], c_argv.data());
  BBPT_THROW(Error, "cannot start "
                        << argv[0] << " (" << std::strerror(errno)
                        << "): install Debian's python3, python3-pandas and python3-matplotlib "
                           "(bash scripts/install_deps.sh), or set BBPT_PYTHON");
}

}  // namespace

void add_report_command(CLI::App& app, CliContext& /*context*/) {
  auto options = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand("report",
                                 "Write DIR/report/report.md for a sweep store: test accuracy "
                                 "(mean ± std over seeds; Markdown, LaTeX, "
                                 "CSV), curves against queries (PNG, PDF) and query efficiency. "
                                 "Reads the store; works on partial sweeps");
  cmd->add_option("store", options->store, "The sweep's store, e.g. sweeps/demo")->required();
  cmd->add_option("--out", options->out, "Report folder (default STORE/report)");
  cmd->add_option("--points", options->points, "Grid points of the curves (default 100)")
      ->check(CLI::PositiveNumber);
  cmd->add_option(
         "--window", options->window,
         "Trailing smoothing window of the curves, as a fraction of the largest query budget "
         "(default 0.05)")
      ->check(CLI::Range(1e-6, 1.0));
  cmd->callback([options]() { run_report(*options); });
}

}  // namespace bbpt::cli
