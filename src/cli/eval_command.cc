// SPDX-License-Identifier: MIT
// `bbpt eval --trial DIR --dataset D [--classes all|base|new] [--model PATH] [--json] [--force]`:
// a finished trial's learned prompt on another target's test split, with that target's class
// names (run/evaluation.h): base-to-new (train with classes=base, evaluate --classes new),
// cross-dataset (train on A, --dataset B) and OOD (an ImageNet prompt on coop:ImageNetV2, ...).
// The result is kept in DIR/evaluations/ and reused unless --force.
#include <iomanip>
#include <iostream>

#include "bbpt/core/error.h"
#include "bbpt/run/evaluation.h"
#include "cli_context.h"
#include "trial_spec.h"

namespace bbpt::cli {
namespace {

struct EvalCommandOptions {
  std::string trial_dir;
  std::string dataset;
  std::string classes = "all";
  std::string model_path;
  bool json = false;
  bool force = false;
};

void run_eval(const EvalCommandOptions& options, CliContext& context) {
  run::EvaluationRequest request;
  request.trial_dir = options.trial_dir;
  request.target.dataset = options.dataset;
  request.target.classes = data::parse_class_subset(options.classes, "--classes");
  // The trial's own model (config.json) unless --model names one; base_trial_spec would fill in
  // the embedded default.
  request.base = base_trial_spec(context, options.model_path);
  if (options.model_path.empty()) request.base.model_path.clear();
  request.reuse = !options.force;
  const auto out = run::evaluate_trial(request);
  if (options.json) {
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::cout << out["method"].get<std::string>() << " trained on "
            << out["dataset"].get<std::string>() << " (" << out["classes"].get<std::string>()
            << ") seed " << out["seed"] << ", evaluated on " << run::describe(request.target)
            << ": test accuracy " << std::fixed << std::setprecision(2)
            << 100.0 * out["test_acc"].get<double>() << "% (" << out["test_images"] << " images, "
            << out["num_classes"] << " classes)\n";
}

}  // namespace

void add_eval_command(CLI::App& app, CliContext& context) {
  auto options = std::make_shared<EvalCommandOptions>();
  auto* cmd = app.add_subcommand(
      "eval",
      "Evaluate a finished trial's learned prompt on another target's test split with that "
      "target's class names: base-to-new (--classes new), cross-dataset (--dataset B) and OOD "
      "(an ImageNet prompt on its variants). Kept in DIR/evaluations/ (docs/protocols.md).");
  cmd->add_option("--trial", options->trial_dir, "A finished trial's directory (bbpt run --out)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--dataset", options->dataset, "Target dataset (fmnist, mnist, coop:<Name>, ...)")
      ->required();
  cmd->add_option("--classes", options->classes,
                  "Target classes: all, base (first half of the sorted classes) or new (the rest)")
      ->capture_default_str()
      ->check(CLI::IsMember({"all", "base", "new"}));
  cmd->add_option("--model", options->model_path,
                  "CLIP checkpoint (default: the one in the trial's config.json)");
  cmd->add_flag("--json", options->json, "Print the evaluation as JSON");
  cmd->add_flag("--force", options->force, "Evaluate again even when DIR/evaluations/ has it");
  cmd->callback([options, &context]() {
    context.apply_runtime_settings();
    run_eval(*options, context);
  });
}

}  // namespace bbpt::cli
