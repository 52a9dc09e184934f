// SPDX-License-Identifier: MIT
// Writes small ImageFolder datasets for tests of the dataset and feature-cache paths: PNGs of an
// exact byte size (so that two different images can have the same size, the case a size-only
// fingerprint misses), truncated images and text files named like images.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/core/rng.h"
#include "bbpt/image/encode.h"
#include "bbpt/image/image.h"

namespace bbpt::testing {

inline uint32_t png_crc32(const std::string& bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (const unsigned char byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xFFFFFFFFu;
}

inline void append_be32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((value >> shift) & 0xFF));
}

/// A side x side PNG of noise drawn from `seed`, padded to exactly `num_bytes` with a private
/// ancillary chunk ("bbPd", which decoders skip) before IEND. num_bytes must exceed the PNG's
/// own size by at least 12 (a 32 x 32 image is about 3.1 kB).
inline std::string noise_png(int side, uint64_t seed, size_t num_bytes) {
  image::Image img = image::make_image(side, side);
  core::Rng rng(seed);
  for (auto& value : img.rgb) value = static_cast<uint8_t>(rng.next_u64() & 0xFF);
  std::string png = image::encode_png(img);
  BBPT_ASSERT(png.size() + 12 <= num_bytes,
              "noise_png: " << png.size() << " bytes > " << num_bytes);
  const std::string iend = png.substr(png.size() - 12);
  png.resize(png.size() - 12);
  const std::string type_and_data = "bbPd" + std::string(num_bytes - png.size() - 12 - 12, 'x');
  append_be32(png, static_cast<uint32_t>(type_and_data.size() - 4));
  png += type_and_data;
  append_be32(png, png_crc32(type_and_data));
  return png + iend;
}

/// Writes bytes to root/<class_name>/<file_name>, creating the folders.
inline std::string write_image_file(const std::filesystem::path& root,
                                    const std::string& class_name,
                                    const std::string& file_name,
                                    const std::string& bytes) {
  std::filesystem::create_directories(root / class_name);
  const std::string path = (root / class_name / file_name).string();
  core::write_file_atomic(path, bytes);
  return path;
}

}  // namespace bbpt::testing
