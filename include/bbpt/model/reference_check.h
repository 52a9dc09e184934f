// SPDX-License-Identifier: MIT
// Recomputes the outputs held in a reference file (a TorchScript module whose buffers are images,
// tokens, image_features, text_features, logits_per_image, soft_ctx, soft_tokens,
// soft_text_features, logit_scale; see shared/assets/README.md) and reports the error of each.
#pragma once

#include <string>
#include <vector>

#include "bbpt/model/clip_model.h"

namespace bbpt::model {

struct ReferenceComparison {
  std::string name;        // e.g. "image_features"
  double max_abs_err = 0;  // max |ours - reference|
  double rel_err = 0;      // ||ours - reference|| / ||reference||
};

/// Error statistics of `ours` against `reference` (same shape, compared in float64).
ReferenceComparison compare_tensors(const std::string& name,
                                    const torch::Tensor& ours,
                                    const torch::Tensor& reference);

/// Runs the model on the reference inputs and compares every output the file holds. Throws IoError
/// naming the file when it is missing, not TorchScript, or lacks the inputs an output needs.
std::vector<ReferenceComparison> check_against_reference(ClipModel& model,
                                                         const std::string& reference_path);

}  // namespace bbpt::model
