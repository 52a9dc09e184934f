// SPDX-License-Identifier: MIT
// `bbpt zeroshot --model M --dataset D [--split test] [--template T]... | [--templates FILE]
// [--json]`: hand-crafted template classification over cached image features; accuracy of every
// template and of their ensemble, as a table or as one JSON object on stdout (optionally also
// written to a file).
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/core/sha256.h"
#include "bbpt/data/dataset_registry.h"
#include "bbpt/eval/zero_shot.h"
#include "bbpt/features/feature_cache.h"
#include "bbpt/model/checkpoint.h"
#include "cli_context.h"

namespace bbpt::cli {
namespace {

/// CLIP's default template, used when neither the flags nor the dataset description give any.
constexpr const char* kFallbackTemplate = "a photo of a {}.";

struct ZeroShotCommandOptions {
  /// CLIP checkpoint.
  std::string model_path;
  /// Registry name (fmnist, cifar10, coop:EuroSAT, ...) or an ImageFolder root.
  std::string dataset;
  /// Split to evaluate.
  std::string split = "test";
  /// Templates from --template (repeatable); when empty, --templates or the dataset's own.
  std::vector<std::string> templates;
  /// Text file with one template per line ('#' comments and blank lines skipped).
  std::string templates_path;
  /// Print exactly one JSON object on stdout instead of the table.
  bool json = false;
  /// Also write that JSON object to this file.
  std::string out_path;
  /// Images per encode_image forward when the features are not cached yet.
  int batch_size = 128;
};

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

/// One template per line, trimmed; '#' lines and blank lines skipped. Each needs a {} slot.
std::vector<std::string> read_templates_file(const std::string& path) {
  std::istringstream lines(core::read_file(path));
  std::vector<std::string> templates;
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    const std::string text = trim(line);
    if (text.empty() || text[0] == '#') continue;
    BBPT_CHECK(text.find("{}") != std::string::npos, ConfigError,
               path << ":" << number << ": template '" << text
                    << "' has no {} slot; expected one per template for the class name");
    templates.push_back(text);
  }
  BBPT_CHECK(!templates.empty(), ConfigError,
             path << ": no templates; expected one template with {} per line");
  return templates;
}

/// The templates to evaluate, checked before any model or image is loaded: --template, else
/// --templates, else the dataset description's, else kFallbackTemplate.
std::vector<std::string> resolve_templates(const ZeroShotCommandOptions& options,
                                           const data::DataOptions& data_options) {
  std::vector<std::string> templates = options.templates;
  std::string source = "--template";
  if (templates.empty() && !options.templates_path.empty()) {
    templates = read_templates_file(options.templates_path);
    source = options.templates_path;
  }
  if (templates.empty()) {
    templates = data::describe_dataset(options.dataset, data_options).templates;
    source = "the templates of dataset " + options.dataset;
  }
  if (templates.empty()) templates.push_back(kFallbackTemplate);
  std::set<std::string> seen;
  for (const auto& text_template : templates) {
    BBPT_CHECK(text_template.find("{}") != std::string::npos, ConfigError,
               source << ": template '" << text_template
                      << "' has no {} slot; expected one for the class name");
    BBPT_CHECK(seen.insert(text_template).second, ConfigError,
               source << ": template '" << text_template
                      << "' is given twice; expected distinct templates");
  }
  return templates;
}

nlohmann::ordered_json report_json(const ZeroShotCommandOptions& options,
                                   const eval::ZeroShotReport& report) {
  nlohmann::ordered_json per_template = nlohmann::ordered_json::object();
  for (const auto& entry : report.per_template) {
    per_template[entry.text_template] = entry.result.accuracy();
  }
  const auto& best = report.per_template[report.best_template()];
  nlohmann::ordered_json out;
  out["dataset"] = options.dataset;
  out["split"] = options.split;
  out["model"] = options.model_path;
  out["num_images"] = report.ensemble.num_images;
  out["accuracy"] = report.ensemble.accuracy();
  out["per_template"] = per_template;
  out["best_template"] = best.text_template;
  out["best_accuracy"] = best.result.accuracy();
  return out;
}

void print_table(const eval::ZeroShotReport& report, const std::string& header) {
  const std::string ensemble_label =
      "ensemble (" + std::to_string(report.per_template.size()) +
      (report.per_template.size() == 1 ? " template)" : " templates)");
  size_t width = ensemble_label.size();
  for (const auto& entry : report.per_template) width = std::max(width, entry.text_template.size());
  const auto row = [width](const std::string& label, const eval::ZeroShotResult& result) {
    std::cout << std::left << std::setw(static_cast<int>(width)) << label << "  " << std::right
              << std::fixed << std::setprecision(2) << std::setw(7) << 100.0 * result.accuracy()
              << "%  (" << result.num_correct << "/" << result.num_images << ")\n";
  };
  std::cout << header;
  std::cout << std::left << std::setw(static_cast<int>(width)) << "template"
            << "  accuracy\n";
  for (const auto& entry : report.per_template) row(entry.text_template, entry.result);
  row(ensemble_label, report.ensemble);
}

void run_zeroshot(const ZeroShotCommandOptions& options, const CliContext& context) {
  const auto data_options = context.data_options();
  const auto templates = resolve_templates(options, data_options);
  const auto dataset = data::open_dataset(options.dataset, options.split, data_options);

  model::ClipLoadOptions load;
  load.device = context.global.device;
  auto clip = model::load_clip(options.model_path, load);
  const auto vocab = assets::locate_asset(assets::kClipVocabAsset, context.asset_options());
  const auto tokenizer = tokenizer::ClipTokenizer::from_file(vocab);

  features::FeatureCacheOptions cache;
  cache.cache_dir = context.cache_root() + "/features";
  cache.batch_size = options.batch_size;
  const auto cached = features::load_or_build_features(clip, core::sha256_file(options.model_path),
                                                       *dataset, cache);
  const auto image_features = cached.set.features.select(1, 0);  // [N, 1, E] -> [N, E]
  const auto report = eval::evaluate_templates(image_features, cached.set.labels, clip, tokenizer,
                                               dataset->class_names(), templates);

  const auto json = report_json(options, report);
  if (!options.out_path.empty()) core::write_file_atomic(options.out_path, json.dump(2) + "\n");
  if (options.json) {
    std::cout << json.dump() << "\n";
    return;
  }
  std::ostringstream header;
  header << "dataset: " << options.dataset << " split " << options.split << " ("
         << report.ensemble.num_images << " images, " << dataset->class_names().size()
         << " classes), features " << features::to_string(cached.outcome) << "\n"
         << "model: " << options.model_path << "\n";
  print_table(report, header.str());
}

}  // namespace

