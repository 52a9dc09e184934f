// SPDX-License-Identifier: MIT
// `bbpt run` of GLOV with a local LLM and guidance, as a user runs it (golden tiny CLIP,
// Fashion-MNIST, 4 shots). The LLM is a Llama checkpoint in tiny_llama's Hugging Face layout and
// tokenizer whose weights make it write templates: its layers are zero, so a position's output is
// its token's embedding (plus the steering offset), and its output head maps each token to the
// next token of one of 16 templates ("itap", "a blurry photo", "sketch", ..., "pet", each followed
// by " of the <category>." and <|eot_id|>); the first token of a reply picks the template, with
// probabilities that the steering offset moves. So GLOV receives real templates,
// CLIP ranks them, guidance switches on when one beats the initial template, and guided steps
// propose with the offset. Checked: the switch-on, accounting, the candidate gate (duplicates),
// a rerun that gives the same result, and a run killed after a guided step and resumed that ends
// as the uninterrupted run did.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "bbpt/core/file_io.h"
#include "bbpt/tokenizer/llm_tokenizer.h"
#include "run_fixture.h"
#include "safetensors_writer.h"

namespace {
namespace fs = std::filesystem;
using bbpt::testing::run_to_end;
using Json = nlohmann::json;

const std::string kTiny = std::string(BBPT_SHARED_DIR) + "/assets/llm/tiny_llama";

std::string fresh_dir(const std::string& name) {
  const auto dir = (fs::temp_directory_path() / ("bbpt_glov_local_test_" + name)).string();
  fs::remove_all(dir);
  return dir;
}

/// The template-writing checkpoint described above, in a new directory.
std::string write_template_llm() {
  const std::string dir = fresh_dir("llm");
  fs::create_directories(dir);
  for (const char* f :
       {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"}) {
    fs::copy_file(kTiny + "/" + f, dir + "/" + f);
  }
  const auto tokenizer = bbpt::tokenizer::load_llm_tokenizer(kTiny);
  const Json config = Json::parse(bbpt::core::read_file(kTiny + "/config.json"));
  const int64_t V = config.at("vocab_size"), D = config.at("hidden_size"),
                F = config.at("intermediate_size");
  const int64_t H = config.at("num_attention_heads"), Hkv = config.at("num_key_value_heads"),
                Hd = config.at("head_dim");
  const int32_t eot = *tokenizer->token_id("<|eot_id|>");
  const std::vector<int32_t> suffix = tokenizer->encode(" of the <category>.", false);
  std::vector<std::vector<int32_t>> prefixes;
  for (const char* p :
       {" itap", " a blurry photo", " sketch", " centered satellite", " bag", " coat", " shirt",
        " dress", " white", " black", " small", " bad", " best", " low", " dirt", " pet"}) {
    prefixes.push_back(tokenizer->encode(p, false));
  }
  std::set<int32_t> seen(suffix.begin(), suffix.end());
  EXPECT_EQ(seen.size(), suffix.size());
  for (const auto& p : prefixes) {
    for (int32_t id : p)
      EXPECT_TRUE(seen.insert(id).second) << "token " << id << " is in two places of the chains";
  }

  torch::manual_seed(5);
  const torch::Tensor unit = torch::nn::functional::normalize(
      torch::randn({V, D}), torch::nn::functional::NormalizeFuncOptions().dim(1));
  torch::Tensor head = torch::zeros({V, D});
  // RMSNorm turns a unit vector u into 8u (D = 64), so a row c * u_prev scores 8c after prev.
  const double c = 5.0;
  auto follows = [&](int32_t next, const std::vector<int32_t>& previous) {
    for (int32_t p : previous) head[next] += c * unit[p];
  };
  std::vector<int32_t> prefix_ends;
  for (const auto& p : prefixes) {
    // The first token after <|eot_id|>: the same score for each template plus its own direction,
    // which makes the choice a 4-way draw whose odds the steering offset moves.
    head[p[0]] += c * unit[eot] + torch::randn({D}) * 0.1;
    for (size_t i = 1; i < p.size(); ++i) follows(p[i], {p[i - 1]});
    prefix_ends.push_back(p.back());
  }
  follows(suffix[0], prefix_ends);
  for (size_t i = 1; i < suffix.size(); ++i) follows(suffix[i], {suffix[i - 1]});
  follows(eot, {suffix.back()});

  std::map<std::string, torch::Tensor> t;
  t["model.embed_tokens.weight"] = unit;
  for (int64_t i = 0; i < config.at("num_hidden_layers").get<int64_t>(); ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    t[p + "input_layernorm.weight"] = torch::ones({D});
    t[p + "post_attention_layernorm.weight"] = torch::ones({D});
    t[p + "self_attn.q_proj.weight"] = torch::zeros({H * Hd, D});
    t[p + "self_attn.k_proj.weight"] = torch::zeros({Hkv * Hd, D});
    t[p + "self_attn.v_proj.weight"] = torch::zeros({Hkv * Hd, D});
    t[p + "self_attn.o_proj.weight"] = torch::zeros({D, H * Hd});
    t[p + "mlp.gate_proj.weight"] = torch::zeros({F, D});
    t[p + "mlp.up_proj.weight"] = torch::zeros({F, D});
    t[p + "mlp.down_proj.weight"] = torch::zeros({D, F});
  }
  t["model.norm.weight"] = torch::ones({D});
  t["lm_head.weight"] = head;
  bbpt::testing::write_safetensors(dir + "/model.safetensors", t, "F32");
  return dir;
}

std::vector<std::string> glov_args(const std::string& llm,
                                   const std::string& out,
                                   const std::vector<std::string>& sets) {
  std::vector<std::string> args = {BBPT_EXECUTABLE,
                                   "--threads",
                                   "1",
                                   "--data-dir",
                                   bbpt::testing::data_dir(),
                                   "run",
                                   "--config",
                                   bbpt::testing::kMethodConfigs + "glov.yaml",
                                   "--dataset",
                                   "fmnist",
                                   "--seed",
                                   "1",
                                   "--shots",
                                   "4",
                                   "--model",
                                   bbpt::testing::kGoldenModel,
                                   "--out",
                                   out,
                                   "--progress-every",
                                   "0",
                                   "--set",
                                   "llm_backend=local",
                                   "--set",
                                   "llm_model_path=" + llm,
                                   "--set",
                                   "llm_device=cpu",
                                   "--set",
                                   "guidance_layer=1",
                                   "--set",
                                   "samples_per_step=4",
                                   "--set",
                                   "min_templates_per_step=1",
                                   "--set",
                                   "iterations=6",
                                   "--set",
                                   "guidance_alpha=2"};
  for (const auto& s : sets) args.insert(args.end(), {"--set", s});
  return args;
}

std::vector<Json> metrics_of(const std::string& dir) {
  std::vector<Json> lines;
  std::istringstream in(bbpt::core::read_file(dir + "/metrics.jsonl"));
  for (std::string line; std::getline(in, line);) lines.push_back(Json::parse(line));
  return lines;
}

class GlovLocal : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    if (bbpt::testing::run_fixture_ready(&why) && fs::exists(kTiny + "/tokenizer.json"))
      llm_ = write_template_llm();
  }
  void SetUp() override {
    std::string why;
    if (!bbpt::testing::run_fixture_ready(&why)) GTEST_SKIP() << why;
    if (llm_.empty()) GTEST_SKIP() << "no tiny_llama fixture under " << kTiny;
  }
  static std::string llm_;
};
std::string GlovLocal::llm_;

