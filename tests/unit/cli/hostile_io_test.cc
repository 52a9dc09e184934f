// SPDX-License-Identifier: MIT
// Issue #18 through the bbpt binary, as a user meets it: no silent wrong result, no lost work, no
// leaked credential. Each refusal ends with exit status 2 (1 for an outside failure) and one line
// "bbpt: error: ..." naming the file, key or path and the value, before anything already on disk is
// touched; and a URL's credentials appear nowhere bbpt prints or stores (messages, config.json,
// failed.json, log.txt, results.sqlite, results.csv), while the run still connects with them.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bbpt/core/file_io.h"
#include "fake_openai_server.h"
#include "run_fixture.h"

namespace {
namespace fs = std::filesystem;
using bbpt::testing::Exit;
using bbpt::testing::FakeOpenAiServer;
using bbpt::testing::FakeRequest;
using bbpt::testing::run_to_end;
using Json = nlohmann::json;

const std::string kSecret = "s3cret-Pa55";

std::string fresh_dir(const std::string& name) {
  const auto dir = (fs::temp_directory_path() / ("bbpt_hostile_io_test_" + name)).string();
  fs::remove_all(dir);
  return dir;
}

std::string read(const std::string& path) { return bbpt::core::read_file(path); }

void write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  bbpt::core::write_file_atomic(path, text);
}

/// The output holds exactly one "bbpt: error: " line, which names every needle, and the command
/// ended with `code`; nothing like an abort or a C++ trace. (Where the line falls depends on when
/// stdout is flushed: it is the last line bbpt writes to stderr.)
void expect_error_line(const Exit& e, int code, const std::vector<std::string>& needles) {
  EXPECT_EQ(e.code, code) << e.output;
  const size_t at = e.output.find("bbpt: error: ");
  ASSERT_NE(at, std::string::npos) << e.output;
  EXPECT_EQ(e.output.find("bbpt: error: ", at + 1), std::string::npos) << e.output;
  const size_t end = e.output.find('\n', at);
  ASSERT_NE(end, std::string::npos) << e.output;
  const std::string line = e.output.substr(at, end - at);
  for (const auto& n : needles) {
    EXPECT_NE(line.find(n), std::string::npos) << "missing '" << n << "' in " << line;
  }
  EXPECT_EQ(e.output.find("terminate called"), std::string::npos) << e.output;
}

/// The cache directory of these tests (features of fmnist on the tiny CLIP, LLM replies), fresh
/// for each test binary run.
std::string fresh_cache() {
  static const std::string dir = [] {
    const auto d = (fs::temp_directory_path() / "bbpt_hostile_io_test_cache").string();
    fs::remove_all(d);
    return d;
  }();
  return dir;
}

/// `bbpt run` of `method` on fmnist with 4 shots on the golden tiny CLIP.
std::vector<std::string> run_args(const std::string& method,
                                  const std::string& out,
                                  const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {BBPT_EXECUTABLE,
                                   "--threads",
                                   "1",
                                   "--cache-dir",
                                   fresh_cache(),
                                   "--data-dir",
                                   bbpt::testing::data_dir(),
                                   "run",
                                   "--config",
                                   bbpt::testing::kMethodConfigs + method + ".yaml",
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
                                   "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

class HostileIo : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!bbpt::testing::run_fixture_ready(&why)) GTEST_SKIP() << why;
    ::unsetenv("OPENAI_API_KEY");
    ::unsetenv("BBPT_LLM_BASE_URL");
  }
};

// ---- item 3: --out ----------------------------------------------------------------------------

