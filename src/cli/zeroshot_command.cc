// SPDX-License-Identifier: MIT
// `bbpt zeroshot --model M --dataset D --split S [--template T]...`: hand-crafted template
// classification over cached image features; prints accuracy and optionally writes a JSON result.
#include <iostream>
#include <nlohmann/json.hpp>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/core/sha256.h"
#include "bbpt/eval/zero_shot.h"
#include "bbpt/features/feature_cache.h"
#include "bbpt/model/checkpoint.h"
#include "cli_context.h"

namespace bbpt::cli {
namespace {

struct ZeroShotCommandOptions {
  std::string model_path;
  std::string dataset;
  std::string split = "test";
  /// Templates with a {} slot; several are ensembled.
  std::vector<std::string> templates = {"a photo of a {}."};
  /// Optional JSON result file.
  std::string out_path;
  int batch_size = 128;
};

void run_zeroshot(const ZeroShotCommandOptions& options, const CliContext& context) {
  model::ClipLoadOptions load;
  load.device = context.global.device;
  auto clip = model::load_clip(options.model_path, load);
  const auto vocab = assets::locate_asset(assets::kClipVocabAsset, context.asset_options());
  const auto tokenizer = tokenizer::ClipTokenizer::from_file(vocab);
  const auto dataset = data::open_image_folder(options.dataset, options.split);

  features::FeatureCacheOptions cache;
  cache.cache_dir = context.cache_root() + "/features";
  cache.batch_size = options.batch_size;
  const auto cached =
      features::load_or_build_features(clip, core::sha256_file(options.model_path), dataset, cache);
  const auto class_features =
      eval::class_text_features(clip, tokenizer, dataset.class_names(), options.templates);
  const auto image_features = cached.set.features.select(1, 0);  // [N, 1, E] -> [N, E]
  const auto result = eval::evaluate_zero_shot(image_features, cached.set.labels, class_features);

  std::cout << "dataset: " << dataset.name() << " (" << result.num_images << " images, "
            << dataset.class_names().size() << " classes), features " << features::to_string(cached.outcome)
            << "\n"
            << "templates: " << options.templates.size() << "\n"
            << "accuracy: " << 100.0 * result.accuracy() << "% (" << result.num_correct << "/"
            << result.num_images << ")\n";
  if (!options.out_path.empty()) {
    nlohmann::json out = {{"method", "zeroshot"},
                          {"model", options.model_path},
                          {"dataset", dataset.name()},
                          {"templates", options.templates},
                          {"num_images", result.num_images},
                          {"num_correct", result.num_correct},
                          {"accuracy", result.accuracy()}};
    core::write_file_atomic(options.out_path, out.dump(2) + "\n");
  }
}

}  // namespace

void add_zeroshot_command(CLI::App& app, CliContext& context) {
  auto* cmd = app.add_subcommand("zeroshot", "Zero-shot accuracy of hand-crafted templates on a split");
  auto options = std::make_shared<ZeroShotCommandOptions>();
  cmd->add_option("--model", options->model_path, "CLIP checkpoint")->required();
  cmd->add_option("--dataset", options->dataset, "ImageFolder dataset root")->required();
  cmd->add_option("--split", options->split, "Split folder under the dataset root")->capture_default_str();
  cmd->add_option("--template", options->templates, "Template with {} (repeat to ensemble)")
      ->capture_default_str();
  cmd->add_option("--out", options->out_path, "Write the result as JSON here");
  cmd->add_option("--batch-size", options->batch_size, "Images per forward")->capture_default_str();
  cmd->callback([&context, options] {
    context.apply_runtime_settings();
    run_zeroshot(*options, context);
  });
}

}  // namespace bbpt::cli
