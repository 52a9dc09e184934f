// SPDX-License-Identifier: MIT
// Implements Dassl's generate_fewshot_dataset on a PythonRandom stream and the CoOp order of
// draws (preamble, train, val).
#include "bbpt/data/dassl_few_shot.h"

#include <unordered_map>

#include "bbpt/core/error.h"

namespace bbpt::data {

std::vector<int64_t> draw_dassl_few_shot(const std::vector<int>& labels,
                                         int shots,
                                         PythonRandom& rng,
                                         const std::string& what,
                                         std::vector<std::string>& notes) {
  // split_dataset_by_label: a dict of label -> positions, keys in first-appearance order.
  std::unordered_map<int, size_t> slot_of_label;
  std::vector<int> class_order;
  std::vector<std::vector<int64_t>> items_by_class;
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto [it, inserted] = slot_of_label.emplace(labels[i], items_by_class.size());
    if (inserted) {
      class_order.push_back(labels[i]);
      items_by_class.emplace_back();
    }
    items_by_class[it->second].push_back(static_cast<int64_t>(i));
  }
  const auto k = static_cast<size_t>(shots);
  std::vector<int64_t> drawn;
  for (size_t c = 0; c < class_order.size(); ++c) {
    const auto& items = items_by_class[c];
    const bool enough = items.size() >= k;
    const auto positions = enough ? rng.sample(items.size(), k) : rng.choices(items.size(), k);
    for (const size_t p : positions) drawn.push_back(items[p]);
    if (!enough) {
      notes.push_back(what + " class " + std::to_string(class_order[c]) + " has " +
                      std::to_string(items.size()) + " items, fewer than " + std::to_string(shots) +
                      ": drew " + std::to_string(shots) +
                      " with replacement (Dassl's repeat=True)");
    }
  }
  return drawn;
}

FewShotSplit sample_few_shot_dassl(const std::vector<int>& train_labels,
                                   const std::vector<int>* val_labels,
                                   int shots,
                                   uint64_t seed,
                                   const std::string& dataset,
                                   const DasslPreamble& preamble) {
  BBPT_CHECK(shots >= 1, ConfigError,
             "few-shot sampling of '" << dataset << "': shots = " << shots << "; expected >= 1");
  FewShotSplit split;
  split.shots = shots;
  split.seed = seed;
  split.dataset = dataset;
  split.sampler = kDasslSampler;
  split.val_split = val_labels != nullptr ? "val" : "none";
  PythonRandom rng(seed);
  for (const size_t length : preamble.shuffle_lengths) rng.skip_shuffle(length);
  split.train = draw_dassl_few_shot(train_labels, shots, rng, "train", split.notes);
  if (val_labels != nullptr) {
    split.val =
        draw_dassl_few_shot(*val_labels, few_shot_val_shots(shots), rng, "val", split.notes);
  }
  return split;
}

}  // namespace bbpt::data
