// SPDX-License-Identifier: MIT
// Implements `bbpt model check`: the parity test against outputs of the Python reference code.
#include "bbpt/model/reference_check.h"

#include <torch/script.h>

#include <map>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"

namespace bbpt::model {
namespace {

std::map<std::string, torch::Tensor> read_reference_buffers(const std::string& path) {
  BBPT_CHECK(core::is_regular_file(path), IoError, path << ": reference file not found");
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, torch::kCPU);
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    BBPT_THROW(IoError,
               path << ": not a readable reference file (" << what.substr(0, what.find('\n'))
                    << "); expected a TorchScript module whose buffers hold the reference tensors");
  }
  std::map<std::string, torch::Tensor> buffers;
  for (const auto& b : module.named_buffers()) buffers[b.name] = b.value;
  return buffers;
}

const torch::Tensor& need(const std::map<std::string, torch::Tensor>& buffers,
                          const std::string& name,
                          const std::string& path,
                          const std::string& output) {
  auto it = buffers.find(name);
  BBPT_CHECK(it != buffers.end(), IoError,
             path << ": reference holds '" << output << "' but not its input '" << name << "'");
  return it->second;
}

}  // namespace

ReferenceComparison compare_tensors(const std::string& name,
                                    const torch::Tensor& ours,
                                    const torch::Tensor& reference) {
  TORCH_CHECK(ours.sizes() == reference.sizes(), name, ": shape ", ours.sizes(),
              " differs from the reference ", reference.sizes());
  auto a = ours.detach().to(torch::kCPU, torch::kDouble);
  auto b = reference.detach().to(torch::kCPU, torch::kDouble);
  ReferenceComparison result;
  result.name = name;
  result.max_abs_err = (a - b).abs().max().item<double>();
  const double norm = b.norm().item<double>();
  result.rel_err = (a - b).norm().item<double>() / (norm > 0 ? norm : 1.0);
  return result;
}

std::vector<ReferenceComparison> check_against_reference(ClipModel& model,
                                                         const std::string& reference_path) {
  const auto buffers = read_reference_buffers(reference_path);
  torch::NoGradGuard no_grad;
  const auto device = model->text_projection.device();
  const auto dtype = model->text_projection.scalar_type();
  std::vector<ReferenceComparison> results;
  torch::Tensor image_features, text_features;
  if (buffers.count("image_features") || buffers.count("logits_per_image")) {
    const auto& images = need(buffers, "images", reference_path, "image_features");
    image_features = model->encode_image(images.to(device, dtype));
  }
  if (buffers.count("text_features") || buffers.count("logits_per_image")) {
    const auto& tokens = need(buffers, "tokens", reference_path, "text_features");
    text_features = model->encode_text(tokens.to(device));
  }
  if (buffers.count("image_features")) {
    results.push_back(
        compare_tensors("image_features", image_features, buffers.at("image_features")));
  }
  if (buffers.count("text_features")) {
    results.push_back(compare_tensors("text_features", text_features, buffers.at("text_features")));
  }
  if (buffers.count("logits_per_image")) {
    results.push_back(compare_tensors("logits_per_image",
                                      model->logits(image_features, text_features),
                                      buffers.at("logits_per_image")));
  }
  if (buffers.count("soft_text_features")) {
    const auto& ctx = need(buffers, "soft_ctx", reference_path, "soft_text_features");
    const auto& tokens = need(buffers, "soft_tokens", reference_path, "soft_text_features");
    auto features = model->encode_text_with_context(ctx.to(device, dtype), tokens.to(device));
    results.push_back(
        compare_tensors("soft_text_features", features, buffers.at("soft_text_features")));
  }
  if (buffers.count("logit_scale")) {
    results.push_back(
        compare_tensors("logit_scale", model->logit_scale, buffers.at("logit_scale")));
  }
  BBPT_CHECK(!results.empty(), IoError,
             reference_path << ": holds none of image_features, text_features, logits_per_image, "
                               "soft_text_features, logit_scale");
  return results;
}

}  // namespace bbpt::model
