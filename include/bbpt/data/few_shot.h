// SPDX-License-Identifier: MIT
// Seeded K-shot sampling of a dataset's train split (the CoOp/Dassl few-shot protocol,
// algorithms.md 1.2) and the index files "shot_K-seed_S.json" that pin a sample down. Indices only:
// turning them into images or features is the caller's job. This sampler does not reproduce
// Python's random.sample; dassl_few_shot.h does, for the CoOp-layout datasets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bbpt::data {

/// Validation items drawn per class for `shots` training items: min(K, 4), as Dassl's
/// generate_fewshot_dataset(val, num_shots=min(K, 4)).
int few_shot_val_shots(int shots);

/// FewShotSplit::sampler of sample_few_shot (bbpt's own per-class streams).
inline constexpr const char* kBbptSampler = "bbpt";
/// FewShotSplit::sampler of sample_few_shot_dassl (Python's random, as Dassl draws).
inline constexpr const char* kDasslSampler = "dassl";

/// One K-shot sample. With sampler "bbpt", `train` and `val` are indices into the dataset's train
/// split, disjoint from each other and free of duplicates. With sampler "dassl" (dassl_few_shot.h)
/// `val` indexes the val split (val_split = "val") and an index repeats when a class had fewer
/// items than it needed (Dassl draws with replacement then; `notes` says so). The validation items
/// come from the same train split (the items of each class not drawn for training), like Dassl's
/// generate_fewshot_dataset when a dataset has no val split; CoOp's val split, when there is one,
/// is deliberately not used, so a K-shot run never sees more than K + min(K, 4) labelled images per
/// class.
struct FewShotSplit {
  /// K: training items per class.
  int shots = 0;
  /// The seed the sample was drawn with.
  uint64_t seed = 0;
  /// Dataset name, for the reader's benefit only (not used when sampling).
  std::string dataset;
  /// Which sampler drew it: kBbptSampler or kDasslSampler.
  std::string sampler = kBbptSampler;
  /// The split `val` indexes: "train" (bbpt), "val" (dassl) or "none" (dassl without a val draw).
  std::string val_split = "train";
  /// Training indices: classes in first-appearance order, each class's items in draw order.
  std::vector<int64_t> train;
  /// Validation indices, min(K, 4) per class, same ordering rules as `train`.
  std::vector<int64_t> val;
  /// The classes the indices cover: "all", or "base"/"new" (class_subset.h) when the sample was
  /// drawn on every class, as Dassl draws it, and then cut to a subset; `train` and `val` then
  /// index the subset's splits (ClassSubsetDataset).
  std::string classes = "all";
  /// One line per class that had too few items (fewer than K, or fewer than K + min(K, 4)).
  /// Empty when every class got its full count.
  std::vector<std::string> notes;
};

/// Draws a K-shot sample from the train split whose labels are `labels` (labels[i] is the class of
/// item i, in [0, num_classes)).
///
/// Classes are visited in first-appearance order of their label (as Dassl groups them). For class c
/// the items of c, in index order, are shuffled by a partial Fisher-Yates driven by
/// core::Rng(seed, stream = c).uniform_int: the first K drawn items are the class's training items
/// and the next min(K, 4) its validation items, both kept in draw order (not sorted). Samples with
/// the same seed are nested: each class's k-shot training items are the first k of its K-shot
/// training items (k < K). A class
/// with fewer than K items contributes all of them to `train` and none to `val`; a class with
/// fewer than K + min(K, 4) gets a short val. Each shortfall is recorded in `notes` (Dassl would
/// raise instead). Classes without any item are noted too. The result depends only on the
/// arguments and this file, so it is identical on every platform.
///
/// Throws ConfigError when shots < 1, num_classes < 1 or a label is outside [0, num_classes).
FewShotSplit sample_few_shot(const std::vector<int>& labels,
                             int num_classes,
                             int shots,
                             uint64_t seed,
                             const std::string& dataset);

/// "shot_K-seed_S.json", Dassl's split_fewshot/shot_{K}-seed_{S}.pkl with a JSON extension.
std::string few_shot_file_name(int shots, uint64_t seed);

/// Writes {"dataset", "sampler", "shots", "seed", "val_split", "train", "val"} (plus "classes"
/// when it is not "all", and "notes" when there are any) as JSON, atomically
/// (core::write_file_atomic). Creates missing parent directories.
void write_few_shot_file(const std::string& path, const FewShotSplit& split);

/// Reads a file written by write_few_shot_file (or by any tool writing the same keys) and checks
/// that "shots" (integer >= 1) and "seed" (unsigned integer) are present and that "train" and
/// "val" are lists of integer indices: train's in [0, num_train_items), val's in
/// [0, num_train_items) when val_split is "train", else in [0, num_val_items). Sampler "bbpt"
/// allows no duplicate within or across the two lists; sampler "dassl" allows repeats (draws with
/// replacement). "dataset", "notes", "sampler" (default "bbpt", files written before it existed)
/// and "val_split" (default "train") are optional. Throws IoError naming the file, the bad field
/// and its value.
FewShotSplit read_few_shot_file(const std::string& path,
                                size_t num_train_items,
                                size_t num_val_items = 0);

}  // namespace bbpt::data
