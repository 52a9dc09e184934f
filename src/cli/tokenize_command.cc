// SPDX-License-Identifier: MIT
// `bbpt tokenize --json IN`: IN holds {"texts": [...]}; prints {"tokens": [[...], ...]} with
// SOT/EOT, truncated to the context length with EOT kept last, no padding.
#include <iostream>
#include <nlohmann/json.hpp>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/tokenizer/clip_tokenizer.h"
#include "cli_context.h"

namespace bbpt::cli {
namespace {

struct TokenizeOptions {
  std::string json_path;
  int context_length = tokenizer::kContextLength;
};

void run_tokenize(const TokenizeOptions& options, const CliContext& context) {
  nlohmann::json input;
  try {
    input = nlohmann::json::parse(core::read_file(options.json_path));
  } catch (const nlohmann::json::parse_error& e) {
    BBPT_THROW(IoError, options.json_path << ": not valid JSON (" << e.what() << ")");
  }
  BBPT_CHECK(input.is_object() && input.contains("texts") && input["texts"].is_array(), ConfigError,
             options.json_path
                 << ": field 'texts' must be a list of strings, e.g. {\"texts\": [\"a photo\"]}");
  const auto vocab = assets::locate_asset(assets::kClipVocabAsset, context.asset_options());
  const auto clip_tokenizer = tokenizer::ClipTokenizer::from_file(vocab);
  nlohmann::json tokens = nlohmann::json::array();
  for (size_t i = 0; i < input["texts"].size(); ++i) {
    const auto& text = input["texts"][i];
    BBPT_CHECK(text.is_string(), ConfigError,
               options.json_path << ": texts[" << i << "] is " << text.type_name()
                                 << ", expected a string");
    tokens.push_back(clip_tokenizer.tokenize(text.get<std::string>(), options.context_length));
  }
  std::cout << nlohmann::json{{"tokens", tokens}}.dump() << "\n";
}

}  // namespace

void add_tokenize_command(CLI::App& app, CliContext& context) {
  auto* cmd = app.add_subcommand("tokenize", "Tokenize texts with the CLIP BPE tokenizer");
  auto options = std::make_shared<TokenizeOptions>();
  cmd->add_option("--json", options->json_path, "JSON file {\"texts\": [...]}")->required();
  cmd->add_option("--context-length", options->context_length, "Truncate to this many tokens")
      ->capture_default_str();
  cmd->callback([&context, options] {
    context.apply_runtime_settings();
    run_tokenize(*options, context);
  });
}

}  // namespace bbpt::cli
