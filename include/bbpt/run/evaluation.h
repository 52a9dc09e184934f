// SPDX-License-Identifier: MIT
// A finished trial's learned prompt evaluated on another target: the base-to-new, cross-dataset and
// OOD protocols (algorithms.md 2.4, 8). A target is a dataset and a class subset (all, base or new,
// data/class_subset.h); its test split is classified with its own class names (and, for the
// methods that use one, its own hand-crafted template) under the prompt the trial learned, with the
// trial's model. Base-to-new: train with classes: base, evaluate on (dataset, base) and (dataset,
// new). Cross-dataset: train on A, evaluate on (B, all). OOD: the ImageNet prompt on ImageNet-V2,
// -Sketch, -A and -R (-A and -R keep the 200 classes they have, by wnid).
//
// The trial is rebuilt from its directory as a resumed run would be (config.json, checkpoint.bin's
// final state and few-shot sample), so nothing is retrained; evaluating on the trial's own dataset
// and classes gives result.json's test_acc. Results are kept in DIR/evaluations/<target>.json and
// an evaluation that is there (for the same learned prompt) is not run again.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bbpt/data/class_subset.h"
#include "bbpt/run/trial_context.h"

namespace bbpt::run {

struct EvaluationTarget {
  std::string dataset;
  data::ClassSubset classes = data::ClassSubset::kAll;
};

/// "<dataset>" for all classes, "<dataset> (base)" / "<dataset> (new)" otherwise (for messages).
std::string describe(const EvaluationTarget& target);

/// The file that holds a target's evaluation in a trial directory:
/// DIR/evaluations/<dataset, '/' and ':' as '_'>-<classes>-<8 hex digits of the target>.json.
std::string evaluation_path(const std::string& trial_dir, const EvaluationTarget& target);

struct EvaluationRequest {
  /// A finished trial's directory (config.json, result.json, checkpoint.bin).
  std::string trial_dir;
  EvaluationTarget target;
  /// Where to load from: the device, data, feature cache and vocabulary. The dataset, seed, shots
  /// and classes come from the trial's config.json; model_path too when it is empty (a given one
  /// must have the trial's model_sha256).
  TrialSpec base;
  /// Return DIR/evaluations/<target>.json when it belongs to the trial's learned prompt.
  bool reuse = true;
  /// Write DIR/evaluations/<target>.json after an evaluation (atomically).
  bool store = true;
};

/// Evaluates the trial's prompt on the target. Returns (and stores) {"trial_dir", "method",
/// "dataset", "classes", "seed", "shots", "target_dataset", "target_classes", "num_classes",
/// "test_acc" (fraction), "test_images", "learned_prompt_sha256", "config_sha256",
/// "wall_time_s"}. Throws ConfigError naming the directory when the trial has not finished (no
/// result.json or checkpoint.bin), when its files do not belong together, or when the model file
/// is not the one it was trained with; and as TrialContext::open for a target that cannot be read.
nlohmann::ordered_json evaluate_trial(const EvaluationRequest& request);

/// The stored evaluation of a target when it belongs to the trial's current result (same
/// learned_prompt_sha256 and config_sha256), else null.
nlohmann::ordered_json stored_evaluation(const std::string& trial_dir,
                                         const EvaluationTarget& target);

}  // namespace bbpt::run
