// SPDX-License-Identifier: MIT
// `bbpt lm inspect|generate|check`: the local Llama runtime from the command line.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/lm/local_llm.h"
#include "bbpt/lm/reference_check.h"
#include "cli_context.h"

namespace bbpt::cli {
namespace {

using Json = nlohmann::ordered_json;

struct LmModelFlags {
  std::string model_path;
  std::string tokenizer_path;
};

lm::LocalLlmOptions local_options(const LmModelFlags& flags, const CliContext& context) {
  lm::LocalLlmOptions o;
  o.model_path = flags.model_path;
  o.tokenizer_path = flags.tokenizer_path;
  o.device = context.global.device;
  return o;
}

void add_model_flags(CLI::App* cmd, LmModelFlags& flags, bool positional) {
  if (positional) {
    cmd->add_option("path", flags.model_path, "Hugging Face checkpoint directory or llama2.c .bin")
        ->required();
  } else {
    cmd->add_option("--model", flags.model_path,
                    "Hugging Face checkpoint directory or llama2.c .bin")
        ->required();
  }
  cmd->add_option("--tokenizer", flags.tokenizer_path,
                  "Tokenizer file (llama2.c tokenizer.bin; default: the checkpoint directory's "
                  "tokenizer.json)");
}

void run_inspect(const LmModelFlags& flags, const CliContext& context) {
  const lm::LocalLlmOptions options = local_options(flags, context);
  const lm::LocalLlm llm(options);
  const lm::LlamaConfig& c = llm.model().config();
  std::cout << "path: " << flags.model_path << "\n"
            << "layout: " << lm::to_string(c.layout) << "\n"
            << "num_layers: " << c.num_layers << "\n"
            << "hidden_size: " << c.hidden_size << "\n"
            << "intermediate_size: " << c.intermediate_size << "\n"
            << "num_heads: " << c.num_heads << "\n"
            << "num_kv_heads: " << c.num_kv_heads << "\n"
            << "head_dim: " << c.head_dim << "\n"
            << "vocab_size: " << c.vocab_size << "\n"
            << "rope_theta: " << c.rope_theta << "\n"
            << "rope_scaling: " << (c.has_rope_scaling ? "llama3" : "none") << "\n"
            << "tie_word_embeddings: " << (c.tie_word_embeddings ? "true" : "false") << "\n"
            << "num_parameters: " << c.num_parameters() << "\n";
  std::cout << "eos_ids:";
  for (int64_t id : llm.stop_ids()) std::cout << " " << id;
  std::cout << "\ntokenizer_vocab_size: " << llm.tokenizer().vocab_size() << "\n"
            << "chat_template: " << (llm.has_chat_template() ? "recognised" : "none") << "\n"
            << "device: " << llm.model().options().device << "\n"
            << "fingerprint: " << lm::LocalLlm::fingerprint(options) << "\n";
}

struct GenerateFlags {
  LmModelFlags model;
  std::string prompt;
  std::string chat_path;
  bool generation_prompt = true;
  bool bos = true;
  int64_t max_new_tokens = 50;
  int64_t samples = 1;
  double temperature = 1.0;
  int64_t top_k = 0;
  double top_p = 1.0;
  uint64_t seed = 0;
  std::string guide_positive;
  std::string guide_negative;
  int64_t guide_layer = -1;
  double alpha = 1.0;
  std::string schedule = "constant";
  bool full_rerun = false;
  bool json = false;
};

std::vector<tokenizer::ChatTurn> read_chat(const std::string& path) {
  Json parsed;
  try {
    parsed = Json::parse(core::read_file(path));
  } catch (const Json::exception& e) {
    BBPT_THROW(ConfigError, path << ": not valid JSON (" << e.what() << ")");
  }
  const Json& list =
      parsed.is_object() && parsed.contains("messages") ? parsed.at("messages") : parsed;
  BBPT_CHECK(
      list.is_array() && !list.empty(), ConfigError,
      path << ": expected a list of {\"role\", \"content\"} messages (or {\"messages\": [...]})");
  std::vector<tokenizer::ChatTurn> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& m = list[i];
    BBPT_CHECK(m.is_object() && m.contains("role") && m.at("role").is_string() &&
                   m.contains("content") && m.at("content").is_string(),
               ConfigError,
               path << ": message " << i << " is " << m.dump()
                    << ", expected {\"role\": ..., \"content\": ...}");
    out.push_back({m.at("role").get<std::string>(), m.at("content").get<std::string>()});
  }
  return out;
}

void run_generate(const GenerateFlags& f, const CliContext& context) {
  BBPT_CHECK(f.prompt.empty() != f.chat_path.empty(), ConfigError,
             "give one of --prompt TEXT or --chat FILE.json");
  const auto llm = lm::LocalLlm::open(local_options(f.model, context));
  const std::vector<int64_t> prompt_ids =
      f.chat_path.empty() ? llm->encode(f.prompt, f.bos)
                          : llm->encode_chat(read_chat(f.chat_path), f.generation_prompt);
  lm::GenerationOptions options;
  options.max_new_tokens = f.max_new_tokens;
  options.num_samples = f.samples;
  options.temperature = f.temperature;
  options.top_k = f.top_k;
  options.top_p = f.top_p;
  options.seed = f.seed;
  options.stop_ids = llm->stop_ids();
  lm::Guidance guidance;
  const bool guided = !f.guide_positive.empty() || !f.guide_negative.empty();
  if (guided) {
    BBPT_CHECK(!f.guide_positive.empty() && !f.guide_negative.empty() && f.guide_layer >= 0,
               ConfigError, "guidance needs --guide-positive, --guide-negative and --guide-layer");
    guidance = lm::Guidance{
        f.guide_layer, llm->steering_vector(f.guide_positive, f.guide_negative, f.guide_layer),
        f.alpha, lm::parse_guidance_schedule(f.schedule, "--guidance-schedule")};
  }
  const lm::Generation g =
      f.full_rerun ? lm::generate_full_rerun(llm->model(), prompt_ids, options, guidance)
                   : lm::generate(llm->model(), prompt_ids, options, guidance);
  if (f.json) {
    Json out;
    out["prompt_ids"] = g.prompt_ids;
    out["samples"] = Json::array();
    for (size_t s = 0; s < g.new_ids.size(); ++s) {
      out["samples"].push_back(Json{{"new_ids", g.new_ids[s]},
                                    {"text", llm->decode_generated(g.new_ids[s])},
                                    {"stopped", bool(g.stopped[s])}});
    }
    out["prompt_tokens"] = g.prompt_tokens;
    out["generated_tokens"] = g.generated_tokens;
    if (guided) {
      out["guidance"] = Json{{"layer", f.guide_layer},
                             {"alpha", f.alpha},
                             {"schedule", f.schedule},
                             {"vector_norm", guidance.vector.norm().item<double>()}};
    }
    std::cout << out.dump(1) << "\n";
    return;
  }
  for (size_t s = 0; s < g.new_ids.size(); ++s) {
    if (g.new_ids.size() > 1) std::cout << "--- sample " << s << "\n";
    std::cout << llm->decode_generated(g.new_ids[s]) << "\n";
  }
}

struct CheckFlags {
  LmModelFlags model;
  std::string reference_path;
  double max_rel_err = 1e-4;
};

int run_check(const CheckFlags& f, const CliContext& context) {
  const lm::LocalLlm llm(local_options(f.model, context));
  lm::LmCheckOptions options;
  options.tolerance = f.max_rel_err;
  std::vector<lm::LmCheckResult> results =
      lm::check_tokenizer_against_reference(llm, f.reference_path);
  for (auto& r : lm::check_model_against_reference(llm.model(), f.reference_path, options, &llm))
    results.push_back(r);
  bool all_ok = true;
  std::printf("%-44s %-6s %12s  %s\n", "check", "result", "rel_err", "detail");
  for (const auto& r : results) {
    std::printf("%-44s %-6s %12.3e  %s\n", r.name.substr(0, 44).c_str(), r.passed ? "ok" : "FAIL",
                r.rel_err, r.detail.c_str());
    all_ok = all_ok && r.passed;
  }
  std::printf("%s: %zu checks, ids exact, numbers within rel_err %.0e\n", all_ok ? "PASS" : "FAIL",
              results.size(), f.max_rel_err);
  return all_ok ? 0 : 1;
}

}  // namespace

