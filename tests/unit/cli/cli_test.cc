// SPDX-License-Identifier: MIT
// The bbpt binary, run as a user runs it: every failure mode ends with a non-zero exit and one line
// "bbpt: error: ..." naming the file and what was expected; never an abort, an uncaught exception
// or a C++ stack trace. Also the commands later checks call exactly (tokenize, preprocess, model).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/torch.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bbpt/core/file_io.h"

namespace {
namespace fs = std::filesystem;

const std::string kGolden = std::string(BBPT_SHARED_DIR) + "/assets/golden/";

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

RunResult run_bbpt_in(const std::string& env, const std::string& args) {
  const std::string command =
      (env.empty() ? "" : "env " + env + " ") + std::string(BBPT_EXECUTABLE) + " " + args + " 2>&1";
  RunResult result;
  FILE* pipe = popen(command.c_str(), "r");
  std::array<char, 4096> chunk{};
  size_t n = 0;
  while ((n = fread(chunk.data(), 1, chunk.size(), pipe)) > 0)
    result.output.append(chunk.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

RunResult run_bbpt(const std::string& args) { return run_bbpt_in("", args); }

/// run_bbpt with environment assignments ("A=1 B=2") for the command.
RunResult run_bbpt_with_env(const std::string& env, const std::string& args) {
  return run_bbpt_in(env, args);
}

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("bbpt_cli_test_" + name)).string();
}

// One line, "bbpt: error: ", names `path`, contains `phrase`, exit code 1 or 2.
void expect_clean_failure(const RunResult& r, const std::string& path, const std::string& phrase) {
  EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 2) << "exit " << r.exit_code << ": " << r.output;
  EXPECT_EQ(r.output.rfind("bbpt: error: ", 0), 0u) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_NE(r.output.find(path), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(phrase), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("terminate called"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("Exception raised from"), std::string::npos) << r.output;
}

bool have_golden() { return bbpt::core::is_regular_file(kGolden + "tiny_vit_openai.pt"); }

TEST(Cli, MissingCheckpoint) {
  expect_clean_failure(run_bbpt("model inspect /nonexistent/ViT-B-16.pt"),
                       "/nonexistent/ViT-B-16.pt", "not found");
}

TEST(Cli, TruncatedCheckpoint) {
  if (!have_golden()) GTEST_SKIP() << "no golden fixtures";
  const std::string bytes = bbpt::core::read_file(kGolden + "tiny_vit_openai.pt");
  const std::string path = temp_path("truncated.pt");
  bbpt::core::write_file_atomic(path, bytes.substr(0, bytes.size() / 3));
  expect_clean_failure(run_bbpt("model inspect " + path), path, "truncated or corrupt");
  expect_clean_failure(
      run_bbpt("model check --model " + path + " --reference " + kGolden + "tiny_vit_reference.pt"),
      path, "truncated or corrupt");
}

TEST(Cli, CheckpointOfUnknownLayout) {
  c10::Dict<std::string, torch::Tensor> weights;
  weights.insert("bert.embeddings.word_embeddings.weight", torch::zeros({10, 4}));
  const auto bytes = torch::pickle_save(weights);
  const std::string path = temp_path("bert.pt");
  bbpt::core::write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
  expect_clean_failure(run_bbpt("model inspect " + path), path, "not a CLIP checkpoint");
}

TEST(Cli, MissingOrBrokenVocabulary) {
  const std::string dir = temp_path("assets");
  fs::create_directories(dir);
  const std::string vocab = dir + "/bpe_simple_vocab_16e6.txt.gz";
  bbpt::core::write_file_atomic(vocab, std::string("\x1f\x8b\x08\x00", 4) + "truncated");
  const std::string json = temp_path("texts.json");
  bbpt::core::write_file_atomic(json, R"({"texts": ["a photo of a cat."]})");
  expect_clean_failure(run_bbpt("--assets " + dir + " tokenize --json " + json), vocab, "gzip");
  fs::remove(vocab);
  bbpt::core::write_file_atomic(vocab, "#version: 0.2\nonly one line\n");
  expect_clean_failure(run_bbpt("--assets " + dir + " tokenize --json " + json), vocab, "");
}

TEST(Cli, ImageThatIsNotAnImage) {
  const std::string path = temp_path("not_an_image.jpg");
  bbpt::core::write_file_atomic(path, "this is text, not pixels");
  expect_clean_failure(
      run_bbpt("preprocess --image " + path + " --resolution 32 --out " + temp_path("out.pt")),
      path, "expected a JPEG or PNG image");
}

TEST(Cli, BadArgumentsExitWithUsageError) {
  const RunResult r = run_bbpt("preprocess --image x.jpg --resolution nope --out y.pt");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--resolution"), std::string::npos) << r.output;
  EXPECT_NE(run_bbpt("--device tpu model inspect x.pt").exit_code, 0);
}

TEST(Cli, TokenizeMatchesReference) {
  const std::string reference = kGolden + "tokenizer_reference.json";
  if (!bbpt::core::is_regular_file(reference)) GTEST_SKIP() << "no tokenizer reference";
  const RunResult r = run_bbpt("tokenize --json " + reference);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto expected = nlohmann::json::parse(bbpt::core::read_file(reference))["tokens"];
  EXPECT_EQ(nlohmann::json::parse(r.output)["tokens"], expected);
}

TEST(Cli, ModelCheckPassesOnFixturesAndInspectPrintsKeyValues) {
  if (!have_golden()) GTEST_SKIP() << "no golden fixtures";
  for (const std::string tower : {"tiny_vit", "tiny_rn"}) {
    const RunResult check = run_bbpt("model check --model " + kGolden + tower +
                                     "_openai.pt --reference " + kGolden + tower + "_reference.pt");
    EXPECT_EQ(check.exit_code, 0) << check.output;
    EXPECT_NE(check.output.find("soft_text_features"), std::string::npos) << check.output;
    EXPECT_NE(check.output.find("PASS"), std::string::npos) << check.output;
  }
  const RunResult strict =
      run_bbpt("model check --max-rel-err 1e-12 --model " + kGolden +
               "tiny_vit_openai.pt --reference " + kGolden + "tiny_vit_reference.pt");
  EXPECT_EQ(strict.exit_code, 1) << "an impossible tolerance must fail: " << strict.output;
  const RunResult inspect = run_bbpt("model inspect " + kGolden + "tiny_vit_openai.pt");
  EXPECT_EQ(inspect.exit_code, 0);
  EXPECT_NE(inspect.output.find("image_resolution: 32\n"), std::string::npos) << inspect.output;
  EXPECT_NE(inspect.output.find("vision_patch_size: 8\n"), std::string::npos) << inspect.output;
}

TEST(Cli, PreprocessWritesATensorTorchLoadCanRead) {
  if (!have_golden()) GTEST_SKIP() << "no golden fixtures";
  const std::string dir = temp_path("img");
  fs::create_directories(dir);
  const std::string tar = "tar -xzf " + std::string(BBPT_SHARED_DIR) +
                          "/assets/flowers12.tar.gz -C " + dir +
                          " flowers12/test/bluebell/image_0243.jpg";
  ASSERT_EQ(std::system(tar.c_str()), 0);
  const std::string out = temp_path("pre.pt");
  const RunResult r =
      run_bbpt("preprocess --image " + dir +
               "/flowers12/test/bluebell/image_0243.jpg --resolution 32 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string bytes = bbpt::core::read_file(out);
  const auto tensor = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end())).toTensor();
  EXPECT_EQ(tensor.sizes(), (std::vector<int64_t>{1, 3, 32, 32}));
}

}  // namespace

