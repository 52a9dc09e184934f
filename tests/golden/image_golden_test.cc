// SPDX-License-Identifier: MIT
// Golden test of CLIP's eval preprocessing: the 3 flowers12 images listed in
// tokenizer_reference.json, decoded and transformed by bbpt, against the `images` buffer the
// Python reference (PIL + torchvision) stored in tiny_{vit,rn}_reference.pt. The only translation
// unit of the image module that sees libtorch (to read the TorchScript buffers).
#include <gtest/gtest.h>
#include <torch/script.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bbpt/image/decode.h"
#include "bbpt/image/transforms.h"

namespace bbpt::image {
namespace {

namespace fs = std::filesystem;

// Stated tolerance in normalised units; one 8-bit level is 1 / 255 / std ~= 0.015.
constexpr double kTolerance = 0.03;

const std::string kGoldenDir = std::string(BBPT_SHARED_DIR) + "/assets/golden";
const std::string kFlowersTarball = std::string(BBPT_SHARED_DIR) + "/assets/flowers12.tar.gz";

std::vector<std::string> reference_image_members() {
  std::ifstream in(kGoldenDir + "/tokenizer_reference.json");
  const nlohmann::json json = nlohmann::json::parse(in);
  return json.at("images").get<std::vector<std::string>>();
}

// Extracts the listed archive members into a fresh directory (unique per process, because CTest
// may run the golden cases in parallel) and returns it.
fs::path extract_members(const std::vector<std::string>& members) {
  const fs::path dir = fs::path(BBPT_BINARY_DIR) / ("image_golden_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string command = "tar -xzf '" + kFlowersTarball + "' -C '" + dir.string() + "'";
  for (const auto& member : members) command += " '" + member + "'";
  const int rc = std::system(command.c_str());
  EXPECT_EQ(rc, 0) << command;
  return dir;
}

// The `images` buffer, [3, 3, R, R] float32.
torch::Tensor load_reference_images(const std::string& path) {
  torch::jit::Module module = torch::jit::load(path);
  for (const auto& buffer : module.named_buffers()) {
    if (buffer.name == "images") return buffer.value.to(torch::kFloat32).contiguous();
  }
  ADD_FAILURE() << path << " has no `images` buffer";
  return {};
}

// Preprocessing is the first thing every feature and logit depends on, so bbpt must give the
// reference's pixels: a max error within kTolerance, ideally 0 (an exact PIL port) or one 8-bit
// level when the installed libjpeg-turbo decodes a few pixels differently from PIL's.
void check_against_reference(const std::string& reference_file, int expected_resolution) {
  const std::string reference_path = kGoldenDir + "/" + reference_file;
  if (!fs::exists(reference_path) || !fs::exists(kFlowersTarball)) {
    GTEST_SKIP() << "golden assets not found under " << BBPT_SHARED_DIR;
  }
  const std::vector<std::string> members = reference_image_members();
  ASSERT_EQ(members.size(), 3u);
  const torch::Tensor reference = load_reference_images(reference_path);
  ASSERT_TRUE(reference.defined());
  ASSERT_EQ(reference.dim(), 4);
  const int resolution = static_cast<int>(reference.size(3));
  ASSERT_EQ(resolution, expected_resolution);
  ASSERT_EQ(reference.size(0), 3);
  ASSERT_EQ(reference.size(1), 3);
  ASSERT_EQ(reference.size(2), resolution);
  // A degenerate (constant) buffer would make any comparison meaningless.
  ASSERT_GT((reference.max() - reference.min()).item<double>(), 1.0);

  const fs::path dir = extract_members(members);
  EvalTransformOptions options;
  options.resolution = resolution;
  double max_abs_diff = 0.0;
  for (size_t i = 0; i < members.size(); ++i) {
    const std::string path = (dir / members[i]).string();
    const std::vector<float> ours = preprocess_image_file(path, options);
    ASSERT_EQ(ours.size(), static_cast<size_t>(3 * resolution * resolution));
    const torch::Tensor expected = reference[static_cast<int64_t>(i)];  // [3, R, R]
    const float* ref = expected.data_ptr<float>();
    double image_max = 0.0;
    double max_levels = 0.0;  // the same difference in 8-bit levels
    int num_differing = 0;
    for (size_t j = 0; j < ours.size(); ++j) {
      const double diff = std::abs(static_cast<double>(ours[j]) - ref[j]);
      const int channel = static_cast<int>(j / (static_cast<size_t>(resolution) * resolution));
      image_max = std::max(image_max, diff);
      max_levels = std::max(max_levels, diff * options.std[channel] * 255.0);
      if (diff > 1e-5) ++num_differing;
    }
    std::cout << reference_file << " image " << i << " (" << members[i] << "): max abs diff "
              << image_max << " (" << max_levels << " 8-bit levels), " << num_differing << " of "
              << ours.size() << " values differ by > 1e-5" << std::endl;
    max_abs_diff = std::max(max_abs_diff, image_max);
  }
  fs::remove_all(dir);
  std::cout << reference_file << " (R = " << resolution << "): max abs diff " << max_abs_diff
            << " (tolerance " << kTolerance << ")" << std::endl;
  EXPECT_LE(max_abs_diff, kTolerance);
}

TEST(ImageGolden, VitReferenceResolution32) {
  check_against_reference("tiny_vit_reference.pt", 32);
}

TEST(ImageGolden, ResNetReferenceResolution64) {
  check_against_reference("tiny_rn_reference.pt", 64);
}

}  // namespace
}  // namespace bbpt::image
