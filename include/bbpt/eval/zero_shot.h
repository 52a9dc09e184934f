// SPDX-License-Identifier: MIT
// Zero-shot classification with hand-crafted templates: class text features per template and for
// the CLIP-style ensemble of several, against frozen image features, top-1 accuracy. Each
// template's class features are encoded once; the ensemble is built from them.
#pragma once

#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bbpt/model/clip_model.h"
#include "bbpt/tokenizer/clip_tokenizer.h"

namespace bbpt::eval {

/// "{}" in each template is replaced by the class name with '_' turned into spaces.
std::string fill_template(const std::string& text_template, const std::string& class_name);

/// Token ids of every text (SOT ... EOT, truncated to context_length with EOT kept last),
/// zero-padded: [N, context_length] int64 on the CPU. Cuts silently: class prompts go through
/// ClassPrompts (class_prompts.h), which says when it cuts.
torch::Tensor tokenize_texts(const tokenizer::ClipTokenizer& tokenizer,
                             const std::vector<std::string>& texts,
                             int64_t context_length);

/// Normalised class embeddings of each template: element t is [C, E] float32 (unit rows) for
/// templates[t], on the model's device. One encode_text call per template over all C classes.
/// A class whose prompt does not fit the context is cut and warned about once (ClassPrompts).
/// Throws ConfigError when templates is empty or a template has no {} slot.
std::vector<torch::Tensor> per_template_text_features(model::ClipModel& model,
                                                      const tokenizer::ClipTokenizer& tokenizer,
                                                      const std::vector<std::string>& class_names,
                                                      const std::vector<std::string>& templates);

/// The template ensemble of per-template features (each [C, E], unit rows): mean over templates,
/// then normalised again -> [C, E]
/// (ref: CLIP notebooks/Prompt_Engineering_for_ImageNet.ipynb zeroshot_classifier).
torch::Tensor ensemble_text_features(const std::vector<torch::Tensor>& per_template);

/// Normalised ensemble class embeddings [C, E]: ensemble_text_features(per_template_text_features).
torch::Tensor class_text_features(model::ClipModel& model,
                                  const tokenizer::ClipTokenizer& tokenizer,
                                  const std::vector<std::string>& class_names,
                                  const std::vector<std::string>& templates);

struct ZeroShotResult {
  int64_t num_images = 0;
  int64_t num_correct = 0;
  /// Fraction in [0, 1]; 0 for an empty split.
  double accuracy() const {
    return num_images ? static_cast<double>(num_correct) / static_cast<double>(num_images) : 0.0;
  }
};

/// image_features [N, E] (any scale), labels [N], class_features [C, E]: top-1 accuracy.
ZeroShotResult evaluate_zero_shot(const torch::Tensor& image_features,
                                  const torch::Tensor& labels,
                                  const torch::Tensor& class_features);

/// Accuracy of one template.
struct TemplateAccuracy {
  std::string text_template;
  ZeroShotResult result;
};

/// Accuracy of every template on its own and of their ensemble, on the same images.
struct ZeroShotReport {
  /// In the order the templates were given.
  std::vector<TemplateAccuracy> per_template;
  /// The ensemble of all templates (equal to per_template[0] when there is one template).
  ZeroShotResult ensemble;
  /// Index into per_template of the most accurate template (the first one on ties).
  size_t best_template() const;
};

/// Evaluates precomputed per-template class features (each [C, E], unit rows, as returned by
/// per_template_text_features) on image_features [N, E] (any scale) with labels [N].
/// per_template_features.size() must equal templates.size() (>= 1).
ZeroShotReport evaluate_templates(const torch::Tensor& image_features,
                                  const torch::Tensor& labels,
                                  const std::vector<torch::Tensor>& per_template_features,
                                  const std::vector<std::string>& templates);

/// Encodes the class names with each template once and evaluates every template and the ensemble.
/// Throws ConfigError when templates is empty, holds the same template twice or one has no {}.
ZeroShotReport evaluate_templates(const torch::Tensor& image_features,
                                  const torch::Tensor& labels,
                                  model::ClipModel& model,
                                  const tokenizer::ClipTokenizer& tokenizer,
                                  const std::vector<std::string>& class_names,
                                  const std::vector<std::string>& templates);

}  // namespace bbpt::eval
