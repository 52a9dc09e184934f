// SPDX-License-Identifier: MIT
// Implements the resolution of the LLM methods' outside inputs.
#include "llm_inputs.h"

#include "bbpt/lm/local_llm.h"
#include "bbpt/run/method.h"
#include "bbpt/run/run_config.h"
#include "cli_context.h"

namespace bbpt::cli {
namespace {

std::string text_of(const nlohmann::json& config, const std::string& key) {
  const auto it = config.find(key);
  return it != config.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// `key='value'` with YAML's single-quote escaping, so that RunConfig::set reads the value back as
/// is.
std::string assignment(const std::string& key, const std::string& value) {
  std::string quoted;
  for (const char c : value) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return key + "='" + quoted + "'";
}

}  // namespace

std::vector<std::string> resolve_outside_inputs(nlohmann::json& config) {
  std::vector<std::string> made;
  if (!run::is_llm_method(text_of(config, "method"))) return made;
  const auto set = [&](const std::string& key, const std::string& value) {
    config[key] = value;
    made.push_back(assignment(key, value));
  };
  const std::string backend = text_of(config, "llm_backend");
  if (backend == "local") {
    lm::LocalLlmOptions local;
    local.model_path = text_of(config, "llm_model_path");
    local.tokenizer_path = text_of(config, "llm_tokenizer_path");
    // An empty path is left for the method to refuse with its own message.
    if (!local.model_path.empty()) set("llm_model_fingerprint", lm::LocalLlm::fingerprint(local));
  } else if (text_of(config, "llm_model").empty()) {
    const std::string model = getenv_or_empty("BBPT_LLM_MODEL");
    if (!model.empty()) set("llm_model", model);
  }
  if (text_of(config, "method") == "ipo" && text_of(config, "vision_model").empty()) {
    const std::string model = getenv_or_empty("BBPT_VISION_MODEL");
    if (!model.empty()) set("vision_model", model);
  }
  return made;
}

void resolve_outside_inputs(run::RunRequest& request) {
  const run::RunConfig read = run::load_run_config(request);
  nlohmann::json config = nlohmann::json::object();  // the values as written (text)
  for (const auto& [key, text] : read.texts()) config[key] = text;
  for (auto& a : resolve_outside_inputs(config)) request.overrides.push_back(std::move(a));
}

}  // namespace bbpt::cli
