// SPDX-License-Identifier: MIT
// `bbpt features --model M --dataset D --split S [--views K]`: computes (or reuses) the frozen
// image features of a dataset split and reports where they are.
#include <iostream>

#include "bbpt/core/error.h"
#include "bbpt/core/sha256.h"
#include "bbpt/features/feature_cache.h"
#include "bbpt/model/checkpoint.h"
#include "cli_context.h"

namespace bbpt::cli {
namespace {

struct FeaturesCommandOptions {
  std::string model_path;
  /// ImageFolder root (with one folder per split, or the split itself when --split is empty).
  std::string dataset;
  std::string split = "test";
  features::FeatureCacheOptions cache;
};

void run_features(FeaturesCommandOptions options, const CliContext& context) {
  if (options.cache.cache_dir.empty()) options.cache.cache_dir = context.cache_root() + "/features";
  model::ClipLoadOptions load;
  load.device = context.global.device;
  auto clip = model::load_clip(options.model_path, load);
  const std::string model_fingerprint = core::sha256_file(options.model_path);
  const auto dataset = data::open_image_folder(options.dataset, options.split);
  const auto result =
      features::load_or_build_features(clip, model_fingerprint, dataset, options.cache);
  const auto& h = result.set.header;
  std::cout << "cache: " << result.path << "\n"
            << "outcome: " << features::to_string(result.outcome)
            << (result.reason.empty() ? "" : " (" + result.reason + ")") << "\n"
            << "dataset: " << h.dataset_name << " (" << h.num_images << " images, "
            << h.class_names.size() << " classes)\n"
            << "features: [" << h.num_images << ", " << h.num_views << ", " << h.embed_dim << "]\n"
            << "preprocessing: " << h.preprocessing << "\n";
}

}  // namespace

void add_features_command(CLI::App& app, CliContext& context) {
  auto* cmd =
      app.add_subcommand("features", "Compute or reuse the frozen image features of a split");
  auto options = std::make_shared<FeaturesCommandOptions>();
  cmd->add_option("--model", options->model_path, "CLIP checkpoint")->required();
  cmd->add_option("--dataset", options->dataset, "ImageFolder dataset root")->required();
  cmd->add_option("--split", options->split, "Split folder under the dataset root ('' for none)")
      ->capture_default_str();
  cmd->add_option("--views", options->cache.views,
                  "0: center crop only; K > 0: K augmented views per image")
      ->capture_default_str();
  cmd->add_option("--seed", options->cache.seed, "Seed of the augmented views")
      ->capture_default_str()
      ->check(seed_validator());
  cmd->add_option("--batch-size", options->cache.batch_size, "Images per forward")
      ->capture_default_str();
  cmd->add_option("--feature-cache", options->cache.cache_dir,
                  "Feature cache folder (default <cache-dir>/features)");
  cmd->add_flag("--rebuild", options->cache.force_rebuild,
                "Recompute even if a valid cache exists");
  options->cache.cache_dir.clear();
  cmd->callback([&context, options] {
    context.apply_runtime_settings();
    run_features(*options, context);
  });
}

}  // namespace bbpt::cli
