// SPDX-License-Identifier: MIT
// `bbpt preprocess --image FILE --resolution R --out OUT.pt`: the CLIP eval transform of one image,
// saved as a [1, 3, R, R] float tensor in torch.save format (torch.load reads it).
#include <iostream>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/image/transforms.h"
#include "bbpt/model/checkpoint.h"
#include "cli_context.h"

namespace bbpt::cli {
namespace {

struct PreprocessOptions {
  std::string image_path;
  /// Output side R (short-side bicubic resize to R, then center crop R x R).
  int resolution = 224;
  std::string out_path;
};

void run_preprocess(const PreprocessOptions& options) {
  BBPT_CHECK(options.resolution > 0, ConfigError,
             "--resolution (= " << options.resolution << ") must be positive");
  image::EvalTransformOptions transform;
  transform.resolution = options.resolution;
  std::vector<float> chw = image::preprocess_image_file(options.image_path, transform);
  const int64_t r = options.resolution;
  const double mean = model::save_image_tensor(chw, r, options.out_path);
  std::cout << options.out_path << ": [1, 3, " << r << ", " << r << "] float32, mean " << mean
            << "\n";
}

}  // namespace

void add_preprocess_command(CLI::App& app, CliContext& context) {
  auto* cmd =
      app.add_subcommand("preprocess", "Apply CLIP's eval transform to one image and save it");
  auto options = std::make_shared<PreprocessOptions>();
  cmd->add_option("--image", options->image_path, "JPEG or PNG file")->required();
  cmd->add_option("--resolution", options->resolution, "Output side in pixels")
      ->capture_default_str();
  cmd->add_option("--out", options->out_path, "Output .pt file (torch.save format)")->required();
  cmd->callback([&context, options] {
    context.apply_runtime_settings();
    run_preprocess(*options);
  });
}

}  // namespace bbpt::cli
