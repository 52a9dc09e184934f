// SPDX-License-Identifier: MIT
// Implements seeded K-shot sampling (partial Fisher-Yates on per-class core::Rng streams) and the
// shot_K-seed_S.json index files (of either sampler). No libtorch: indices only.
#include "bbpt/data/few_shot.h"

#include <algorithm>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/core/rng.h"

namespace bbpt::data {
namespace {

using Json = nlohmann::ordered_json;

/// Shuffles the first `count` positions of items in place (partial Fisher-Yates): afterwards
/// items[0..count) is a uniform draw without replacement, in draw order.
void partial_shuffle(std::vector<int64_t>& items, size_t count, core::Rng& rng) {
  const size_t n = items.size();
  for (size_t i = 0; i < count && i < n; ++i) {
    const size_t j = i + static_cast<size_t>(rng.uniform_int(n - i));
    std::swap(items[i], items[j]);
  }
}

/// Reads the index list `field` ("train" or "val"): indices in [0, num_items) of `split_name`,
/// and, unless `seen` is null, none already in `seen` (shared by both lists so that they are also
/// disjoint).
std::vector<int64_t> read_index_list(const Json& root,
                                     const std::string& path,
                                     const char* field,
                                     size_t num_items,
                                     const std::string& split_name,
                                     std::vector<char>* seen) {
  BBPT_CHECK(
      root.contains(field), IoError,
      path << ": field '" << field << "' is missing; expected a list of train-split indices");
  const Json& list = root.at(field);
  BBPT_CHECK(list.is_array(), IoError,
             path << ": field '" << field << "' = " << list.dump()
                  << " is not a list; expected a list of train-split indices");
  std::vector<int64_t> indices;
  indices.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& value = list[i];
    BBPT_CHECK(value.is_number_integer(), IoError,
               path << ": field " << field << "[" << i << "] = " << value.dump()
                    << " is not an integer; expected a train-split index");
    const bool in_range =
        value.is_number_unsigned() && value.get<uint64_t>() < static_cast<uint64_t>(num_items);
    BBPT_CHECK(in_range, IoError,
               path << ": field " << field << "[" << i << "] = " << value.dump()
                    << " is out of range; expected an index in [0, " << num_items
                    << ") (the size of the " << split_name << " split)");
    const auto index = value.get<int64_t>();
    if (seen != nullptr) {
      BBPT_CHECK(
          !(*seen)[static_cast<size_t>(index)], IoError,
          path << ": field " << field << "[" << i << "] = " << index
               << " is a duplicate; expected every index at most once in train and val together");
      (*seen)[static_cast<size_t>(index)] = 1;
    }
    indices.push_back(index);
  }
  return indices;
}

/// The optional string field `field`, one of `allowed`; `fallback` when absent.
std::string read_choice(const Json& root,
                        const std::string& path,
                        const char* field,
                        const std::string& fallback,
                        const std::vector<std::string>& allowed) {
  if (!root.contains(field)) return fallback;
  const Json& value = root.at(field);
  const bool ok = value.is_string() && std::find(allowed.begin(), allowed.end(),
                                                 value.get<std::string>()) != allowed.end();
  std::string expected;
  for (const auto& a : allowed) expected += (expected.empty() ? "\"" : ", \"") + a + "\"";
  BBPT_CHECK(
      ok, IoError,
      path << ": field '" << field << "' = " << value.dump() << "; expected one of " << expected);
  return value.get<std::string>();
}

}  // namespace

int few_shot_val_shots(int shots) { return std::min(shots, 4); }

FewShotSplit sample_few_shot(const std::vector<int>& labels,
                             int num_classes,
                             int shots,
                             uint64_t seed,
                             const std::string& dataset) {
  BBPT_CHECK(shots >= 1, ConfigError, "few-shot sampling: shots = " << shots << "; expected >= 1");
  BBPT_CHECK(num_classes >= 1, ConfigError,
             "few-shot sampling of '" << dataset << "': num_classes = " << num_classes
                                      << "; expected >= 1");
  // Group item indices by class (ascending within a class) and note first-appearance order.
  std::vector<std::vector<int64_t>> items_by_class(static_cast<size_t>(num_classes));
  std::vector<int> class_order;
  for (size_t i = 0; i < labels.size(); ++i) {
    const int label = labels[i];
    BBPT_CHECK(label >= 0 && label < num_classes, ConfigError,
               "few-shot sampling of '" << dataset << "': label of item " << i << " = " << label
                                        << "; expected a class in [0, " << num_classes << ")");
    auto& items = items_by_class[static_cast<size_t>(label)];
    if (items.empty()) class_order.push_back(label);
    items.push_back(static_cast<int64_t>(i));
  }

  FewShotSplit split;
  split.shots = shots;
  split.seed = seed;
  split.dataset = dataset;
  const auto train_per_class = static_cast<size_t>(shots);
  const auto val_per_class = static_cast<size_t>(few_shot_val_shots(shots));
  for (const int label : class_order) {
    auto& items = items_by_class[static_cast<size_t>(label)];
    core::Rng rng(seed, static_cast<uint64_t>(label));
    partial_shuffle(items, train_per_class + val_per_class, rng);
    const size_t num_train = std::min(items.size(), train_per_class);
    const size_t num_val = std::min(items.size() - num_train, val_per_class);
    const auto train_end = items.begin() + static_cast<std::ptrdiff_t>(num_train);
    split.train.insert(split.train.end(), items.begin(), train_end);
    split.val.insert(split.val.end(), train_end, train_end + static_cast<std::ptrdiff_t>(num_val));
    if (num_train < train_per_class || num_val < val_per_class) {
      std::ostringstream note;
      note << "class " << label << " has " << items.size() << " items, fewer than " << shots
           << " train + " << val_per_class << " val: took " << num_train << " train and " << num_val
           << " val";
      split.notes.push_back(note.str());
    }
  }
  for (int label = 0; label < num_classes; ++label) {
    if (items_by_class[static_cast<size_t>(label)].empty()) {
      split.notes.push_back("class " + std::to_string(label) + " has no items: took none");
    }
  }
  return split;
}

