// SPDX-License-Identifier: MIT
// Implements the .safetensors reader: mmap, header validation, tensor views.
#include "bbpt/lm/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "bbpt/core/error.h"

namespace bbpt::lm {
namespace {

using nlohmann::json;

// A header larger than this is not a tensor index (real 8B shards have ~30 KB headers).
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

bool parse_dtype(const std::string& text, TensorDType& out) {
  if (text == "F32")
    out = TensorDType::kF32;
  else if (text == "F16")
    out = TensorDType::kF16;
  else if (text == "BF16")
    out = TensorDType::kBF16;
  else
    return false;
  return true;
}

}  // namespace

std::string to_string(TensorDType dtype) {
  switch (dtype) {
    case TensorDType::kF32:
      return "F32";
    case TensorDType::kF16:
      return "F16";
    case TensorDType::kBF16:
      return "BF16";
  }
  return "?";
}

size_t element_bytes(TensorDType dtype) { return dtype == TensorDType::kF32 ? 4 : 2; }

int64_t TensorEntry::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  BBPT_CHECK(fd >= 0, IoError, path << ": cannot open (" << std::strerror(errno) << ")");
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    BBPT_THROW(IoError, path << ": not a regular file");
  }
  mapping_bytes_ = static_cast<size_t>(info.st_size);
  if (mapping_bytes_ < 8) {
    ::close(fd);
    BBPT_THROW(IoError,
               path << ": " << mapping_bytes_
                    << " bytes, too short for a safetensors file (8-byte header length first)");
  }
  mapping_ = ::mmap(nullptr, mapping_bytes_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapping_ == MAP_FAILED) {
    mapping_ = nullptr;
    BBPT_THROW(IoError, path << ": cannot map (" << std::strerror(errno) << ")");
  }
  try {
    const auto* bytes = static_cast<const std::byte*>(mapping_);
    uint64_t header_bytes = 0;
    for (int i = 7; i >= 0; --i)
      header_bytes = (header_bytes << 8) | std::to_integer<uint64_t>(bytes[i]);
    BBPT_CHECK(header_bytes <= kMaxHeaderBytes && header_bytes <= mapping_bytes_ - 8, IoError,
               path << ": header length " << header_bytes << " exceeds the file (" << mapping_bytes_
                    << " bytes): truncated, or not a safetensors file");
    json header;
    try {
      header = json::parse(reinterpret_cast<const char*>(bytes + 8),
                           reinterpret_cast<const char*>(bytes + 8 + header_bytes));
    } catch (const json::exception& e) {
      BBPT_THROW(IoError, path << ": header is not valid JSON (" << e.what() << ")");
    }
    BBPT_CHECK(header.is_object(), IoError, path << ": header is not a JSON object");
    const std::byte* data = bytes + 8 + header_bytes;
    const size_t data_bytes = mapping_bytes_ - 8 - header_bytes;
    std::vector<std::pair<size_t, size_t>> ranges;
    for (const auto& [name, meta] : header.items()) {
      if (name == "__metadata__") continue;
      BBPT_CHECK(meta.is_object() && meta.contains("dtype") && meta.contains("shape") &&
                     meta.contains("data_offsets"),
                 IoError, path << ": tensor '" << name << "' lacks dtype, shape or data_offsets");
      TensorEntry entry;
      entry.name = name;
      const std::string dtype = meta.at("dtype").is_string() ? meta.at("dtype").get<std::string>()
                                                             : meta.at("dtype").dump();
      BBPT_CHECK(parse_dtype(dtype, entry.dtype), ModelError,
                 path << ": tensor '" << name << "' has dtype " << dtype
                      << ", which bbpt does not load (F32, F16 and BF16 are supported)");
      BBPT_CHECK(meta.at("shape").is_array(), IoError,
                 path << ": tensor '" << name << "' shape is not a list");
      uint64_t numel = 1;
      for (const auto& d : meta.at("shape")) {
        BBPT_CHECK(d.is_number_integer() && d.get<int64_t>() >= 0, IoError,
                   path << ": tensor '" << name << "' has shape entry " << d.dump());
        const auto extent = static_cast<uint64_t>(d.get<int64_t>());
        BBPT_CHECK(extent == 0 || numel <= (uint64_t{1} << 62) / extent, IoError,
                   path << ": tensor '" << name << "' has shape " << meta.at("shape").dump()
                        << ", larger than any file: the header lies");
        numel *= extent;
        entry.shape.push_back(d.get<int64_t>());
      }
      const json& offsets = meta.at("data_offsets");
      BBPT_CHECK(offsets.is_array() && offsets.size() == 2 && offsets[0].is_number_unsigned() &&
                     offsets[1].is_number_unsigned(),
                 IoError,
                 path << ": tensor '" << name << "' data_offsets " << offsets.dump()
                      << " is not [begin, end]");
      const uint64_t begin = offsets[0].get<uint64_t>();
      const uint64_t end = offsets[1].get<uint64_t>();
      BBPT_CHECK(begin <= end && end <= data_bytes, IoError,
                 path << ": tensor '" << name << "' data_offsets [" << begin << ", " << end
                      << "] exceed the data section of " << data_bytes
                      << " bytes: the file is truncated or its header lies");
      entry.num_bytes = static_cast<size_t>(end - begin);
      BBPT_CHECK(entry.num_bytes == static_cast<size_t>(entry.numel()) * element_bytes(entry.dtype),
                 IoError,
                 path << ": tensor '" << name << "' holds " << entry.num_bytes
                      << " bytes but shape and dtype " << dtype << " need "
                      << entry.numel() * static_cast<int64_t>(element_bytes(entry.dtype)));
      entry.data = data + begin;
      ranges.emplace_back(begin, end);
      tensors_.emplace(name, std::move(entry));
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i) {
      BBPT_CHECK(
          ranges[i].first >= ranges[i - 1].second, IoError,
          path << ": tensors overlap at data offset " << ranges[i].first << ": the header lies");
    }
  } catch (...) {
    ::munmap(mapping_, mapping_bytes_);
    mapping_ = nullptr;
    throw;
  }
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_bytes_);
}

const TensorEntry& SafetensorsFile::at(const std::string& name) const {
  auto it = tensors_.find(name);
  BBPT_CHECK(it != tensors_.end(), ModelError, path_ << ": has no tensor '" << name << "'");
  return it->second;
}

}  // namespace bbpt::lm