// A directory of someone else's files is never written into without --force, and --force keeps
// the files it does not replace.
TEST_F(HostileIo, OutThatIsAForeignDirectoryIsRefusedUnlessForced) {
  const auto out = fresh_dir("foreign");
  write(out + "/notes.txt", "precious\n");
  write(out + "/metrics.jsonl", "my own metrics\n");
  const auto refused = run_to_end(run_args("zip", out, {"--set", "budget=20"}));
  expect_error_line(refused, 2,
                    {out, "is an existing directory that is not a bbpt run", "--force"});
  EXPECT_EQ(read(out + "/notes.txt"), "precious\n");
  EXPECT_EQ(read(out + "/metrics.jsonl"), "my own metrics\n");
  EXPECT_FALSE(fs::exists(out + "/config.json"));

  // A config.json that is not bbpt's (not JSON, or without bbpt_version) makes it foreign too.
  const auto other = fresh_dir("foreign_config");
  write(other + "/config.json", "learning_rate = 3e-4\n");
  expect_error_line(run_to_end(run_args("zip", other, {"--set", "budget=20"})), 2,
                    {other, "a config.json that is not bbpt's", "--force"});
  EXPECT_EQ(read(other + "/config.json"), "learning_rate = 3e-4\n");
  write(other + "/config.json", "{\"lr\": 0.1}\n");
  expect_error_line(run_to_end(run_args("zip", other, {"--set", "budget=20"})), 2,
                    {other, "a config.json that is not bbpt's"});

  const auto forced = run_to_end(run_args("zip", out, {"--set", "budget=20", "--force"}));
  ASSERT_EQ(forced.code, 0) << forced.output;
  EXPECT_TRUE(fs::exists(out + "/result.json"));
  EXPECT_EQ(read(out + "/notes.txt"), "precious\n");
  // Now it is a bbpt run: the same command finds it finished, without --force.
  const auto again = run_to_end(run_args("zip", out, {"--set", "budget=20"}));
  EXPECT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("already finished"), std::string::npos) << again.output;
}

// A bbpt run of another config that stopped before its first checkpoint keeps its config.json and
// metrics unless --force says to start over.
TEST_F(HostileIo, OutHoldingAnotherConfigWithoutCheckpointIsRefusedUnlessForced) {
  const auto out = fresh_dir("other_config");
  write(out + "/config.json", "{\"method\": \"zip\", \"budget\": 7, \"bbpt_version\": \"0.0\"}\n");
  write(out + "/metrics.jsonl", "{\"step\": 1}\n");
  expect_error_line(run_to_end(run_args("zip", out, {"--set", "budget=20"})), 2,
                    {out + "/config.json", "holds another configuration", "--force"});
  EXPECT_EQ(read(out + "/metrics.jsonl"), "{\"step\": 1}\n");
  EXPECT_NE(read(out + "/config.json").find("\"budget\": 7"), std::string::npos);
  const auto forced = run_to_end(run_args("zip", out, {"--set", "budget=20", "--force"}));
  ASSERT_EQ(forced.code, 0) << forced.output;
  EXPECT_TRUE(fs::exists(out + "/result.json"));
}

// --out naming a file, or a place that cannot be created, is one line naming the path.
TEST_F(HostileIo, OutThatIsAFileOrCannotBeCreatedIsOneLine) {
  const auto dir = fresh_dir("out_file");
  const auto file = dir + "/results.txt";
  write(file, "keep me\n");
  expect_error_line(run_to_end(run_args("zip", file, {"--set", "budget=20"})), 2,
                    {file, "names an existing file, not a directory"});
  EXPECT_EQ(read(file), "keep me\n");
  const auto below = file + "/run";
  expect_error_line(
      run_to_end(run_args("zip", below, {"--set", "budget=20"})), 2,
      {below, "cannot create the run directory", "choose --out in a place you can write"});
  EXPECT_EQ(read(file), "keep me\n");

  // The sweep and pack output directories alike.
  const auto sweep = dir + "/sweep.yaml";
  write(sweep, "name: s\nmodel: " + bbpt::testing::kGoldenModel +
                   "\nset: {dataset: fmnist, budget: 20}\nmethods: {zip: {}}\n");
  expect_error_line(run_to_end({BBPT_EXECUTABLE, "sweep", "run", sweep, "--dir", file}), 2,
                    {file, "--dir names an existing file, not a directory"});
  expect_error_line(run_to_end({BBPT_EXECUTABLE, "sweep", "run", sweep, "--dir", below}), 2,
                    {below, "cannot create the sweep (Not a directory)",
                     "choose --dir in a place you can write"});
  const auto list = dir + "/trials.jsonl";
  write(list, "{\"id\": \"a\", \"config\": \"" + bbpt::testing::kMethodConfigs +
                  "zip.yaml\", \"dataset\": \"fmnist\", \"set\": [\"budget=20\"]}\n");
  expect_error_line(run_to_end({BBPT_EXECUTABLE, "pack", "--trials", list, "--out", file}), 2,
                    {file, "--out names an existing file, not a directory"});
  EXPECT_EQ(read(file), "keep me\n");
}