TEST_F(GlovLocal, GuidanceSwitchesOnAndGuidedStepsProposeTemplates) {
  const auto out = fresh_dir("guided");
  const auto run = run_to_end(glov_args(llm_, out, {}));
  ASSERT_EQ(run.code, 0) << run.output;
  const Json result = Json::parse(bbpt::core::read_file(out + "/result.json"));
  EXPECT_EQ(result.at("llm_backend"), "local");
  // The checkpoint's fingerprint is part of the trial's config (and so of its hash).
  const Json config = Json::parse(bbpt::core::read_file(out + "/config.json"));
  EXPECT_EQ(config.at("llm_model_fingerprint").get<std::string>().rfind("hf:", 0), 0u)
      << config.dump();
  EXPECT_EQ(result.at("llm").at("requests"),
            6 * 4);  // 6 iterations after the initial step, 4 samples each
  EXPECT_EQ(result.at("llm").at("http_calls"), 0);
  EXPECT_GT(result.at("llm").at("completion_tokens").get<int64_t>(), 0);
  const Json& guidance = result.at("guidance");
  EXPECT_TRUE(guidance.at("enabled").get<bool>());
  ASSERT_FALSE(guidance.at("switched_on_after_step").is_null()) << result.dump(1);
  const int64_t on = guidance.at("switched_on_after_step").get<int64_t>();
  // Every proposal is one of the four templates; repeats are refused by the candidate gate.
  const auto metrics = metrics_of(out);
  ASSERT_EQ(metrics.size(), 7u);
  int64_t guided_steps = 0, duplicates = 0;
  for (const auto& m : metrics) {
    if (m.value("guided", false)) ++guided_steps;
    for (const auto& r : m.at("rejected")) {
      if (r.at("reason").get<std::string>().find("duplicate") != std::string::npos) ++duplicates;
    }
  }
  EXPECT_EQ(guided_steps, 7 - on) << "every step after the switch-on is guided";
  EXPECT_GT(duplicates, 0) << "16 templates, 24 samples: the gate refuses repeats";
  int64_t evaluated = 0;
  for (const auto& m : metrics) evaluated += m.at("evaluated").get<int64_t>();
  EXPECT_EQ(result.at("candidates_evaluated"), evaluated);
  EXPECT_EQ(result.at("queries_used"), evaluated);

  // Unguided (alpha 0 and guidance off) propose the same; with guidance the proposals differ once
  // it is on (the offset moves the odds of the first token, and so which template is written).
  const auto off = fresh_dir("off");
  ASSERT_EQ(run_to_end(glov_args(llm_, off, {"guidance=false"})).code, 0);
  const auto zero = fresh_dir("alpha0");
  ASSERT_EQ(run_to_end(glov_args(llm_, zero, {"guidance_alpha=0", "guidance_max_tokens=50"})).code,
            0);
  const auto off_metrics = metrics_of(off), zero_metrics = metrics_of(zero);
  ASSERT_EQ(off_metrics.size(), zero_metrics.size());
  bool guided_differs = false;
  for (size_t i = 0; i < off_metrics.size(); ++i) {
    EXPECT_EQ(off_metrics[i].at("best_prompt"), zero_metrics[i].at("best_prompt"))
        << "step " << i + 1;
    EXPECT_EQ(off_metrics[i].at("rejected"), zero_metrics[i].at("rejected")) << "step " << i + 1;
    EXPECT_EQ(off_metrics[i].at("evaluated"), zero_metrics[i].at("evaluated")) << "step " << i + 1;
    if (static_cast<int64_t>(i) < on) {
      EXPECT_EQ(off_metrics[i].at("rejected"), metrics[i].at("rejected"))
          << "before the switch-on, step " << i + 1;
    } else if (off_metrics[i].at("rejected") != metrics[i].at("rejected") ||
               off_metrics[i].at("evaluated") != metrics[i].at("evaluated")) {
      guided_differs = true;
    }
  }
  EXPECT_TRUE(guided_differs) << "guidance changed no proposal";
}

