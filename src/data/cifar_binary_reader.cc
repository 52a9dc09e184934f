// SPDX-License-Identifier: MIT
// Implements the CIFAR-10 binary reader: record-size checks, label checks and the planar
// (CHW) to interleaved (HWC) conversion.
#include "bbpt/data/cifar_binary_reader.h"

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"

namespace bbpt::data {

std::unique_ptr<InMemoryDataset> open_cifar_binary_dataset(
    const std::vector<std::string>& batch_paths,
    std::vector<std::string> class_names,
    const std::string& name) {
  constexpr size_t kPlane = size_t{kCifarSide} * kCifarSide;
  BBPT_CHECK(!batch_paths.empty(), ConfigError, name << ": no CIFAR batch files given");
  const int num_classes = static_cast<int>(class_names.size());
  PixelBuffer images;
  images.width = kCifarSide;
  images.height = kCifarSide;
  images.channels = 3;
  std::vector<int> labels;
  for (const auto& path : batch_paths) {
    const std::string bytes = core::read_file(path);
    BBPT_CHECK(!bytes.empty() && bytes.size() % kCifarRecordBytes == 0, IoError,
               path << ": " << bytes.size() << " bytes is not a whole number of "
                    << kCifarRecordBytes
                    << "-byte records (expected 1 label byte + 3072 pixel bytes per image)");
    const size_t num_records = bytes.size() / kCifarRecordBytes;
    const size_t base = images.pixels.size();
    images.pixels.resize(base + num_records * 3 * kPlane);
    for (size_t r = 0; r < num_records; ++r) {
      const auto* record = reinterpret_cast<const uint8_t*>(bytes.data()) + r * kCifarRecordBytes;
      BBPT_CHECK(record[0] < num_classes, IoError,
                 path << ": label " << int{record[0]} << " of record " << r
                      << " is out of range (expected 0.." << num_classes - 1 << " for "
                      << num_classes << " classes)");
      labels.push_back(record[0]);
      uint8_t* out = images.pixels.data() + base + r * 3 * kPlane;
      for (size_t p = 0; p < kPlane; ++p) {
        for (size_t c = 0; c < 3; ++c) {
          out[3 * p + c] = record[1 + c * kPlane + p];  // [3, H, W] -> [H, W, 3]
        }
      }
    }
  }
  return std::make_unique<InMemoryDataset>(name, std::move(images), std::move(labels),
                                           std::move(class_names));
}

}  // namespace bbpt::data