// ---- item 6: budget -------------------------------------------------------------------------

// Only the budget ends zip, bptvlm, spsa-gc and bar: budget 0 (or less) is refused with the file,
// the key and the value before the run directory exists.
TEST_F(HostileIo, ZeroBudgetIsRefusedForTheMethodsItEnds) {
  for (const std::string method : {"zip", "bptvlm", "spsa-gc", "bar"}) {
    const auto out = fresh_dir("budget_" + method);
    expect_error_line(run_to_end(run_args(method, out, {"--set", "budget=0"})), 2,
                      {method + ".yaml (--set budget=0): budget = 0: " + method +
                       " needs a positive number of queries"});
    EXPECT_FALSE(fs::exists(out)) << method;
  }
  const auto yaml = fresh_dir("budget_yaml") + "/bar.yaml";
  write(yaml, "method: bar\nbudget: 0\n");
  const auto out = fresh_dir("budget_yaml_out");
  auto args = run_args("bar", out);
  args[std::find(args.begin(), args.end(), "--config") - args.begin() + 1] = yaml;
  expect_error_line(run_to_end(args), 2,
                    {yaml + ":2: budget = 0: bar needs a positive number of queries"});
  expect_error_line(run_to_end(run_args("coop", out, {"--set", "budget=-5"})), 2,
                    {"coop.yaml (--set budget=-5): budget = -5: must be a number of queries >= 0"});
  EXPECT_FALSE(fs::exists(out));
}

// ---- item 7: shots and seeds ----------------------------------------------------------------

TEST_F(HostileIo, ShotsAboveTheSmallestClassOrBelowOneAreRefused) {
  const auto out = fresh_dir("shots");
  auto args = run_args("zip", out, {"--set", "budget=20"});
  args[std::find(args.begin(), args.end(), "--shots") - args.begin() + 1] = "100000";
  expect_error_line(run_to_end(args), 2,
                    {"fmnist: shots = 100000, but class '", "the smallest) has only ",
                     "training images; choose shots <= "});
  EXPECT_FALSE(fs::exists(out + "/config.json"));
  EXPECT_FALSE(fs::exists(out + "/result.json"));
  args[std::find(args.begin(), args.end(), "--shots") - args.begin() + 1] = "0";
  expect_error_line(run_to_end(args), 2,
                    {"--shots: shots = 0: expected a number of training images per class"});
  expect_error_line(run_to_end(run_args("zip", out, {"--set", "budget=20", "--set", "shots=-3"})),
                    2, {"zip.yaml (--set shots=-3): shots = -3"});
}

