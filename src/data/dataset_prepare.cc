// SPDX-License-Identifier: MIT
// Implements `bbpt data prepare` for each dataset: source lookup, staging folder, copy or `tar`
// extraction, a check that the result opens with the expected counts, the completion marker, and
// the rename into place. Also installs the CoOp split files beside where their images belong.
#include "bbpt/data/dataset_prepare.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/data/coop_split.h"
#include "bbpt/data/dataset_config.h"
#include "bbpt/data/dataset_registry.h"
#include "bbpt/data/shifted_dataset.h"
#include "data_layout.h"

namespace bbpt::data {
namespace fs = std::filesystem;
namespace {

bool is_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

bool is_dir(const fs::path& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::ostringstream out;
  for (size_t i = 0; i < items.size(); ++i) out << (i > 0 ? separator : "") << items[i];
  return out.str();
}

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

/// First folder of `dirs` holding `relpath`, as the full path; "" if none.
std::string find_in(const std::vector<std::string>& dirs, const std::string& relpath) {
  for (const auto& dir : dirs) {
    if (!dir.empty() && is_file(fs::path(dir) / relpath)) return (fs::path(dir) / relpath).string();
  }
  return "";
}

std::vector<std::string> non_empty(const std::vector<std::string>& dirs) {
  std::vector<std::string> kept;
  for (const auto& dir : dirs) {
    if (!dir.empty()) kept.push_back(dir);
  }
  return kept;
}

/// Runs `tar -xzf archive -C into`; tar's messages go to log_path and the first of them into the
/// error, so a failure reads as one line.
void extract_tar_gz(const std::string& archive, const fs::path& into, const fs::path& log_path) {
  const std::string command =
      "tar -xzf " + shell_quote(archive) + " -C " + shell_quote(into.string());
  const int status = std::system((command + " 2>" + shell_quote(log_path.string())).c_str());
  if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  std::string first_line;
  if (is_file(log_path)) {
    const std::string log = core::read_file(log_path.string());
    first_line = log.substr(0, log.find('\n'));
  }
  BBPT_THROW(IoError, archive << ": `" << command << "` failed (exit status "
                              << (status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1)
                              << (first_line.empty() ? "" : ": " + first_line)
                              << "); expected a complete .tar.gz and a working tar");
}

void copy_into(const std::string& from, const fs::path& to_dir) {
  std::error_code ec;
  fs::copy_file(from, to_dir / fs::path(from).filename(), ec);
  BBPT_CHECK(!ec, IoError,
             from << ": cannot copy into " << to_dir.string() << " (" << ec.message() << ")");
}

/// A fresh folder data_dir/.staging-<name>-XXXXXX, removed with everything left in it on
/// destruction. The dataset is built in staging/<name>, so the registry can open it there.
class Staging {
 public:
  Staging(const std::string& data_dir, const std::string& name) : data_dir_(data_dir), name_(name) {
    std::error_code ec;
    fs::create_directories(data_dir, ec);
    BBPT_CHECK(!ec, IoError,
               data_dir << ": cannot create the data folder (" << ec.message() << ")");
    std::string pattern = (fs::path(data_dir) / (".staging-" + name + "-XXXXXX")).string();
    BBPT_CHECK(mkdtemp(pattern.data()) != nullptr, IoError,
               data_dir << ": cannot create a staging folder in it (is it writable?)");
    root_ = pattern;
  }
  ~Staging() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;

  const fs::path& root() const { return root_; }
  fs::path dataset_dir() const { return root_ / name_; }

  /// Writes the marker and swaps staging/<name> in for data_dir/<name> (an old, unmarked folder
  /// is moved into the staging folder and deleted with it).
  void commit(const std::string& marker_text) {
    core::write_file_atomic((dataset_dir() / layout::kPreparedMarker).string(), marker_text);
    const fs::path target = fs::path(data_dir_) / name_;
    std::error_code ec;
    if (fs::exists(target, ec)) {
      fs::rename(target, root_ / ".old", ec);
      BBPT_CHECK(!ec, IoError,
                 target.string() << ": cannot move the incomplete old copy aside (" << ec.message()
                                 << ")");
    }
    fs::rename(dataset_dir(), target, ec);
    BBPT_CHECK(!ec, IoError,
               target.string() << ": cannot move the prepared dataset into place (" << ec.message()
                               << ")");
  }

