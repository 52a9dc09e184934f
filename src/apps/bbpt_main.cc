// SPDX-License-Identifier: MIT
// main() of the bbpt binary: builds the CLI, runs one subcommand, and maps errors to exit codes
// (2: bad configuration or arguments, 1: any other error). Errors print as one line.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "../cli/cli_context.h"
#include "bbpt/core/error.h"
#include "bbpt/core/redact.h"

namespace {

/// One line "bbpt: error: <what>"; a URL's credentials never reach the terminal or a job log,
/// whichever layer composed the message.
void print_error(const std::string& what) {
  std::fprintf(stderr, "bbpt: error: %s\n", bbpt::core::redact_urls(what).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  using namespace bbpt::cli;
  CliContext context;
  context.env = read_environment();

  CLI::App app{"bbpt: black-box prompt tuning of CLIP models (version " BBPT_VERSION ")", "bbpt"};
  app.require_subcommand(1);
  app.set_version_flag("--version", BBPT_VERSION);
  app.add_option("--device", context.global.device, "cpu, cuda or cuda:N")->capture_default_str();
  app.add_option(
      "--assets", context.global.assets_dir,
      "Folder with bpe_simple_vocab_16e6.txt.gz etc. (else $BBPT_ASSETS, ../shared/assets, "
      "download)");
  app.add_option("--cache-dir", context.global.cache_dir,
                 "Root of bbpt's caches (default $XDG_CACHE_HOME/bbpt or ~/.cache/bbpt)");
  app.add_option("--threads", context.global.num_threads, "CPU threads for libtorch (0: default)")
      ->capture_default_str();
  app.add_option("--log-level", context.global.log_level, "debug, info, warning or error")
      ->capture_default_str();
  app.add_option("--configs", context.global.configs_dir,
                 "configs/ folder with datasets/*.yaml (default: the source checkout's)");
  app.add_option("--data-dir", context.global.data_dir,
                 "Where `bbpt data prepare` put the datasets (default <cache-dir>/data)");
  add_model_commands(app, context);
  add_lm_commands(app, context);
  add_tokenize_command(app, context);
  add_preprocess_command(app, context);
  add_features_command(app, context);
  add_zeroshot_command(app, context);
  add_pretrain_command(app, context);
  add_data_command(app, context);
  add_run_command(app, context);
  add_eval_command(app, context);
  add_pack_command(app, context);
  add_sweep_command(app, context);
  add_report_command(app, context);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const bbpt::ConfigError& e) {
    print_error(e.what());
    return 2;
  } catch (const bbpt::Error& e) {
    print_error(e.what());
    return 1;
  } catch (const std::exception& e) {
    // One line: libtorch's errors carry their C++ backtrace after the first line.
    const std::string what = e.what();
    print_error(what.substr(0, what.find('\n')));
    return 1;
  }
  return context.exit_code;
}
