// SPDX-License-Identifier: MIT
// Implements the tensor conversions of the run module.
#include "tensor_bytes.h"

#include <cstring>

#include "bbpt/core/error.h"

namespace bbpt::run {
namespace {

std::string dtype_name(torch::Dtype dtype) {
  if (dtype == torch::kFloat) return "float32";
  if (dtype == torch::kDouble) return "float64";
  if (dtype == torch::kLong) return "int64";
  BBPT_THROW(ModelError, "cannot checkpoint a tensor of type " << dtype);
}

torch::Dtype parse_dtype_name(const std::string& name) {
  if (name == "float32") return torch::kFloat;
  if (name == "float64") return torch::kDouble;
  if (name == "int64") return torch::kLong;
  BBPT_THROW(IoError, "checkpoint tensor of unknown type '" << name << "'");
}

}  // namespace

NamedTensor to_named_tensor(const std::string& name, const torch::Tensor& tensor) {
  auto t = tensor.detach().to(torch::kCPU).contiguous();
  NamedTensor out;
  out.name = name;
  out.dtype = dtype_name(t.scalar_type());
  out.shape.assign(t.sizes().begin(), t.sizes().end());
  out.bytes.assign(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  return out;
}

torch::Tensor from_named_tensor(const NamedTensor& named) {
  auto t = torch::empty(named.shape, parse_dtype_name(named.dtype));
  BBPT_CHECK(static_cast<size_t>(t.numel() * t.element_size()) == named.bytes.size(), IoError,
             "checkpoint tensor '" << named.name << "' has " << named.bytes.size()
                                   << " bytes for its shape");
  std::memcpy(t.data_ptr(), named.bytes.data(), named.bytes.size());
  return t;
}

std::vector<std::pair<std::string, torch::Tensor>> tensors_with_prefix(const MethodState& state,
                                                                       const std::string& prefix) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& named : state.tensors) {
    if (named.name.compare(0, prefix.size(), prefix) == 0) {
      out.emplace_back(named.name.substr(prefix.size()), from_named_tensor(named));
    }
  }
  return out;
}

void add_tensors(MethodState& state,
                 const std::string& prefix,
                 const std::vector<std::pair<std::string, torch::Tensor>>& tensors) {
  for (const auto& [name, tensor] : tensors)
    state.tensors.push_back(to_named_tensor(prefix + name, tensor));
}

torch::Tensor tensor_named(const MethodState& state, const std::string& name) {
  for (const auto& named : state.tensors) {
    if (named.name == name) return from_named_tensor(named);
  }
  BBPT_THROW(IoError, "the checkpoint has no tensor '" << name << "' (written by another method?)");
}

torch::Tensor settings_to_tensor(const Eigen::MatrixXd& settings) {
  // Column-major [N, K] has the memory layout of row-major [K, N].
  return torch::from_blob(const_cast<double*>(settings.data()), {settings.cols(), settings.rows()},
                          torch::kDouble)
      .clone();
}

torch::Tensor vector_to_tensor(const Eigen::VectorXd& v) {
  return torch::from_blob(const_cast<double*>(v.data()), {1, v.size()}, torch::kDouble).clone();
}

std::vector<double> to_std_vector(const Eigen::VectorXd& v) {
  return {v.data(), v.data() + v.size()};
}

Eigen::VectorXd to_eigen(const std::vector<double>& v) {
  return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

}  // namespace bbpt::run