// `bbpt lm`: the fixtures pass `check`; `generate --json` gives prompt ids, new ids and text, the
// same for the same seed, and guidance changes it; a malformed checkpoint is one line naming it.
namespace lm_cli {

const std::string kLlm = std::string(BBPT_SHARED_DIR) + "/assets/llm/";

bool have_llm_fixtures() {
  return bbpt::core::is_regular_file(kLlm + "tiny_llama/model.safetensors");
}

TEST(CliLm, CheckPassesOnBothFixtures) {
  if (!have_llm_fixtures()) GTEST_SKIP() << "no LLM fixtures";
  const auto tiny = run_bbpt("lm check --model " + kLlm + "tiny_llama --reference " + kLlm +
                             "tiny_llama/reference.json");
  EXPECT_EQ(tiny.exit_code, 0) << tiny.output;
  EXPECT_NE(tiny.output.find("PASS: 25 checks"), std::string::npos) << tiny.output;
  const auto l2c = run_bbpt("lm check --model " + kLlm + "aidreams260K.bin --tokenizer " + kLlm +
                            "tok512.bin --reference " + kLlm + "aidreams260K_reference.json");
  EXPECT_EQ(l2c.exit_code, 0) << l2c.output;
  EXPECT_NE(l2c.output.find("PASS: 4 checks"), std::string::npos) << l2c.output;
}

TEST(CliLm, GenerateJsonIsReproducibleAndGuidanceChangesIt) {
  if (!have_llm_fixtures()) GTEST_SKIP() << "no LLM fixtures";
  const std::string chat = temp_path("chat.json");
  bbpt::core::write_file_atomic(
      chat, R"([{"role": "system", "content": "You are a helpful AI assistant."},
    {"role": "user", "content": "Give one prompt template with <category>."}])");
  const std::string base =
      "lm generate --model " + kLlm + "tiny_llama --chat " + chat +
      " --samples 3 --max-new-tokens 12 --top-k 50 --top-p 0.9 --seed 4 --json";
  const auto a = run_bbpt(base), b = run_bbpt(base);
  ASSERT_EQ(a.exit_code, 0) << a.output;
  EXPECT_EQ(a.output, b.output);
  const auto out = nlohmann::json::parse(a.output);
  EXPECT_EQ(out.at("samples").size(), 3u);
  EXPECT_EQ(out.at("prompt_ids").at(0), 556);  // <|begin_of_text|>
  EXPECT_TRUE(out.at("samples").at(0).at("new_ids").is_array());
  const auto guided =
      run_bbpt(base +
               " --guide-positive 'a centered satellite photo of {}.' --guide-negative "
               "'a photo of a {}.' --guide-layer 2 --alpha 4");
  ASSERT_EQ(guided.exit_code, 0) << guided.output;
  EXPECT_NE(nlohmann::json::parse(guided.output).at("samples"), out.at("samples"));
}

