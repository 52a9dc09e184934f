// SPDX-License-Identifier: MIT
// Implements zero-shot template classification: per-template class features, their ensemble and
// top-1 accuracy of each on frozen image features.
#include "bbpt/eval/zero_shot.h"

#include <algorithm>
#include <set>

#include "bbpt/core/error.h"
#include "bbpt/eval/class_prompts.h"

namespace bbpt::eval {
namespace {

void check_templates(const std::vector<std::string>& templates) {
  BBPT_CHECK(!templates.empty(), ConfigError,
             "templates: the list is empty; expected at least one");
  std::set<std::string> seen;
  for (const auto& text_template : templates) {
    BBPT_CHECK(seen.insert(text_template).second, ConfigError,
               "templates: '" << text_template << "' is listed twice; expected distinct templates");
  }
}

/// Number of images whose highest-scoring class is their label. images [N, E] with unit rows,
/// labels [N] on the same device, class_features [C, E].
int64_t count_correct(const torch::Tensor& images,
                      const torch::Tensor& labels,
                      const torch::Tensor& class_features) {
  TORCH_CHECK(class_features.dim() == 2 && class_features.size(1) == images.size(1),
              "feature widths differ: images ", images.sizes(), ", classes ",
              class_features.sizes());
  const auto classes = class_features.to(images.device(), torch::kFloat);
  const auto predictions = torch::matmul(images, classes.t()).argmax(-1);  // [N, C] -> [N]
  return predictions.eq(labels).sum().item<int64_t>();
}

/// image_features [N, E] -> float32 with unit rows; labels [N] -> int64 on the same device.
std::pair<torch::Tensor, torch::Tensor> prepare_images(const torch::Tensor& image_features,
                                                       const torch::Tensor& labels) {
  TORCH_CHECK(image_features.dim() == 2, "image_features must be [N, E], got ",
              image_features.sizes());
  TORCH_CHECK(labels.dim() == 1 && labels.size(0) == image_features.size(0),
              "labels must be [N] with N = ", image_features.size(0), ", got ", labels.sizes());
  auto images = image_features.to(torch::kFloat);
  images = images / images.norm(2, -1, true);
  return {images, labels.to(images.device(), torch::kLong)};
}

}  // namespace

std::string fill_template(const std::string& text_template, const std::string& class_name) {
  std::string name = class_name;
  std::replace(name.begin(), name.end(), '_', ' ');
  const auto slot = text_template.find("{}");
  BBPT_CHECK(slot != std::string::npos, ConfigError,
             "template '" << text_template << "' has no {} placeholder for the class name");
  return text_template.substr(0, slot) + name + text_template.substr(slot + 2);
}

torch::Tensor tokenize_texts(const tokenizer::ClipTokenizer& tokenizer,
                             const std::vector<std::string>& texts,
                             int64_t context_length) {
  auto tokens = torch::zeros({static_cast<int64_t>(texts.size()), context_length}, torch::kLong);
  auto accessor = tokens.accessor<int64_t, 2>();  // [N, L]
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto ids = tokenizer.tokenize(texts[i], static_cast<int>(context_length));
    for (size_t j = 0; j < ids.size(); ++j) {
      accessor[static_cast<int64_t>(i)][static_cast<int64_t>(j)] = ids[j];
    }
  }
  return tokens;
}

std::vector<torch::Tensor> per_template_text_features(model::ClipModel& model,
                                                      const tokenizer::ClipTokenizer& tokenizer,
                                                      const std::vector<std::string>& class_names,
                                                      const std::vector<std::string>& templates) {
  BBPT_CHECK(!templates.empty(), ConfigError,
             "templates: the list is empty; expected at least one");
  BBPT_CHECK(!class_names.empty(), ConfigError,
             "class_names: the list is empty; expected at least one class");
  const int64_t context_length = model->config().context_length;
  const auto device = model->text_projection.device();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> per_template;
  per_template.reserve(templates.size());
  ClassPrompts prompts(tokenizer, class_names, context_length);  // warns once per cut class
  for (const auto& text_template : templates) {
    auto tokens = prompts.tokenize(text_template);                            // [C, L]
    auto features = model->encode_text(tokens.to(device)).to(torch::kFloat);  // [C, E]
    per_template.push_back(features / features.norm(2, -1, true));
  }
  return per_template;
}

torch::Tensor ensemble_text_features(const std::vector<torch::Tensor>& per_template) {
  BBPT_CHECK(!per_template.empty(), ConfigError,
             "templates: the list is empty; expected at least one");
  const auto mean = torch::stack(per_template).mean(0);  // [T, C, E] -> [C, E]
  return mean / mean.norm(2, -1, true);
}

torch::Tensor class_text_features(model::ClipModel& model,
                                  const tokenizer::ClipTokenizer& tokenizer,
                                  const std::vector<std::string>& class_names,
                                  const std::vector<std::string>& templates) {
  return ensemble_text_features(
      per_template_text_features(model, tokenizer, class_names, templates));
}

ZeroShotResult evaluate_zero_shot(const torch::Tensor& image_features,
                                  const torch::Tensor& labels,
                                  const torch::Tensor& class_features) {
  const auto [images, image_labels] = prepare_images(image_features, labels);
  ZeroShotResult result;
  result.num_images = images.size(0);
  result.num_correct = count_correct(images, image_labels, class_features);
  return result;
}

size_t ZeroShotReport::best_template() const {
  size_t best = 0;
  for (size_t t = 1; t < per_template.size(); ++t) {
    if (per_template[t].result.num_correct > per_template[best].result.num_correct) best = t;
  }
  return best;
}

ZeroShotReport evaluate_templates(const torch::Tensor& image_features,
                                  const torch::Tensor& labels,
                                  const std::vector<torch::Tensor>& per_template_features,
                                  const std::vector<std::string>& templates) {
  check_templates(templates);
  BBPT_CHECK(per_template_features.size() == templates.size(), ConfigError,
             "per_template_features: " << per_template_features.size() << " tensors for "
                                       << templates.size()
                                       << " templates; expected one [C, E] tensor per template");
  const auto [images, image_labels] = prepare_images(image_features, labels);
  ZeroShotReport report;
  for (size_t t = 0; t < templates.size(); ++t) {
    ZeroShotResult result;
    result.num_images = images.size(0);
    result.num_correct = count_correct(images, image_labels, per_template_features[t]);
    report.per_template.push_back({templates[t], result});
  }
  if (templates.size() == 1) {
    report.ensemble = report.per_template[0].result;
  } else {
    report.ensemble.num_images = images.size(0);
    report.ensemble.num_correct =
        count_correct(images, image_labels, ensemble_text_features(per_template_features));
  }
  return report;
}

ZeroShotReport evaluate_templates(const torch::Tensor& image_features,
                                  const torch::Tensor& labels,
                                  model::ClipModel& model,
                                  const tokenizer::ClipTokenizer& tokenizer,
                                  const std::vector<std::string>& class_names,
                                  const std::vector<std::string>& templates) {
  check_templates(templates);  // before any text is encoded
  const auto per_template = per_template_text_features(model, tokenizer, class_names, templates);
  return evaluate_templates(image_features, labels, per_template, templates);
}

}  // namespace bbpt::eval
