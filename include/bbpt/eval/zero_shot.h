// SPDX-License-Identifier: MIT
// Zero-shot classification with hand-crafted templates: class text features (one template or the
// CLIP-style ensemble of several) against frozen image features, top-1 accuracy.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "bbpt/model/clip_model.h"
#include "bbpt/tokenizer/clip_tokenizer.h"

namespace bbpt::eval {

/// "{}" in each template is replaced by the class name with '_' turned into spaces.
std::string fill_template(const std::string& text_template, const std::string& class_name);

/// Normalised class embeddings [C, E]: per template normalise, average, normalise again
/// (ref: CLIP notebooks/Prompt_Engineering_for_ImageNet.ipynb zeroshot_classifier).
torch::Tensor class_text_features(model::ClipModel& model,
                                  const tokenizer::ClipTokenizer& tokenizer,
                                  const std::vector<std::string>& class_names,
                                  const std::vector<std::string>& templates);

struct ZeroShotResult {
  int64_t num_images = 0;
  int64_t num_correct = 0;
  double accuracy() const { return num_images ? static_cast<double>(num_correct) / num_images : 0.0; }
};

/// image_features [N, E] (any scale), labels [N], class_features [C, E]: top-1 accuracy.
ZeroShotResult evaluate_zero_shot(const torch::Tensor& image_features,
                                  const torch::Tensor& labels,
                                  const torch::Tensor& class_features);

}  // namespace bbpt::eval