TEST(CliLm, MalformedCheckpointsAreOneLine) {
  if (!have_llm_fixtures()) GTEST_SKIP() << "no LLM fixtures";
  const std::string dir = temp_path("broken_llama");
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const char* f : {"config.json", "tokenizer.json", "tokenizer_config.json"}) {
    fs::copy_file(kLlm + "tiny_llama/" + f, dir + "/" + f);
  }
  const std::string weights = bbpt::core::read_file(kLlm + "tiny_llama/model.safetensors");
  bbpt::core::write_file_atomic(dir + "/model.safetensors", weights.substr(0, weights.size() / 2));
  expect_clean_failure(run_bbpt("lm inspect " + dir), dir + "/model.safetensors",
                       "exceed the data section");
  fs::remove(dir + "/model.safetensors");
  bbpt::core::write_file_atomic(
      dir + "/model.safetensors.index.json",
      R"({"weight_map": {"model.embed_tokens.weight": "model-00001-of-00002.safetensors"}})");
  expect_clean_failure(run_bbpt("lm inspect " + dir), "model.safetensors.index.json",
                       "names shard");
  bbpt::core::write_file_atomic(dir + "/tokenizer_config.json",
                                R"({"chat_template": "{{ messages }}"})");
  fs::copy_file(kLlm + "tiny_llama/model.safetensors", dir + "/model.safetensors");
  fs::remove(dir + "/model.safetensors.index.json");
  expect_clean_failure(run_bbpt("lm inspect " + dir), "tokenizer_config.json", "chat");
}