void add_zeroshot_command(CLI::App& app, CliContext& context) {
  auto* cmd = app.add_subcommand(
      "zeroshot",
      "Zero-shot accuracy of hand-crafted templates (each and their ensemble) on a split");
  auto options = std::make_shared<ZeroShotCommandOptions>();
  cmd->add_option("--model", options->model_path, "CLIP checkpoint")->required();
  cmd->add_option(
         "--dataset", options->dataset,
         "Dataset name (fmnist, mnist, cifar10, flowers12, coop:<Name>) or ImageFolder root")
      ->required();
  cmd->add_option("--split", options->split, "Split to evaluate")->capture_default_str();
  auto* template_option = cmd->add_option(
      "--template", options->templates,
      "Template with {} for the class name (repeat for several; default: the dataset's templates, "
      "else '" +
          std::string(kFallbackTemplate) + "')");
  cmd->add_option("--templates", options->templates_path,
                  "File with one template per line ('#' comments and blank lines skipped)")
      ->excludes(template_option);
  cmd->add_flag("--json", options->json, "Print one JSON object on stdout instead of the table");
  cmd->add_option("--out", options->out_path, "Also write the JSON result to this file");
  cmd->add_option("--batch-size", options->batch_size, "Images per forward")->capture_default_str();
  cmd->callback([&context, options] {
    context.apply_runtime_settings();
    run_zeroshot(*options, context);
  });
}

}  // namespace bbpt::cli
