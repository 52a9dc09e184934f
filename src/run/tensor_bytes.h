// SPDX-License-Identifier: MIT
// Conversions at the run module's seams: torch tensors <-> checkpoint NamedTensors, optimizer
// matrices (Eigen, [N, K] column-major) <-> parameter batches (torch, [K, N] row-major).
#pragma once
#include <torch/torch.h>

#include <Eigen/Core>
#include <string>
#include <utility>
#include <vector>

#include "bbpt/run/checkpoint.h"

namespace bbpt::run {

NamedTensor to_named_tensor(const std::string& name, const torch::Tensor& tensor);
torch::Tensor from_named_tensor(const NamedTensor& named);
/// The tensors of `state` whose names start with `prefix` (prefix removed), in saved order.
std::vector<std::pair<std::string, torch::Tensor>> tensors_with_prefix(const MethodState& state,
                                                                       const std::string& prefix);
/// Appends tensors under prefix + name.
void add_tensors(MethodState& state,
                 const std::string& prefix,
                 const std::vector<std::pair<std::string, torch::Tensor>>& tensors);
/// The tensor saved under `name`; throws IoError when the checkpoint lacks it.
torch::Tensor tensor_named(const MethodState& state, const std::string& name);

/// Eigen [N, K] (columns = settings) -> torch [K, N] float64 (a copy).
torch::Tensor settings_to_tensor(const Eigen::MatrixXd& settings);
/// Eigen vector [N] -> torch [1, N] float64 (a copy).
torch::Tensor vector_to_tensor(const Eigen::VectorXd& v);
std::vector<double> to_std_vector(const Eigen::VectorXd& v);
Eigen::VectorXd to_eigen(const std::vector<double>& v);

}  // namespace bbpt::run