void add_lm_commands(CLI::App& app, CliContext& context) {
  auto* lm_cmd = app.add_subcommand(
      "lm", "The local Llama runtime: inspect, generate, check against references");
  lm_cmd->require_subcommand(1);

  auto* inspect = lm_cmd->add_subcommand(
      "inspect", "Print a Llama checkpoint's configuration, one 'key: value' per line");
  auto inspect_flags = std::make_shared<LmModelFlags>();
  add_model_flags(inspect, *inspect_flags, /*positional=*/true);
  inspect->callback([&context, inspect_flags] {
    context.apply_runtime_settings();
    run_inspect(*inspect_flags, context);
  });

  auto* generate = lm_cmd->add_subcommand(
      "generate", "Generate from a text prompt or a chat (JSON), optionally with GLOV's guidance");
  auto g = std::make_shared<GenerateFlags>();
  add_model_flags(generate, g->model, /*positional=*/false);
  generate->add_option("--prompt", g->prompt, "Text prompt (encoded plainly)");
  generate->add_option("--chat", g->chat_path,
                       "Chat messages, a JSON list of {role, content}, rendered with the "
                       "checkpoint's chat template");
  generate->add_flag("!--no-generation-prompt", g->generation_prompt,
                     "Chat: leave out the assistant header at the end (GLOV's code does)");
  generate->add_flag("!--no-bos", g->bos, "Text prompt: do not put BOS in front");
  generate
      ->add_option("--max-new-tokens", g->max_new_tokens, "Tokens to generate at most per sample")
      ->capture_default_str();
  generate->add_option("--samples", g->samples, "Completions sharing one prefill")
      ->capture_default_str();
  generate->add_option("--temperature", g->temperature, "0 = greedy")->capture_default_str();
  generate->add_option("--top-k", g->top_k, "0 = off")->capture_default_str();
  generate->add_option("--top-p", g->top_p, "1 = off")->capture_default_str();
  generate->add_option("--seed", g->seed, "Sample i draws from the seeded stream (seed, i)")
      ->capture_default_str()
      ->check(seed_validator());
  generate->add_option("--guide-positive", g->guide_positive,
                       "GLOV guidance: P+, the better template");
  generate->add_option("--guide-negative", g->guide_negative,
                       "GLOV guidance: P-, the worse template");
  generate->add_option("--guide-layer", g->guide_layer,
                       "GLOV guidance: decoder layer (0-based; 17 for Llama-3-8B)");
  generate->add_option("--alpha", g->alpha, "GLOV guidance strength")->capture_default_str();
  generate
      ->add_option("--guidance-schedule", g->schedule,
                   "constant (alpha * v, the paper) or official (alpha^n * v, GLOV's code)")
      ->capture_default_str();
  generate->add_flag(
      "--full-rerun", g->full_rerun,
      "Decode as GLOV's code does: the whole sequence again at every token, no KV cache");
  generate->add_flag("--json", g->json, "Print prompt ids, new ids and text as JSON");
  generate->callback([&context, g] {
    context.apply_runtime_settings();
    run_generate(*g, context);
  });

  auto* check = lm_cmd->add_subcommand("check",
                                       "Recompute a reference file (tiny_llama/reference.json, "
                                       "aidreams260K_reference.json) and compare");
  auto c = std::make_shared<CheckFlags>();
  add_model_flags(check, c->model, /*positional=*/false);
  check->add_option("--reference", c->reference_path, "Reference JSON (shared/assets/README.md)")
      ->required();
  check
      ->add_option("--max-rel-err", c->max_rel_err,
                   "Tolerance on logits, hidden states and the steering vector")
      ->capture_default_str();
  check->callback([&context, c] {
    context.apply_runtime_settings();
    context.exit_code = run_check(*c, context);
  });
}

}  // namespace bbpt::cli