 private:
  std::string data_dir_;
  std::string name_;
  fs::path root_;
};

/// "train 60000, test 10000 images, 10 classes", from opening the staged copy with the registry
/// (which also validates every file).
std::string count_splits(const std::string& name,
                         const fs::path& staging_root,
                         const PrepareOptions& options) {
  DataOptions data_options;
  data_options.data_dir = staging_root.string();
  data_options.configs_dir = options.configs_dir;
  const auto train = open_dataset(name, "train", data_options);
  const auto test = open_dataset(name, "test", data_options);
  return "train " + std::to_string(train->size()) + ", test " + std::to_string(test->size()) +
         " images, " + std::to_string(train->class_names().size()) + " classes";
}

PrepareResult make_result(const std::string& name,
                          PrepareStatus status,
                          const std::string& message) {
  return PrepareResult{name, status, name + ": " + message};
}

/// Checks, stages (via `fill`), counts, marks and installs one dataset.
template <typename Fill>
PrepareResult stage_and_commit(const std::string& name,
                               const std::string& source,
                               const PrepareOptions& options,
                               Fill fill) {
  Staging staging(options.data_dir, name);
  fill(staging);
  BBPT_CHECK(is_dir(staging.dataset_dir()), IoError,
             source << ": did not produce a " << name
                    << "/ folder (expected the layout of bbpt's dataset registry)");
  const std::string counts = count_splits(name, staging.root(), options);
  staging.commit("source: " + source + "\ncounts: " + counts + "\n");
  const std::string target = (fs::path(options.data_dir) / name).string();
  return make_result(name, PrepareStatus::kPrepared,
                     "prepared from " + source + " into " + target + " (" + counts + ")");
}

PrepareResult prepare_fmnist(const PrepareOptions& options) {
  const fs::path source(options.fmnist_source_dir);
  std::vector<std::string> files;
  for (const auto& base : layout::kFmnistFiles) {
    const std::string found = is_file(source / (base + ".gz")) ? (source / (base + ".gz")).string()
                              : is_file(source / base)         ? (source / base).string()
                                                               : "";
    if (found.empty()) {
      return make_result("fmnist", PrepareStatus::kMissing,
                         "missing (no " + base + ".gz in " + source.string() +
                             "); install it with: " + layout::install_hint("fmnist"));
    }
    files.push_back(found);
  }
  return stage_and_commit("fmnist", source.string(), options, [&](const Staging& staging) {
    fs::create_directories(staging.dataset_dir());
    for (const auto& file : files) copy_into(file, staging.dataset_dir());
  });
}

PrepareResult prepare_mnist(const PrepareOptions& options) {
  const std::vector<std::string> dirs = non_empty(options.mnist_package_dirs);
  for (const auto& dir : dirs) {
    const fs::path digits = fs::path(dir) / "src" / "digits";
    bool complete = true;
    for (int digit = 0; digit < 10; ++digit) {
      complete = complete && is_file(digits / (std::to_string(digit) + ".json"));
    }
    if (!complete) continue;
    return stage_and_commit("mnist", digits.string(), options, [&](const Staging& staging) {
      fs::create_directories(staging.dataset_dir());
      for (int digit = 0; digit < 10; ++digit) {
        copy_into((digits / (std::to_string(digit) + ".json")).string(), staging.dataset_dir());
      }
    });
  }
  return make_result("mnist", PrepareStatus::kMissing,
                     "missing (no src/digits/{0..9}.json in " +
                         (dirs.empty() ? std::string("any folder") : join(dirs, ", ")) +
                         "); install it with: " + options.mnist_install_command);
}

PrepareResult prepare_from_tarball(const std::string& name,
                                   const std::vector<std::string>& archive_names,
                                   const PrepareOptions& options) {
  const std::vector<std::string> dirs = non_empty(options.asset_dirs);
  for (const auto& archive_name : archive_names) {
    const std::string archive = find_in(dirs, archive_name);
    if (archive.empty()) continue;
    const bool cifar_binary = archive_name == "cifar-10-binary.tar.gz";
    return stage_and_commit(name, archive, options, [&](const Staging& staging) {
      // The official binary tarball holds cifar-10-batches-bin/; the others hold <name>/.
      const fs::path into = cifar_binary ? staging.dataset_dir() : staging.root();
      fs::create_directories(into);
      extract_tar_gz(archive, into, staging.root() / "tar.log");
    });
  }
  return make_result(name, PrepareStatus::kMissing,
                     "missing (no " + join(archive_names, " or ") + " in " +
                         (dirs.empty() ? std::string("any assets folder") : join(dirs, ", ")) +
                         "); pass --assets DIR holding " + archive_names.back());
}

PrepareResult prepare_coop(const PrepareOptions& options) {
  const std::vector<std::string> dirs = non_empty(options.asset_dirs);
  const fs::path coop_root = fs::path(options.data_dir) / layout::kCoopDir;
  std::vector<std::string> installed;
  std::vector<std::string> present;
  std::vector<std::string> missing;
  std::vector<std::string> without_images;
  for (const auto& coop_name : coop_dataset_names(options.configs_dir)) {
    const DatasetConfig config =
        load_dataset_config(dataset_config_path(options.configs_dir, "coop:" + coop_name));
    if (!config.layout.empty())
      continue;  // folder layouts: the user's own copy, nothing to install
    const fs::path dataset_dir = coop_root / config.dataset_dir;
    const fs::path target = dataset_dir / config.split_file;
    if (!layout::has_coop_images(dataset_dir / config.image_dir, config.split_file)) {
      without_images.push_back(coop_name);
    }
    if (is_file(target)) {
      present.push_back(coop_name);
      continue;
    }
    const std::string source = find_in(dirs, "splits/" + config.split_file);
    if (source.empty()) {
      missing.push_back(config.split_file);
      continue;
    }
    read_coop_split(source);  // reject a corrupt file before installing it
    core::write_file_atomic(target.string(), core::read_file(source));
    installed.push_back(coop_name);
  }
  const std::string images_note =
      without_images.empty()
          ? ""
          : "; images are not included (none yet for " + join(without_images, ", ") +
                "): put them in " + coop_root.string() +
                "/<dataset_dir>/<image_dir> as configs/datasets/coop/<Name>.yaml says";
  if (installed.empty() && present.empty()) {
    return make_result("coop", PrepareStatus::kMissing,
                       "missing (no splits/" + join(missing, ", splits/") + " in " +
                           (dirs.empty() ? std::string("any assets folder") : join(dirs, ", ")) +
                           "); pass --assets DIR holding splits/split_zhou_*.json");
  }
  std::string message =
      installed.empty()
          ? "already prepared in " + coop_root.string() + " (split files of " +
                join(present, ", ") + ")"
          : "installed the split files of " + join(installed, ", ") + " into " + coop_root.string();
  if (!missing.empty()) message += "; not found: " + join(missing, ", ");
  return make_result("coop",
                     installed.empty() ? PrepareStatus::kAlreadyPrepared : PrepareStatus::kPrepared,
                     message + images_note);
}

/// A shifted dataset (configs/datasets/<name>.yaml with shift_of) needs no files of its own: its
/// images are its base's, shifted as they are loaded. Preparing it checks that the base is
/// prepared and that both splits open and shift (their first and last images), and records the
/// shift and counts in the marker, which open_dataset asks for.
PrepareResult prepare_shifted(const std::string& name, const PrepareOptions& options) {
  const DatasetConfig config = load_dataset_config(dataset_config_path(options.configs_dir, name));
  const fs::path base_marker =
      fs::path(options.data_dir) / config.shift_of / layout::kPreparedMarker;
  if (!is_file(base_marker)) {
    return make_result(name, PrepareStatus::kMissing,
                       "missing (its base " + config.shift_of + " is not prepared in " +
                           options.data_dir + "); run `bbpt data prepare --only " +
                           config.shift_of + " " + name + "`");
  }
  DataOptions data_options;
  data_options.data_dir = options.data_dir;
  data_options.configs_dir = options.configs_dir;
  const std::string source = config.shift_of + " through the " + config.shift + " shift (seed " +
                             std::to_string(config.shift_seed) + ")";
  Staging staging(options.data_dir, name);
  fs::create_directories(staging.dataset_dir());
  std::vector<size_t> sizes;
  size_t num_classes = 0;
  for (const char* split : {"train", "test"}) {
    const auto dataset = open_shifted_dataset(name, config, split, data_options);
    BBPT_CHECK(dataset->size() > 0, IoError,
               name << ": the " << split << " split of " << config.shift_of << " is empty");
    dataset->load_image(0);
    dataset->load_image(dataset->size() - 1);
    sizes.push_back(dataset->size());
    num_classes = dataset->class_names().size();
  }
  const std::string counts = "train " + std::to_string(sizes[0]) + ", test " +
                             std::to_string(sizes[1]) + " images, " + std::to_string(num_classes) +
                             " classes";
  staging.commit("source: " + source + "\ncounts: " + counts + "\n");
  const std::string target = (fs::path(options.data_dir) / name).string();
  return make_result(name, PrepareStatus::kPrepared,
                     "prepared as " + source + " in " + target + " (" + counts + ")");
}

}  // namespace

std::string to_string(PrepareStatus status) {
  switch (status) {
    case PrepareStatus::kPrepared:
      return "prepared";
    case PrepareStatus::kAlreadyPrepared:
      return "already prepared";
    case PrepareStatus::kMissing:
      return "missing";
  }
  return "missing";
}

PrepareStatus parse_prepare_status(const std::string& text) {
  for (auto status :
       {PrepareStatus::kPrepared, PrepareStatus::kAlreadyPrepared, PrepareStatus::kMissing}) {
    if (to_string(status) == text) return status;
  }
  BBPT_THROW(ConfigError,
             "prepare status '" << text << "' is not one of prepared, already prepared, missing");
}

const std::vector<std::string>& preparable_dataset_names() {
  static const std::vector<std::string> names = {"fmnist", "mnist", "cifar10", "flowers12", "coop"};
  return names;
}

PrepareResult prepare_dataset(const std::string& name, const PrepareOptions& options) {
  BBPT_CHECK(!options.data_dir.empty(), ConfigError,
             "data prepare: data_dir is empty (expected e.g. ~/.cache/bbpt/data)");
  BBPT_CHECK(!options.configs_dir.empty(), ConfigError,
             "data prepare: configs_dir is empty (expected the repository's configs/ folder)");
  const auto& names = preparable_dataset_names();
  const std::vector<std::string> shifted = shifted_dataset_names(options.configs_dir);
  const bool is_shifted = std::find(shifted.begin(), shifted.end(), name) != shifted.end();
  BBPT_CHECK(is_shifted || std::find(names.begin(), names.end(), name) != names.end(), ConfigError,
             "data prepare: '" << name << "' is not one of " << join(names, ", ")
                               << (shifted.empty() ? "" : ", " + join(shifted, ", ")));
  if (name == "coop") return prepare_coop(options);
  const fs::path marker = fs::path(options.data_dir) / name / layout::kPreparedMarker;
  if (is_file(marker)) {
    // The marker holds "source: <where>\ncounts: <counts>\n" (see stage_and_commit).
    std::istringstream lines(core::read_file(marker.string()));
    std::string line;
    std::string source;
    std::string counts;
    while (std::getline(lines, line)) {
      if (line.rfind("source: ", 0) == 0) source = line.substr(8);
      if (line.rfind("counts: ", 0) == 0) counts = line.substr(8);
    }
    return make_result(name, PrepareStatus::kAlreadyPrepared,
                       "already prepared in " + (fs::path(options.data_dir) / name).string() +
                           " (" + counts + "; from " + source + ")");
  }
  if (is_shifted) return prepare_shifted(name, options);
  if (name == "fmnist") return prepare_fmnist(options);
  if (name == "mnist") return prepare_mnist(options);
  if (name == "cifar10")
    return prepare_from_tarball(name, {"cifar-10-binary.tar.gz", "cifar10_jpg.tar.gz"}, options);
  return prepare_from_tarball(name, {"flowers12.tar.gz"}, options);
}

}  // namespace bbpt::data