TEST_F(HostileIo, NegativeSeedsAreRefusedNotWrapped) {
  const auto out = fresh_dir("seed");
  auto args = run_args("zip", out, {"--set", "budget=20"});
  args[std::find(args.begin(), args.end(), "--seed") - args.begin() + 1] = "-1";
  expect_error_line(
      run_to_end(args), 2,
      {"--seed: seed = -1: expected an integer in [0, 2^63)", "18446744073709551615"});
  expect_error_line(run_to_end(run_args("zip", out, {"--set", "budget=20", "--set", "seed=-7"})), 2,
                    {"zip.yaml (--set seed=-7): seed = -7"});
  EXPECT_FALSE(fs::exists(out));

  // A sweep file and a pack trial list refuse it too, naming the file and line.
  const auto dir = fresh_dir("seed_files");
  const auto sweep = dir + "/sweep.yaml";
  write(sweep,
        "name: s\nmodel: " + bbpt::testing::kGoldenModel +
            "\nset: {dataset: fmnist, budget: 20}\ngrid: {seed: [1, -1]}\nmethods: {zip: {}}\n");
  expect_error_line(
      run_to_end({BBPT_EXECUTABLE, "sweep", "run", sweep, "--dir", dir + "/sweep", "--dry-run"}), 2,
      {sweep + ":4", "seed: expected an integer >= 0, got -1"});
  const auto list = dir + "/trials.jsonl";
  write(list, "{\"id\": \"a\", \"config\": \"" + bbpt::testing::kMethodConfigs +
                  "zip.yaml\", \"dataset\": \"fmnist\", \"seed\": -1}\n");
  expect_error_line(run_to_end({BBPT_EXECUTABLE, "pack", "--trials", list, "--out", dir + "/pack"}),
                    2, {list + ":1: seed: expected an integer >= 0, got -1"});
}

// Unsigned seed options (bbpt features, bbpt lm generate) refuse "-1" instead of parsing it as
// 2^64 - 1, which CLI11 alone would do.
TEST(HostileIoSeeds, UnsignedSeedOptionsRefuseNegativeValues) {
  const auto features = run_to_end(
      {BBPT_EXECUTABLE, "features", "--model", "m.pt", "--dataset", "d", "--seed", "-1"});
  EXPECT_NE(features.code, 0) << features.output;
  EXPECT_NE(features.output.find("seed = -1: expected an integer >= 0"), std::string::npos)
      << features.output;
  const auto lm = run_to_end(
      {BBPT_EXECUTABLE, "lm", "generate", "--model", "m", "--prompt", "p", "--seed", "-2"});
  EXPECT_NE(lm.code, 0) << lm.output;
  EXPECT_NE(lm.output.find("seed = -2: expected an integer >= 0"), std::string::npos) << lm.output;
}

// ---- item 2: CoOp split entries -------------------------------------------------------------

TEST(HostileIoData, SplitEntriesOutsideTheImageFolderAreRefused) {
  const auto data = fresh_dir("coop_data");
  const auto split = data + "/coop/eurosat/split_zhou_EuroSAT.json";
  write(data + "/coop/eurosat/2750/Forest/1.jpg", "");
  write(split,
        R"({"train": [["Forest/1.jpg", 0, "Forest"], ["../../../../etc/passwd", 0, "Forest"]],
                   "val": [], "test": []})");
  expect_error_line(
      run_to_end({BBPT_EXECUTABLE, "data", "describe", "coop:EuroSAT", "--data-dir", data}), 2,
      {split, "train[1] path '../../../../etc/passwd'",
       "is not a path inside the dataset's image folder"});
  write(
      split,
      R"({"train": [["Forest/1.jpg", 0, "Forest"]], "val": [], "test": [["/etc/passwd", 0, "Forest"]]})");
  expect_error_line(
      run_to_end({BBPT_EXECUTABLE, "data", "describe", "coop:EuroSAT", "--data-dir", data}), 2,
      {split, "test[0] path '/etc/passwd'"});
}

// ---- item 4: sbatch --test-only -------------------------------------------------------------

