// SPDX-License-Identifier: MIT
// Reader of the official CIFAR-10 binary batches (cifar-10-batches-bin/data_batch_{1..5}.bin,
// test_batch.bin): records of 1 label byte + 3072 pixel bytes (1024 R, then G, then B, each
// 32x32 row-major). Not the CIFAR-100 layout (2 label bytes) nor the Python pickles.
// ref: https://www.cs.toronto.edu/~kriz/cifar.html ("Binary version")
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bbpt/data/in_memory_dataset.h"

namespace bbpt::data {

/// Side of a CIFAR image, in pixels.
inline constexpr int kCifarSide = 32;
/// Bytes of one record: the label byte and 3 planes of 32x32.
inline constexpr size_t kCifarRecordBytes = 1 + 3 * kCifarSide * kCifarSide;

/// Batch file names of the official train split, in order.
inline const std::vector<std::string> kCifar10TrainBatches = {
    "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
    "data_batch_5.bin"};
/// Batch file name of the official test split.
inline const std::string kCifar10TestBatch = "test_batch.bin";

/// Reads the records of the given batch files, in order, into one RGB dataset (CHW planes
/// converted to interleaved HWC). Throws IoError naming the file when its size is not a positive
/// multiple of 3073 bytes (a record with the wrong pixel count) or a label byte is not below
/// class_names.size().
std::unique_ptr<InMemoryDataset> open_cifar_binary_dataset(
    const std::vector<std::string>& batch_paths,
    std::vector<std::string> class_names,
    const std::string& name);

}  // namespace bbpt::data
