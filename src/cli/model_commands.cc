// SPDX-License-Identifier: MIT
// `bbpt model inspect PATH` and `bbpt model check --model PATH --reference REF.pt`.
#include <cstdio>
#include <iostream>

#include "bbpt/model/checkpoint.h"
#include "bbpt/model/reference_check.h"
#include "cli_context.h"

namespace bbpt::cli {
namespace {

struct ModelCheckOptions {
  std::string model_path;
  std::string reference_path;
  /// Largest accepted ||ours - reference|| / ||reference|| per output.
  double max_rel_err = 1e-4;
};

void run_inspect(const std::string& path) {
  const auto state = model::read_state_dict(path);
  const auto config = model::infer_clip_config(state.shapes(), path);
  int64_t num_weights = 0;
  for (const auto& [name, tensor] : state.entries) num_weights += tensor.numel();
  std::cout << "path: " << path << "\n";
  std::cout << "format: " << model::to_string(state.format) << "\n";
  std::cout << config.to_key_value_lines();
  std::cout << "num_tensors: " << state.entries.size() << "\n";
  std::cout << "num_weights: " << num_weights << "\n";
}

int run_check(const ModelCheckOptions& options, const GlobalOptions& global) {
  model::ClipLoadOptions load;
  load.device = global.device;
  auto clip = model::load_clip(options.model_path, load);
  const auto results = model::check_against_reference(clip, options.reference_path);
  bool all_ok = true;
  std::printf("%-20s %14s %14s\n", "name", "max_abs_err", "rel_err");
  for (const auto& r : results) {
    std::printf("%-20s %14.6e %14.6e\n", r.name.c_str(), r.max_abs_err, r.rel_err);
    all_ok = all_ok && r.rel_err <= options.max_rel_err;
  }
  std::printf("%s: every rel_err %s %.0e\n", all_ok ? "PASS" : "FAIL",
              all_ok ? "<=" : "not <=", options.max_rel_err);
  return all_ok ? 0 : 1;
}

}  // namespace

void add_model_commands(CLI::App& app, CliContext& context) {
  auto* model_cmd = app.add_subcommand("model", "Inspect and verify CLIP checkpoints");
  model_cmd->require_subcommand(1);

  auto* inspect = model_cmd->add_subcommand(
      "inspect", "Print the configuration inferred from a checkpoint, one 'key: value' per line");
  auto inspect_path = std::make_shared<std::string>();
  inspect
      ->add_option("path", *inspect_path,
                   "Checkpoint (OpenAI TorchScript .pt or torch.save state dict)")
      ->required();
  inspect->callback([&context, inspect_path] {
    context.apply_runtime_settings();
    run_inspect(*inspect_path);
  });

  auto* check = model_cmd->add_subcommand(
      "check",
      "Recompute the outputs of a reference file and print max_abs_err and rel_err of each");
  auto options = std::make_shared<ModelCheckOptions>();
  check->add_option("--model", options->model_path, "Checkpoint to load")->required();
  check
      ->add_option(
          "--reference", options->reference_path,
          "Reference outputs (TorchScript module with buffers, see shared/assets/README.md)")
      ->required();
  check->add_option("--max-rel-err", options->max_rel_err, "Tolerance on every rel_err")
      ->capture_default_str();
  check->callback([&context, options] {
    context.apply_runtime_settings();
    context.exit_code = run_check(*options, context.global);
  });
}

}  // namespace bbpt::cli
