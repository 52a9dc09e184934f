// SPDX-License-Identifier: MIT
// `bbpt pretrain --config FILE --out MODEL.pt`: trains the small CLIP, writes it in the OpenAI
// layout with a manifest (MODEL.pt.json) and a training log (MODEL.pt.log.jsonl), then reports
// zero-shot test accuracy per dataset. An existing MODEL.pt is never overwritten without --force.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/core/log.h"
#include "bbpt/core/sha256.h"
#include "bbpt/eval/zero_shot.h"
#include "bbpt/features/feature_cache.h"
#include "bbpt/model/checkpoint.h"
#include "bbpt/pretrain/contrastive_trainer.h"
#include "cli_context.h"

namespace bbpt::cli {
namespace {

struct PretrainCommandOptions {
  std::string config_path;
  std::string out_path;
  /// Retrain even when out_path exists.
  bool force = false;
};

std::string format_duration(double seconds) {
  const int s = static_cast<int>(seconds + 0.5);
  char text[32];
  std::snprintf(text, sizeof(text), "%d:%02d", s / 60, s % 60);
  return text;
}

// One progress line: a bar on a terminal (rewritten in place), a plain line otherwise.
void print_progress(const pretrain::PretrainLogRecord& r, int64_t total_steps) {
  const double fraction = static_cast<double>(r.step) / static_cast<double>(total_steps);
  const double eta = r.elapsed_s / fraction - r.elapsed_s;
  const int width = 30, filled = static_cast<int>(fraction * width);
  const bool tty = isatty(fileno(stderr)) != 0;
  std::fprintf(stderr,
               "%spretrain [%s%s] %5.1f%% step %ld/%ld loss %.4f lr %.2e scale %.1f %.0f img/s "
               "elapsed %s ETA %s%s",
               tty ? "\r" : "", std::string(static_cast<size_t>(filled), '#').c_str(),
               std::string(static_cast<size_t>(width - filled), '.').c_str(), 100.0 * fraction,
               r.step, total_steps, r.loss, r.learning_rate, r.logit_scale, r.images_per_second,
               format_duration(r.elapsed_s).c_str(), format_duration(eta).c_str(),
               tty && r.step < total_steps ? "" : "\n");
  std::fflush(stderr);
}

void run_pretrain(const PretrainCommandOptions& options, const CliContext& context) {
  if (core::is_regular_file(options.out_path) && !options.force) {
    std::cout << options.out_path << " exists: reusing it (pass --force to retrain)\n";
    return;
  }
  const auto config = pretrain::load_pretrain_config(options.config_path);
  const auto vocab = assets::locate_asset(assets::kClipVocabAsset, context.asset_options());
  const auto tokenizer = tokenizer::ClipTokenizer::from_file(vocab);
  const auto data_options = context.data_options();

  std::vector<pretrain::PretrainData> datasets;
  for (const auto& d : config.datasets) {
    datasets.push_back(pretrain::load_pretrain_data(
        d, data_options, tokenizer, config.model.image_resolution, config.model.context_length));
  }
  nlohmann::json log_lines = nlohmann::json::array();
  std::string log_text;
  auto clip = pretrain::train_clip(
      config, datasets, tokenizer.vocab_size(), [&](const pretrain::PretrainLogRecord& r) {
        print_progress(r, config.train.steps);
        log_text += nlohmann::json{{"step", r.step},
                                   {"dataset", r.dataset},
                                   {"loss", r.loss},
                                   {"lr", r.learning_rate},
                                   {"logit_scale", r.logit_scale},
                                   {"images_per_second", r.images_per_second},
                                   {"elapsed_s", r.elapsed_s}}
                        .dump() +
                    "\n";
      });
  model::save_state_dict(clip, options.out_path);
  core::write_file_atomic(options.out_path + ".log.jsonl", log_text);

  // Zero-shot test accuracy of the hand-crafted template ensemble, through the feature cache.
  const std::string fingerprint = core::sha256_file(options.out_path);
  features::FeatureCacheOptions cache;
  cache.cache_dir = context.cache_root() + "/features";
  nlohmann::json zero_shot = nlohmann::json::object();
  for (const auto& d : config.datasets) {
    const auto test = data::open_dataset(d.name, "test", data_options);
    const auto description = data::describe_dataset(d.name, data_options);
    const auto cached = features::load_or_build_features(clip, fingerprint, *test, cache);
    const auto classes =
        eval::class_text_features(clip, tokenizer, description.class_names, description.templates);
    const auto result =
        eval::evaluate_zero_shot(cached.set.features.select(1, 0), cached.set.labels, classes);
    std::cout << "zero-shot " << d.name << " test (" << description.templates.size()
              << "-template ensemble): " << 100.0 * result.accuracy() << "%\n";
    zero_shot[d.name] = result.accuracy();
  }
  const nlohmann::json manifest = {{"bbpt_version", BBPT_VERSION},
                                   {"config_file", options.config_path},
                                   {"config", nlohmann::json::parse(pretrain::to_json(config))},
                                   {"checkpoint_sha256", fingerprint},
                                   {"zero_shot_test_accuracy", zero_shot}};
  core::write_file_atomic(options.out_path + ".json", manifest.dump(2) + "\n");
  std::cout << "wrote " << options.out_path << " (+ .json manifest, .log.jsonl training log)\n";
}

}  // namespace

void add_pretrain_command(CLI::App& app, CliContext& context) {
  auto* cmd =
      app.add_subcommand("pretrain", "Train the small CLIP used as the embedded default model");
  auto options = std::make_shared<PretrainCommandOptions>();
  cmd->add_option("--config", options->config_path,
                  "YAML config, e.g. configs/pretrain/default.yaml")
      ->required();
  cmd->add_option("--out", options->out_path, "Checkpoint to write (OpenAI layout state dict)")
      ->required();
  cmd->add_flag("--force", options->force, "Retrain even if --out exists");
  cmd->callback([&context, options] {
    context.apply_runtime_settings();
    run_pretrain(*options, context);
  });
}

}  // namespace bbpt::cli
