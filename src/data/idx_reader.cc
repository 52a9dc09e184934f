// SPDX-License-Identifier: MIT
// Implements the IDX reader: header parsing with exact length checks, so that a truncated or
// padded download is reported instead of silently yielding a short dataset.
#include "bbpt/data/idx_reader.h"

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"

namespace bbpt::data {
namespace {

uint32_t read_be32(const std::string& bytes, size_t offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + offset;
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

/// The file's bytes after checking the magic and that a header of header_bytes is present.
std::string read_idx(const std::string& path,
                     uint32_t magic,
                     size_t header_bytes,
                     const char* what) {
  std::string bytes = core::read_maybe_gzip_file(path);
  if (bytes.size() >= 4) {
    const uint32_t actual = read_be32(bytes, 0);
    BBPT_CHECK(actual == magic, IoError,
               path << ": IDX magic is " << actual << ", expected " << magic << " (" << what
                    << "); is this the right file?");
  }
  BBPT_CHECK(bytes.size() >= header_bytes, IoError,
             path << ": " << bytes.size() << " bytes is too short for an IDX " << what
                  << " header (expected at least " << header_bytes << " bytes)");
  return bytes;
}

}  // namespace

PixelBuffer read_idx_images(const std::string& path) {
  constexpr size_t kHeaderBytes = 16;
  const std::string bytes = read_idx(path, kIdxImagesMagic, kHeaderBytes, "image file");
  const uint64_t count = read_be32(bytes, 4);
  const uint64_t rows = read_be32(bytes, 8);
  const uint64_t cols = read_be32(bytes, 12);
  BBPT_CHECK(rows > 0 && cols > 0 && rows <= 65536 && cols <= 65536, IoError,
             path << ": image size " << rows << "x" << cols
                  << " in the IDX header is not plausible (expected e.g. 28x28)");
  const uint64_t expected = kHeaderBytes + count * rows * cols;
  BBPT_CHECK(bytes.size() == expected, IoError,
             path << ": " << bytes.size() << " bytes, expected " << expected << " for " << count
                  << " images of " << rows << "x" << cols << " (truncated or corrupt download?)");
  PixelBuffer buffer;
  buffer.width = static_cast<int>(cols);
  buffer.height = static_cast<int>(rows);
  buffer.channels = 1;
  buffer.pixels.assign(bytes.begin() + kHeaderBytes, bytes.end());
  return buffer;
}

std::vector<int> read_idx_labels(const std::string& path) {
  constexpr size_t kHeaderBytes = 8;
  const std::string bytes = read_idx(path, kIdxLabelsMagic, kHeaderBytes, "label file");
  const uint64_t count = read_be32(bytes, 4);
  BBPT_CHECK(bytes.size() == kHeaderBytes + count, IoError,
             path << ": " << bytes.size() << " bytes, expected " << kHeaderBytes + count << " for "
                  << count << " labels (truncated or corrupt download?)");
  std::vector<int> labels(count);
  for (size_t i = 0; i < count; ++i) {
    labels[i] = static_cast<unsigned char>(bytes[kHeaderBytes + i]);
  }
  return labels;
}

std::unique_ptr<InMemoryDataset> open_idx_dataset(const std::string& images_path,
                                                  const std::string& labels_path,
                                                  std::vector<std::string> class_names,
                                                  const std::string& name) {
  PixelBuffer images = read_idx_images(images_path);
  std::vector<int> labels = read_idx_labels(labels_path);
  BBPT_CHECK(images.num_images() == labels.size(), IoError,
             images_path << ": " << images.num_images() << " images but " << labels_path << " has "
                         << labels.size() << " labels (expected the same count)");
  const int num_classes = static_cast<int>(class_names.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    BBPT_CHECK(labels[i] < num_classes, IoError,
               labels_path << ": label " << labels[i] << " of item " << i
                           << " is out of range (expected 0.." << num_classes - 1 << " for "
                           << num_classes << " classes)");
  }
  return std::make_unique<InMemoryDataset>(name, std::move(images), std::move(labels),
                                           std::move(class_names));
}

}  // namespace bbpt::data
