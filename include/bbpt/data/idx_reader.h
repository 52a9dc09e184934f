// SPDX-License-Identifier: MIT
// Reader of the IDX format of (Fashion-)MNIST: unsigned-byte image (magic 2051) and label (magic
// 2049) files, gzip or plain, big-endian dimensions. Not the other IDX element types.
// ref: http://yann.lecun.com/exdb/mnist/ ("FILE FORMATS FOR THE MNIST DATABASE")
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bbpt/data/in_memory_dataset.h"

namespace bbpt::data {

/// Magic number of an IDX file of unsigned bytes with 3 dimensions (N, rows, cols).
inline constexpr uint32_t kIdxImagesMagic = 2051;
/// Magic number of an IDX file of unsigned bytes with 1 dimension (N).
inline constexpr uint32_t kIdxLabelsMagic = 2049;

/// Reads an IDX image file into a gray buffer [N, rows, cols, 1]. Throws IoError naming the file
/// when it is missing, the gzip stream is corrupt, the magic is not 2051, or the file is shorter
/// or longer than 16 + N * rows * cols bytes.
PixelBuffer read_idx_images(const std::string& path);

/// Reads an IDX label file (N bytes after an 8-byte header). Throws IoError naming the file when
/// the magic is not 2049 or the length is not 8 + N.
std::vector<int> read_idx_labels(const std::string& path);

/// Opens an images/labels pair as one dataset named `name`. Throws IoError naming the files when
/// the counts differ, or naming the label file when a label is outside [0, class_names.size()).
std::unique_ptr<InMemoryDataset> open_idx_dataset(const std::string& images_path,
                                                  const std::string& labels_path,
                                                  std::vector<std::string> class_names,
                                                  const std::string& name);

}  // namespace bbpt::data