TEST_F(GlovLocal, KilledAfterAGuidedStepAndResumedEqualsUninterrupted) {
  const auto reference = fresh_dir("reference");
  const auto uninterrupted = run_to_end(glov_args(llm_, reference, {"iterations=10"}));
  ASSERT_EQ(uninterrupted.code, 0) << uninterrupted.output;
  const Json guidance =
      Json::parse(bbpt::core::read_file(reference + "/result.json")).at("guidance");
  ASSERT_FALSE(guidance.at("switched_on_after_step").is_null());
  ASSERT_LT(guidance.at("switched_on_after_step").get<int64_t>(), 6)
      << "the kill below must follow a guided step";
  const auto again = fresh_dir("again");
  ASSERT_EQ(run_to_end(glov_args(llm_, again, {"iterations=10"})).code, 0);
  EXPECT_EQ(bbpt::testing::result_without_time(again),
            bbpt::testing::result_without_time(reference));

  const auto killed = fresh_dir("killed");
  const auto args = glov_args(llm_, killed, {"iterations=10"});
  const pid_t pid = bbpt::testing::spawn_quiet(args);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (bbpt::testing::count_lines(killed + "/metrics.jsonl") < 6 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_FALSE(fs::exists(killed + "/result.json")) << "the run ended before the kill";
  const auto resumed = run_to_end(args);
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_EQ(bbpt::testing::result_without_time(killed),
            bbpt::testing::result_without_time(reference));
  EXPECT_EQ(bbpt::core::read_file(killed + "/metrics.jsonl"),
            bbpt::core::read_file(reference + "/metrics.jsonl"));
}

}  // namespace
