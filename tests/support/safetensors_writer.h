// SPDX-License-Identifier: MIT
// Writes .safetensors files from tensors, for tests that build Llama checkpoints of their own.
#pragma once

#include <torch/torch.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "bbpt/core/file_io.h"

namespace bbpt::testing {

/// Writes `tensors` (fp32 on CPU, stored as `dtype`: "F32" | "BF16" | "F16") as a safetensors file.
inline void write_safetensors(const std::string& path,
                              const std::map<std::string, torch::Tensor>& tensors,
                              const std::string& dtype = "F32") {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& [name, t] : tensors) {
    const torch::Dtype td = dtype == "F32"    ? torch::kFloat32
                            : dtype == "BF16" ? torch::kBFloat16
                                              : torch::kFloat16;
    const torch::Tensor c = t.to(td).contiguous();
    const size_t begin = data.size();
    data.append(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
    header[name] = {
        {"dtype", dtype}, {"shape", c.sizes().vec()}, {"data_offsets", {begin, data.size()}}};
  }
  const std::string text = header.dump();
  std::string out(8, '\0');
  const uint64_t n = text.size();
  for (int i = 0; i < 8; ++i)
    out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
  core::write_file_atomic(path, out + text + data);
}

}  // namespace bbpt::testing