/// Puts a fake `sbatch` first on PATH for the life of the object.
class FakeSbatch {
 public:
  FakeSbatch(const std::string& dir, const std::string& script) : old_path_(std::getenv("PATH")) {
    write(dir + "/sbatch", "#!/bin/sh\n" + script);
    fs::permissions(dir + "/sbatch", fs::perms::owner_all);
    ::setenv("PATH", (dir + ":" + old_path_).c_str(), 1);
  }
  ~FakeSbatch() { ::setenv("PATH", old_path_.c_str(), 1); }
  FakeSbatch(const FakeSbatch&) = delete;
  FakeSbatch& operator=(const FakeSbatch&) = delete;

 private:
  std::string old_path_;
};

TEST(HostileIoSlurm, DryRunFailsWithSbatchsMessageWhenTestOnlyRefuses) {
  const auto dir = fresh_dir("slurm_dry");
  write(dir + "/model.pt", "a stand-in checkpoint: planning only hashes it");
  const auto sweep = dir + "/sweep.yaml";
  write(sweep, "name: dry\nmodel: " + dir +
                   "/model.pt\nset: {dataset: fmnist, budget: 40}\nmethods: {zip: {}}\n");
  const std::vector<std::string> args = {BBPT_EXECUTABLE, "sweep", "run",
                                         sweep,           "--dir", dir + "/sweep",
                                         "--executor",    "slurm", "--dry-run"};
  {
    FakeSbatch sbatch(
        dir + "/bin_bad",
        "echo 'sbatch: error: invalid partition specified: nope' >&2\n"
        "echo 'sbatch: error: Batch job submission failed: Invalid partition name specified' >&2\n"
        "exit 1\n");
    const auto refused = run_to_end(args);
    expect_error_line(refused, 1,
                      {"sbatch --test-only refused",
                       "(exit 1): sbatch: error: invalid partition specified: nope | "
                       "sbatch: error: Batch job submission failed",
                       "nothing was submitted"});
    EXPECT_NE(refused.output.find("#SBATCH"), std::string::npos)
        << refused.output;  // the script was shown
    EXPECT_FALSE(
        fs::exists(dir + "/sweep/slurm/array-1.sbatch"));  // and removed, as after a good answer
    EXPECT_FALSE(fs::exists(dir + "/sweep/slurm/submissions.jsonl"));
  }
  {
    FakeSbatch sbatch(dir + "/bin_good",
                      "echo 'sbatch: Job 7 to start at 2030-01-01T00:00:00 on node1' >&2\n");
    const auto ok = run_to_end(args);
    EXPECT_EQ(ok.code, 0) << ok.output;
    EXPECT_NE(ok.output.find("Job 7 to start"), std::string::npos) << ok.output;
  }
}

TEST(HostileIoSlurm, SlurmFlagsWinOverTheSweepFileAndAreChecked) {
  const auto dir = fresh_dir("slurm_flags");
  write(dir + "/model.pt", "a stand-in checkpoint: planning only hashes it");
  const auto sweep = dir + "/sweep.yaml";
  write(sweep, "name: flags\nmodel: " + dir +
                   "/model.pt\nset: {dataset: fmnist, budget: 40}\nmethods: {zip: {}}\n"
                   "executors:\n  slurm: {partition: from-file, qos: low, time: '01:00:00'}\n");
  FakeSbatch sbatch(dir + "/bin", "echo 'sbatch: Job 7 to start at 2030-01-01T00:00:00' >&2\n");
  const auto ok = run_to_end({BBPT_EXECUTABLE, "sweep", "run", sweep, "--dir", dir + "/sweep",
                              "--executor", "slurm", "--dry-run", "--partition", "from-flag",
                              "--mem", "32G", "--gpus-per-task", "2"});
  ASSERT_EQ(ok.code, 0) << ok.output;
  for (const char* line :
       {"#SBATCH --partition=from-flag", "#SBATCH --qos=low", "#SBATCH --time=01:00:00",
        "#SBATCH --mem=32G", "#SBATCH --gpus-per-task=2"}) {
    EXPECT_NE(ok.output.find(line), std::string::npos) << line << "\n" << ok.output;
  }
  EXPECT_EQ(ok.output.find("from-file"), std::string::npos) << ok.output;
  const auto negative =
      run_to_end({BBPT_EXECUTABLE, "sweep", "run", sweep, "--dir", dir + "/sweep2", "--executor",
                  "slurm", "--dry-run", "--throttle", "-1"});
  EXPECT_NE(negative.code, 0) << negative.output;
  EXPECT_NE(negative.output.find("--throttle"), std::string::npos) << negative.output;
}

