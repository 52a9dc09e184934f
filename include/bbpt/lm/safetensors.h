// SPDX-License-Identifier: MIT
// Reads .safetensors files (Hugging Face's format: u64 little-endian header length, a JSON header,
// then raw little-endian tensor bytes) through a read-only memory map, so a tensor's bytes are
// copied once, into its destination, never the whole file twice. No libtorch.
// ref: https://github.com/huggingface/safetensors#format
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bbpt::lm {

/// The element types bbpt loads; any other dtype in a header is refused with its name.
enum class TensorDType { kF32, kF16, kBF16 };

std::string to_string(TensorDType dtype);
size_t element_bytes(TensorDType dtype);

/// One tensor's entry: where its bytes are inside the mapping, valid while the file is open.
struct TensorEntry {
  std::string name;
  TensorDType dtype = TensorDType::kF32;
  std::vector<int64_t> shape;
  const std::byte* data = nullptr;
  size_t num_bytes = 0;

  int64_t numel() const;
};

/// An open .safetensors file. Every header entry is validated on open: dtype supported, shape
/// non-negative, data_offsets inside the data section and equal to numel * element size, no
/// overlaps. Errors name the file, the tensor and the field.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::map<std::string, TensorEntry>& tensors() const { return tensors_; }
  bool contains(const std::string& name) const { return tensors_.count(name) > 0; }
  /// The entry of `name`; throws ModelError naming the file when it is absent.
  const TensorEntry& at(const std::string& name) const;

 private:
  std::string path_;
  void* mapping_ = nullptr;
  size_t mapping_bytes_ = 0;
  std::map<std::string, TensorEntry> tensors_;
};

}  // namespace bbpt::lm
