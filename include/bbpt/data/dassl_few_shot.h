// SPDX-License-Identifier: MIT
// The few-shot sample of CoOp/Dassl runs, reproduced exactly: set_random_seed(S), whatever the
// dataset's construction draws from Python's `random` first, then Dassl's
// generate_fewshot_dataset on train (K shots) and on val (min(K, 4) shots), all on one
// PythonRandom stream. Indices only. bbpt's own sampler (few_shot.h) stays for other datasets.
// ref: https://github.com/KaiyangZhou/Dassl.pytorch/blob/master/dassl/data/datasets/base_dataset.py
// ref: https://github.com/KaiyangZhou/CoOp/blob/main/datasets/oxford_pets.py (__init__)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bbpt/data/few_shot.h"
#include "bbpt/data/python_random.h"

namespace bbpt::data {

/// generate_fewshot_dataset(data_source, num_shots=shots) with Dassl's default repeat=True, on
/// `rng`. `labels` are the labels of data_source in its order. Classes are visited in order of
/// first appearance (split_dataset_by_label fills a defaultdict in data order and the loop walks
/// tracker.items()); a class with >= shots items gets random.sample(items, shots), one with fewer
/// gets random.choices(items, k=shots) (so positions can repeat). Returns positions into
/// `labels`, class after class, each class's positions in draw order. Appends one line to `notes`
/// per class drawn with replacement, naming `what` ("train" or "val").
std::vector<int64_t> draw_dassl_few_shot(const std::vector<int>& labels,
                                         int shots,
                                         PythonRandom& rng,
                                         const std::string& what,
                                         std::vector<std::string>& notes);

/// The draws a dataset's construction makes from `random` before the few-shot sample: the
/// lengths of the lists it random.shuffle's, in order (ZIP's SVHN shuffles each class's train
/// images, then its test images; CoOp's datasets with a split file draw nothing).
struct DasslPreamble {
  std::vector<size_t> shuffle_lengths;
};

/// The sample a CoOp/Dassl run with seed `seed` trains on. Dassl's set_random_seed(seed) seeds
/// random, numpy and torch; only `random` is used here: random.seed(seed), the preamble's
/// shuffles, train = generate_fewshot_dataset(train, num_shots=shots), then, when `val_labels` is
/// given, val = generate_fewshot_dataset(val, num_shots=min(shots, 4)) (CoOp's ImageNet draws no
/// val). The result has sampler "dassl"; `train` indexes the train split and `val` the val split
/// (val_split "val", or "none" without val_labels). Throws ConfigError when shots < 1.
FewShotSplit sample_few_shot_dassl(const std::vector<int>& train_labels,
                                   const std::vector<int>* val_labels,
                                   int shots,
                                   uint64_t seed,
                                   const std::string& dataset,
                                   const DasslPreamble& preamble = {});

}  // namespace bbpt::data