// ---- item 1: credentials in the LLM base URL ------------------------------------------------

/// Answers GLOV's meta-prompts with fresh well-formed templates.
void answer_well(FakeOpenAiServer& server) {
  auto counter = std::make_shared<std::atomic<int>>(0);
  server.set_responder([counter](const FakeRequest&) {
    return FakeOpenAiServer::ok(
        {"Prompt: a photo of a <category>, kind " + std::to_string((*counter)++) + "."});
  });
}

std::vector<std::string> glov_args(const std::string& out, const std::string& base_url) {
  return run_args("glov", out,
                  {"--set", "llm_base_url=" + base_url, "--set", "llm_model=fake-model", "--set",
                   "iterations=2", "--set", "llm_max_attempts=2", "--set", "llm_backoff_s=0.01"});
}

// The retry warnings, the error and config.json show where bbpt connected, without the password;
// the resumed run (another password: rotated credentials) is the same trial and connects with it.
TEST_F(HostileIo, CredentialsInTheBaseUrlAreNotShownOrStoredByARun) {
  const auto out = fresh_dir("llm_run");
  const std::string down_port = std::to_string(FakeOpenAiServer::unused_port());
  const auto failed =
      run_to_end(glov_args(out, "http://alice:" + kSecret + "@127.0.0.1:" + down_port + "/v1"));
  EXPECT_EQ(failed.code, 1) << failed.output;
  EXPECT_NE(failed.output.find("http://***@127.0.0.1:" + down_port + "/v1/chat/completions"),
            std::string::npos)
      << failed.output;
  EXPECT_NE(failed.output.find("attempt 1/2 failed"), std::string::npos) << failed.output;
  EXPECT_EQ(failed.output.find(kSecret), std::string::npos) << failed.output;
  EXPECT_EQ(failed.output.find("alice"), std::string::npos) << failed.output;
  const std::string config = read(out + "/config.json");
  EXPECT_EQ(config.find(kSecret), std::string::npos) << config;
  EXPECT_NE(config.find("\"llm_base_url\": \"http://***@127.0.0.1:" + down_port + "/v1\""),
            std::string::npos)
      << config;
  ASSERT_TRUE(fs::exists(out + "/checkpoint.bin"));

  FakeOpenAiServer server;
  answer_well(server);
  const std::string up =
      "http://bob:0ther-" + kSecret + "@127.0.0.1:" + std::to_string(server.port()) + "/v1";
  auto resume = glov_args(out, up);
  // The port differs from the first attempt's: a new host, so the trial is another config...
  const auto other = run_to_end(resume);
  EXPECT_EQ(other.code, 2) << other.output;
  EXPECT_EQ(other.output.find(kSecret), std::string::npos) << other.output;
  // ...while the same host with other credentials is the same trial and resumes.
  const auto out2 = fresh_dir("llm_run_same_host");
  FakeOpenAiServer down_then_up;
  down_then_up.set_responder([](const FakeRequest&) {
    return bbpt::testing::FakeReply{503, "{\"error\": \"down for maintenance\"}", {}, 0, false};
  });
  const auto host = "127.0.0.1:" + std::to_string(down_then_up.port());
  const auto first = run_to_end(glov_args(out2, "http://alice:" + kSecret + "@" + host + "/v1"));
  EXPECT_EQ(first.code, 1) << first.output;
  EXPECT_EQ(first.output.find(kSecret), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("HTTP 503"), std::string::npos) << first.output;
  answer_well(down_then_up);
  const auto resumed =
      run_to_end(glov_args(out2, "http://bob:0ther-" + kSecret + "@" + host + "/v1"));
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming"), std::string::npos) << resumed.output;
  EXPECT_EQ(resumed.output.find(kSecret), std::string::npos) << resumed.output;
  for (const auto& f : {"/config.json", "/result.json", "/metrics.jsonl"}) {
    EXPECT_EQ(read(out2 + f).find(kSecret), std::string::npos) << f;
  }
  // The server saw the credentials: the URL that connects keeps them (HTTP basic auth).
  bool authorized = false;
  for (const auto& r : down_then_up.requests()) {
    if (r.header("Authorization").rfind("Basic ", 0) == 0) authorized = true;
  }
  EXPECT_TRUE(authorized);
}

