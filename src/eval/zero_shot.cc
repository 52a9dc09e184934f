// SPDX-License-Identifier: MIT
// Implements zero-shot template classification.
#include "bbpt/eval/zero_shot.h"

#include <algorithm>

#include "bbpt/core/error.h"

namespace bbpt::eval {

std::string fill_template(const std::string& text_template, const std::string& class_name) {
  std::string name = class_name;
  std::replace(name.begin(), name.end(), '_', ' ');
  const auto slot = text_template.find("{}");
  BBPT_CHECK(slot != std::string::npos, ConfigError,
             "template '" << text_template << "' has no {} placeholder for the class name");
  return text_template.substr(0, slot) + name + text_template.substr(slot + 2);
}

torch::Tensor class_text_features(model::ClipModel& model,
                                  const tokenizer::ClipTokenizer& tokenizer,
                                  const std::vector<std::string>& class_names,
                                  const std::vector<std::string>& templates) {
  BBPT_CHECK(!templates.empty(), ConfigError, "at least one template is needed");
  const int64_t context_length = model->config().context_length;
  const auto device = model->text_projection.device();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> per_class;
  for (const auto& name : class_names) {
    auto tokens = torch::zeros({static_cast<int64_t>(templates.size()), context_length}, torch::kLong);
    for (size_t t = 0; t < templates.size(); ++t) {
      const auto ids = tokenizer.tokenize(fill_template(templates[t], name),
                                          static_cast<int>(context_length));
      for (size_t j = 0; j < ids.size(); ++j) tokens[t][j] = ids[j];
    }
    auto features = model->encode_text(tokens.to(device)).to(torch::kFloat);  // [T, E]
    features = features / features.norm(2, -1, true);
    auto mean = features.mean(0);                                             // [E]
    per_class.push_back(mean / mean.norm());
  }
  return torch::stack(per_class);  // [C, E]
}

ZeroShotResult evaluate_zero_shot(const torch::Tensor& image_features,
                                  const torch::Tensor& labels,
                                  const torch::Tensor& class_features) {
  TORCH_CHECK(image_features.dim() == 2 && class_features.dim() == 2 &&
                  image_features.size(1) == class_features.size(1),
              "feature widths differ: images ", image_features.sizes(), ", classes ",
              class_features.sizes());
  auto images = image_features.to(torch::kFloat);
  images = images / images.norm(2, -1, true);
  auto predictions = torch::matmul(images, class_features.to(images.device()).t()).argmax(-1);  // [N]
  ZeroShotResult result;
  result.num_images = labels.size(0);
  result.num_correct = predictions.eq(labels.to(predictions.device())).sum().item<int64_t>();
  return result;
}

}  // namespace bbpt::eval
