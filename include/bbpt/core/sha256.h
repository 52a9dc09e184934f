// SPDX-License-Identifier: MIT
// SHA-256 (FIPS 180-4) of byte buffers and files, as lowercase hex. Used to verify downloaded
// assets and to fingerprint models and datasets; not for anything secret.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bbpt::core {

/// Incremental SHA-256: update() any number of times, then hex_digest() once.
class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t num_bytes);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  /// Finalises and returns the 64-character lowercase hex digest.
  std::string hex_digest();

 private:
  void compress(const uint8_t* block);
  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffer_len_ = 0;
  uint64_t total_bytes_ = 0;
};

/// Hex SHA-256 of a byte string.
std::string sha256_hex(std::string_view bytes);
/// Hex SHA-256 of a whole file; throws IoError naming the file when it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace bbpt::core