// What an LLM trial's result depends on is in its resolved config, so in config.json's hash and in
// a sweep's trial ids: the model name from the environment and a local checkpoint's fingerprint;
// the endpoint's address is not (docs/sweeps.md, "What a trial id covers"). `bbpt run` resolves the
// same way: LlmMethods.TheModelFromTheEnvironmentIsRecordedInTheTrialsConfig (llm_methods_test).

/// The trial ids `bbpt sweep plan FILE` prints for `method`, under the environment assignments
/// `env`.
std::vector<std::string> planned_ids(const std::string& env,
                                     const std::string& file,
                                     const std::string& method) {
  const auto r = run_bbpt_with_env(env, "sweep plan " + file);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> ids;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string index, id, name;
    fields >> index >> id >> name;
    if (name == method && id.size() == 16)
      ids.push_back(id);  // not the summary line "N trials; ..."
  }
  return ids;
}

TEST(CliTrialIdentity, ALocalCheckpointsFingerprintIsInTheTrialIdAndFollowsItsFiles) {
  const std::string llama = std::string(BBPT_SHARED_DIR) + "/assets/llm/tiny_llama";
  if (!fs::is_directory(llama) || !have_golden())
    GTEST_SKIP() << llama << " or the golden CLIP missing";
  const std::string copy = temp_path("tiny_llama_copy");
  fs::remove_all(copy);
  fs::copy(llama, copy, fs::copy_options::recursive);
  const std::string file = temp_path("identity_local.yaml");
  std::ofstream(file) << "name: identity\nmodel: " << kGolden << "tiny_vit_openai.pt\n"
                      << "grid: {dataset: [fmnist], seed: [1, 2]}\nmethods:\n"
                      << "  glov: {set: {llm_backend: local, llm_model_path: " << copy << "}}\n";
  const auto before = planned_ids("", file, "glov");
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(planned_ids("", file, "glov"), before);
  std::ofstream(copy + "/generation_config.json", std::ios::app) << "\n";  // the checkpoint changed
  const auto after = planned_ids("", file, "glov");
  ASSERT_EQ(after.size(), 2u);
  EXPECT_NE(after[0], before[0]);
  EXPECT_NE(after[1], before[1]);
}

TEST(CliTrialIdentity, ASweepPlannedAgainstAnotherLlmModelHasOtherTrialIds) {
  if (!have_golden()) GTEST_SKIP() << "no golden fixtures";
  const std::string file = temp_path("identity_sweep.yaml");
  std::ofstream(file)
      << "name: identity\nmodel: " << kGolden << "tiny_vit_openai.pt\n"
      << "grid: {dataset: [fmnist], seed: [1, 2]}\nmethods:\n  glov: {}\n  zip: {}\n";
  const std::string model_a = "BBPT_LLM_MODEL=model-a BBPT_LLM_BASE_URL=http://h1:8000/v1";
  const auto glov_a = planned_ids(model_a, file, "glov");
  const auto zip_a = planned_ids(model_a, file, "zip");
  ASSERT_EQ(glov_a.size(), 2u);
  ASSERT_EQ(zip_a.size(), 2u);
  // Another server address, the same model: the same trials.
  EXPECT_EQ(planned_ids("BBPT_LLM_MODEL=model-a BBPT_LLM_BASE_URL=http://h2:9000/v1", file, "glov"),
            glov_a);
  // Another model: other glov trials, the same zip trials.
  const std::string model_b = "BBPT_LLM_MODEL=model-b BBPT_LLM_BASE_URL=http://h1:8000/v1";
  const auto glov_b = planned_ids(model_b, file, "glov");
  ASSERT_EQ(glov_b.size(), 2u);
  EXPECT_NE(glov_b[0], glov_a[0]);
  EXPECT_NE(glov_b[1], glov_a[1]);
  EXPECT_EQ(planned_ids(model_b, file, "zip"), zip_a);
}

}  // namespace lm_cli