std::string few_shot_file_name(int shots, uint64_t seed) {
  return "shot_" + std::to_string(shots) + "-seed_" + std::to_string(seed) + ".json";
}

void write_few_shot_file(const std::string& path, const FewShotSplit& split) {
  // One key per line and each index list on a single line: a 16-shot ImageNet file stays readable.
  std::vector<std::pair<std::string, Json>> fields = {
      {"dataset", split.dataset}, {"sampler", split.sampler},     {"shots", split.shots},
      {"seed", split.seed},       {"val_split", split.val_split}, {"train", split.train},
      {"val", split.val}};
  if (split.classes != "all") fields.emplace_back("classes", split.classes);
  if (!split.notes.empty()) fields.emplace_back("notes", split.notes);
  std::string text = "{\n";
  for (size_t i = 0; i < fields.size(); ++i) {
    text += "  " + Json(fields[i].first).dump() + ": " + fields[i].second.dump();
    text += i + 1 < fields.size() ? ",\n" : "\n";
  }
  text += "}\n";
  core::write_file_atomic(path, text);
}

FewShotSplit read_few_shot_file(const std::string& path,
                                size_t num_train_items,
                                size_t num_val_items) {
  Json root;
  try {
    root = Json::parse(core::read_file(path));
  } catch (const Json::parse_error& e) {
    BBPT_THROW(IoError, path << ": not valid JSON (" << e.what()
                             << "); expected a few-shot index file from write_few_shot_file");
  }
  BBPT_CHECK(root.is_object(), IoError,
             path << ": top level is " << root.type_name()
                  << "; expected a JSON object with shots, seed, train and val");

  FewShotSplit split;
  BBPT_CHECK(root.contains("shots"), IoError,
             path << ": field 'shots' is missing; expected an integer >= 1");
  const Json& shots = root.at("shots");
  BBPT_CHECK(shots.is_number_unsigned() && shots.get<uint64_t>() >= 1 &&
                 shots.get<uint64_t>() <= (1U << 30),
             IoError,
             path << ": field 'shots' = " << shots.dump() << "; expected an integer in [1, 2^30]");
  split.shots = shots.get<int>();

  BBPT_CHECK(root.contains("seed"), IoError,
             path << ": field 'seed' is missing; expected an unsigned integer");
  const Json& seed = root.at("seed");
  BBPT_CHECK(seed.is_number_unsigned(), IoError,
             path << ": field 'seed' = " << seed.dump() << "; expected an unsigned integer");
  split.seed = seed.get<uint64_t>();

  if (root.contains("dataset")) {
    const Json& dataset = root.at("dataset");
    BBPT_CHECK(dataset.is_string(), IoError,
               path << ": field 'dataset' = " << dataset.dump() << "; expected a string");
    split.dataset = dataset.get<std::string>();
  }

  split.sampler = read_choice(root, path, "sampler", split.sampler, {kBbptSampler, kDasslSampler});
  split.val_split = read_choice(root, path, "val_split", split.val_split, {"train", "val", "none"});
  const bool dassl = split.sampler == kDasslSampler;
  BBPT_CHECK(dassl || split.val_split == "train", IoError,
             path << ": field 'val_split' = \"" << split.val_split
                  << "\" with sampler \"bbpt\"; expected \"train\" (bbpt draws val from train)");
  std::vector<char> seen(num_train_items, 0);
  std::vector<char>* unique = dassl ? nullptr : &seen;
  split.train = read_index_list(root, path, "train", num_train_items, "train", unique);
  const bool val_in_train = split.val_split == "train";
  const size_t num_val_bound = val_in_train               ? num_train_items
                               : split.val_split == "val" ? num_val_items
                                                          : 0;
  split.val = read_index_list(root, path, "val", num_val_bound, split.val_split, unique);

  if (root.contains("notes")) {
    const Json& notes = root.at("notes");
    const bool all_strings =
        notes.is_array() &&
        std::all_of(notes.begin(), notes.end(), [](const Json& n) { return n.is_string(); });
    BBPT_CHECK(all_strings, IoError,
               path << ": field 'notes' = " << notes.dump() << "; expected a list of strings");
    for (const auto& note : notes) split.notes.push_back(note.get<std::string>());
  }
  return split;
}

}  // namespace bbpt::data