// A sweep whose trials take the URL from $BBPT_LLM_BASE_URL (the way credentials reach a sweep:
// its files would store them) keeps them out of failed.json, log.txt, results.sqlite and
// results.csv; a sweep file that holds them is refused.
TEST_F(HostileIo, CredentialsInTheBaseUrlAreNotStoredByASweep) {
  const auto dir = fresh_dir("llm_sweep");
  const auto sweep = dir + "/sweep.yaml";
  const std::string down = "http://alice:" + kSecret +
                           "@127.0.0.1:" + std::to_string(FakeOpenAiServer::unused_port()) + "/v1";
  write(sweep,
        "name: creds\nmodel: " + bbpt::testing::kGoldenModel +
            "\nset: {dataset: fmnist, shots: 4, iterations: 2, llm_model: fake-model, "
            "llm_max_attempts: 2, "
            "llm_backoff_s: 0.01, llm_cache: false}\nmethods: {glov: {}}\n");  // no answers from
                                                                               // other tests
  ::setenv("BBPT_LLM_BASE_URL", down.c_str(), 1);
  const auto run = run_to_end({BBPT_EXECUTABLE, "--threads", "1", "--cache-dir", fresh_cache(),
                               "--data-dir", bbpt::testing::data_dir(), "sweep", "run", sweep,
                               "--dir", dir + "/sweep", "-j", "1"});
  ::unsetenv("BBPT_LLM_BASE_URL");
  EXPECT_NE(run.code, 0) << run.output;
  EXPECT_EQ(run.output.find(kSecret), std::string::npos) << run.output;
  std::vector<std::string> files = {dir + "/sweep/results.sqlite", dir + "/sweep/results.csv"};
  for (const auto& entry : fs::directory_iterator(dir + "/sweep/trials")) {
    for (const auto& name :
         {"failed.json", "log.txt", "config.json", "trial.json", "method.yaml"}) {
      files.push_back((entry.path() / name).string());
    }
    EXPECT_NE(read((entry.path() / "failed.json").string()).find("http://***@127.0.0.1:"),
              std::string::npos);
  }
  for (const auto& f : files) {
    ASSERT_TRUE(fs::exists(f)) << f;
    EXPECT_EQ(read(f).find(kSecret), std::string::npos) << f;
  }

  write(sweep, "name: creds\nmodel: " + bbpt::testing::kGoldenModel +
                   "\nset: {dataset: fmnist, llm_base_url: '" + down + "'}\nmethods: {glov: {}}\n");
  const auto refused =
      run_to_end({BBPT_EXECUTABLE, "sweep", "run", sweep, "--dir", dir + "/refused"});
  expect_error_line(refused, 2,
                    {sweep + ":3: llm_base_url: http://***@127.0.0.1:", "carries credentials"});
  EXPECT_EQ(refused.output.find(kSecret), std::string::npos) << refused.output;
  EXPECT_FALSE(fs::exists(dir + "/refused/manifest.jsonl"));
}

}  // namespace
