// SPDX-License-Identifier: MIT
// The dataset folder layouts CoOp's and ZIP's instructions tell users to build for the datasets
// that have no CoOp split file: ImageNet, ImageNet-V2, -Sketch, -A, -R, FGVCAircraft and SVHN.
// Each is read into a CoopSplit (relpath, label, class name) exactly in the order CoOp/ZIP list
// it, so Dassl's few-shot draw (dassl_few_shot.h) picks the same images. Folders are listed with
// readdir (the order os.listdir gives); no image is opened, decoded or stat'ed.
// ref: https://github.com/KaiyangZhou/CoOp/tree/main/datasets (imagenet.py, imagenetv2.py,
//      imagenet_sketch.py, imagenet_a.py, imagenet_r.py, fgvc_aircraft.py)
// ref: https://github.com/LOG-postech/ZIP/blob/main/datasets/svhn.py
#pragma once

#include <string>
#include <vector>

#include "bbpt/data/coop_split.h"
#include "bbpt/data/dassl_few_shot.h"

namespace bbpt::data {

/// The layouts, as configs/datasets/coop/<Name>.yaml names them in `layout:`.
/// imagenet:        <dir>/classnames.txt ("<wnid> <class name>" per line, 1,000 lines),
///                  <dir>/<image_dir>/{train,val}/<wnid>/<file>; labels = index of the wnid
///                  among the sorted folders; val/ is the test split; no val split.
/// imagenetv2:      <dir>/classnames.txt, <dir>/<image_dir>/<label 0..999>/<file>; label i is
///                  the i-th line of classnames.txt. Test only.
/// imagenet_sketch: <dir>/classnames.txt, <dir>/<image_dir>/<wnid>/<file> for all 1,000 wnids.
/// imagenet_a / imagenet_r: <dir>/classnames.txt (all 1,000), <dir>/<image_dir>/<wnid>/<file>
///                  for exactly 200 of them (README.txt ignored); labels 0..199 by sorted wnid,
///                  class names mapped from classnames.txt by wnid. Test only.
/// fgvc_aircraft:   <dir>/variants.txt (class names by line), <dir>/images_variant_<split>.txt
///                  ("<image id> <variant>" per line), images <dir>/<image_dir>/<id>.jpg.
/// svhn:            <dir>/train/<class>/<file>, <dir>/test/<class>/<file>; train/val from
///                  <dir>/split_SVHN.json (paths relative to train/) when present, else built as
///                  ZIP builds it on its first run (seed 1: classes sorted, each class's train
///                  list shuffled then split 70/30 by Python's round, its test list shuffled).
const std::vector<std::string>& coop_layout_names();

/// Class names by label without listing any image (for describe_dataset). Throws IoError naming
/// the file or folder that is missing or malformed, ConfigError for an unknown layout.
std::vector<std::string> coop_layout_class_names(const std::string& layout,
                                                 const std::string& dataset_dir,
                                                 const std::string& image_dir);

/// Lists split `split` ("train", "val" or "test") of a dataset in `layout`; relpaths are relative
/// to <dataset_dir>/<image_dir>. Only that split is filled (plus class_names). A class folder
/// missing from, or not listed in, the class list is an IoError naming the folder and the list.
CoopSplit read_coop_layout(const std::string& layout,
                           const std::string& dataset_dir,
                           const std::string& image_dir,
                           const std::string& split);

/// What the layout's CoOp/ZIP construction draws from `random` before the few-shot sample
/// (svhn: one shuffle per class of its train list, then of its test list; others: nothing).
DasslPreamble coop_layout_preamble(const std::string& layout, const std::string& dataset_dir);

}  // namespace bbpt::data
