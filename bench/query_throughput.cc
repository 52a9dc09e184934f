// SPDX-License-Identifier: MIT
// bench/query_throughput (issue #4): ZIP queries per second with a ViT-B/16-sized CLIP (random
// weights) at 10 and 100 classes, against the same query computed the way the official ZIP code
// does it, both in the same run, next to a large fp32 matrix product measured in the same process
// (the machine's practical peak). Prints a table and writes JSON (--json, default
// docs/bench/query_throughput.json).
//
// One query = one forward of one mini-batch of B = 128 images under one prompt setting
// (algorithms.md 2.6). The two ways of computing it:
//   bbpt      one ZIP step of 2q = 10 queries as `bbpt run` does it: ZipPrompt::contexts on 10
//             parameter vectors, then ContextQueryEngine::evaluate: the step's 128 image features
//             come from the frozen feature cache, all 10 x C prompts are encoded in one batched
//             text forward truncated to the EOT, then logits and per-setting cross-entropy.
//             Queries/s = 10 / (seconds per step).
//   official  per query, a full CLIP forward as in ZIP's trainers/zip.py: encode_image on the 128
//             images at 224 x 224, the C class prompts encoded at all 77 positions with the
//             context injected (CoOp's PromptLearner: token prefix/suffix embedded once), logits,
//             cross-entropy. The same libtorch kernels as bbpt (CPU chunking of the text batch
//             included), so the ratio measures the algorithmic differences only.
// Check: the loss of setting 0 from both paths must agree (the image features of the cache are
// those of the official query's first image forward; truncation and batching are exact).
//
// FLOPs (multiply-add = 2), matrix products only, over the positions actually computed:
//   text prompt of length L (width D, N layers, embed E): N (24 L D^2 + 4 L^2 D) + 2 D E
//     (QKV 6LD^2, attention out 2LD^2, MLP 16LD^2, scores and weighted sum 4L^2D, the full square
//     although the mask is causal; projection to E at the EOT);
//   ViT image (T = (R/P)^2 + 1 tokens, width Dv, Nv layers): 2 (T-1) Dv 3P^2 (patch conv)
//     + Nv (24 T Dv^2 + 4 T^2 Dv) + 2 Dv E;
//   logits of one query: 2 B C E.
// Not counted: LayerNorm, softmax, QuickGELU, normalisation, the loss, ZIP's Fastfood maps.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bbpt/assets/asset_locator.h"
#include "bbpt/eval/query_engine.h"
#include "bbpt/eval/zero_shot.h"
#include "bbpt/model/clip_model.h"
#include "bbpt/prompt/zip_prompt.h"
#include "bbpt/tokenizer/clip_tokenizer.h"
#include "bench_common.h"
#include "bench_flops.h"

#ifndef BBPT_SHARED_ASSETS_DIR
#define BBPT_SHARED_ASSETS_DIR ""
#endif

namespace {

using namespace bbpt::bench;  // text_flops, vit_b16_config, Clock, machine facts

struct BenchOptions {
  std::vector<int64_t> class_counts = {10, 100};
  int64_t batch_size = 128;        // B images per query (ZIP's batch size)
  int64_t settings_per_step = 10;  // 2q (SP_AVG = 5 pairs)
  int64_t bbpt_steps = 2;          // timed ZIP steps per class count, after one warm-up step
  int64_t official_queries = 1;  // timed official queries per class count (each ~ an image forward)
  int64_t image_chunk = 16;   // official image forward in chunks of this many images (0: one batch)
  double peak_seconds = 1.0;  // per GEMM measurement (best of 5)
  std::string json_path = "docs/bench/query_throughput.json";
  std::string assets_dir;  // folder holding bpe_simple_vocab_16e6.txt.gz (else ../shared/assets)
};

void print_usage() {
  std::printf(
      "usage: bench_query_throughput [--json PATH] [--repeats N] [--official-queries N]\n"
      "                              [--image-chunk N] [--classes 10,100] [--assets DIR]\n"
      "                              [--peak-seconds S]\n"
      "  --repeats N           timed ZIP steps (10 queries each) per class count (default 2)\n"
      "  --official-queries N  timed full-forward queries per class count (default 1)\n"
      "  --image-chunk N       official image forward in chunks of N images, 0 = one batch "
      "(default 16)\n");
}

BenchOptions parse_options(int argc, char** argv) {
  BenchOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", flag.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (flag == "--json") {
      o.json_path = value();
    } else if (flag == "--repeats") {
      o.bbpt_steps = std::max<int64_t>(1, std::stoll(value()));
    } else if (flag == "--official-queries") {
      o.official_queries = std::max<int64_t>(1, std::stoll(value()));
    } else if (flag == "--image-chunk") {
      o.image_chunk = std::max<int64_t>(0, std::stoll(value()));
    } else if (flag == "--peak-seconds") {
      o.peak_seconds = std::stod(value());
    } else if (flag == "--assets") {
      o.assets_dir = value();
    } else if (flag == "--classes") {
      o.class_counts.clear();
      std::stringstream list(value());
      for (std::string item; std::getline(list, item, ',');)
        o.class_counts.push_back(std::stoll(item));
    } else if (flag == "--help" || flag == "-h") {
      print_usage();
      std::exit(0);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      print_usage();
      std::exit(2);
    }
  }
  return o;
}

// Runs fn repeatedly for at least min_seconds after one warm-up call; returns seconds per call.
template <typename Fn>
double time_per_call(Fn&& fn, double min_seconds) {
  fn();
  int calls = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    fn();
    ++calls;
    elapsed = seconds_since(start);
  } while (elapsed < min_seconds);
  return elapsed / calls;
}

double image_flops(const bbpt::model::ClipConfig& c) {
  const double patches = static_cast<double>((c.image_resolution / c.vision_patch_size) *
                                             (c.image_resolution / c.vision_patch_size));
  const double T = patches + 1, D = static_cast<double>(c.vision_width);
  const double P = static_cast<double>(c.vision_patch_size);
  return 2 * patches * D * 3 * P * P +
         static_cast<double>(c.vision_layers.at(0)) * (24 * T * D * D + 4 * T * T * D) +
         2 * D * static_cast<double>(c.embed_dim);
}

// One official query: a full CLIP forward for one prompt setting context [M, W].
struct OfficialTiming {
  double image_s = 0;
  double text_s = 0;
  double total_s = 0;
  double loss = 0;
  torch::Tensor image_features;  // [B, E]
};

OfficialTiming official_query(bbpt::model::ClipModel& model,
                              const bbpt::model::ContextPrompts& prompts,
                              const torch::Tensor& images,
                              const torch::Tensor& labels,
                              const torch::Tensor& context,
                              int64_t image_chunk) {
  OfficialTiming t;
  const auto start = Clock::now();
  // Chunking is exact (images are independent) and only spares the CPU page faults of fresh
  // multi-hundred-MB activations (docs/performance.md, bench/text_encoder).
  const int64_t batch = images.size(0);
  const int64_t chunk = image_chunk > 0 ? std::min(image_chunk, batch) : batch;
  std::vector<torch::Tensor> features;
  for (int64_t first = 0; first < batch; first += chunk) {
    features.push_back(
        model->encode_image(images.narrow(0, first, std::min(chunk, batch - first))));
  }
  t.image_features = torch::cat(features);  // [B, E]
  t.image_s = seconds_since(start);
  const auto text_start = Clock::now();
  auto text = model->encode_contexts(prompts, context.unsqueeze(0)).squeeze(0);  // [C, E]
  t.text_s = seconds_since(text_start);
  auto logits = model->logits(t.image_features, text);  // [B, C]
  auto loss = bbpt::eval::per_setting_loss(logits.unsqueeze(0), labels,
                                           bbpt::eval::LossKind::kCrossEntropy);
  t.loss = loss[0].item<double>();
  t.total_s = seconds_since(start);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  const BenchOptions options = parse_options(argc, argv);
  torch::NoGradGuard no_grad;
  torch::manual_seed(0);
  const auto run_start = Clock::now();
  const std::string load_at_start = load_average();

  // Practical peak: best of five 2048^3 fp32 GEMMs of about peak_seconds each.
  const int64_t n = 2048;
  auto a = torch::randn({n, n}), b = torch::randn({n, n});
  double gemm_s = 1e30;
  for (int repeat = 0; repeat < 5; ++repeat) {
    gemm_s = std::min(gemm_s, time_per_call([&] { (void)torch::mm(a, b); }, options.peak_seconds));
  }
  const double peak_gflops = 2.0 * n * n * n / gemm_s / 1e9;
  const char* openblas_threads = std::getenv("OPENBLAS_NUM_THREADS");

  bbpt::assets::AssetOptions asset_options;
  asset_options.assets_dir = options.assets_dir;
  asset_options.checkout_assets_dir = BBPT_SHARED_ASSETS_DIR;
  asset_options.allow_download = false;
  const auto tokenizer = bbpt::tokenizer::ClipTokenizer::from_file(
      bbpt::assets::locate_asset(bbpt::assets::kClipVocabAsset, asset_options));

  const auto config = vit_b16_config();
  bbpt::model::ClipModel model(config);
  // Logits spread as in a trained model, so that the loss check below means something.
  randomize_clip_weights(model);
  model->eval();

  bbpt::prompt::ZipPromptOptions zip_options;  // M = 8, intrinsic dim 500, rank 5: 417 parameters
  const bbpt::prompt::ZipPrompt zip(zip_options, config.transformer_width, /*seed=*/1);
  const int64_t num_context = zip.num_context();
  // The 2q settings of one SPSA step: theta0 +/- c Delta, Delta Rademacher, c = 0.01.
  auto theta0 = torch::tensor(zip.initial_parameters(), torch::kDouble);  // [N]
  auto delta = torch::randint(0, 2, {options.settings_per_step / 2, zip.num_parameters()},
                              torch::kDouble) *
                   2 -
               1;  // [q, N]
  auto thetas = torch::stack({theta0 + 0.01 * delta, theta0 - 0.01 * delta}, 1)
                    .reshape({options.settings_per_step, zip.num_parameters()});  // [2q, N]

  const int64_t batch = options.batch_size;
  auto images = torch::randn({batch, 3, config.image_resolution, config.image_resolution});
  const double image_gflop = image_flops(config) * static_cast<double>(batch) / 1e9;

  std::printf(
      "CPU: %s, %u logical CPUs\nlibtorch intra-op threads: %d; OPENBLAS_NUM_THREADS=%s "
      "(OpenBLAS keeps its own pool)\nmatmul %ldx%ldx%ld fp32: %.1f GFLOP/s (practical peak)\n",
      cpuinfo_field("model name").c_str(), std::thread::hardware_concurrency(),
      torch::get_num_threads(), openblas_threads ? openblas_threads : "unset", n, n, n,
      peak_gflops);
  std::printf(
      "ViT-B/16-sized CLIP, random weights; image batch %ld at %ldx%ld = %.0f GFLOP "
      "(official: encoded in chunks of %ld); ZIP M = %ld, %ld parameters, %ld settings per step\n",
      batch, config.image_resolution, config.image_resolution, image_gflop,
      options.image_chunk > 0 ? std::min(options.image_chunk, batch) : batch, num_context,
      zip.num_parameters(), options.settings_per_step);
  std::fflush(stdout);

  // Warm-up of the image tower on a few images (thread pools, first allocations).
  (void)model->encode_image(images.narrow(0, 0, 4));

  std::printf("%8s %-9s %9s %11s %10s %12s %9s %8s %9s\n", "classes", "method", "positions",
              "s / query", "queries/s", "GFLOP/query", "GFLOP/s", "of peak", "speed-up");
  std::fflush(stdout);
  nlohmann::json rows = nlohmann::json::array();
  nlohmann::json checks = nlohmann::json::array();
  torch::Tensor cached_features;  // [B, E] image features of the first official query
  bool all_match = true;
  for (const int64_t num_classes : options.class_counts) {
    const auto tokens =
        placeholder_tokens(tokenizer, num_classes, num_context, config.context_length);
    auto labels = torch::randint(0, num_classes, {batch}, torch::kLong);

    // Official: one full forward per query, text at all 77 positions.
    model->truncate_text = false;
    const auto full_prompts = model->prepare_context_prompts(tokens, num_context);
    const auto context0 = zip.contexts(thetas.narrow(0, 0, 1))[0];  // [M, W], setting 0
    OfficialTiming official;
    double official_image_s = 0, official_text_s = 0, official_s = 0;
    for (int64_t q = 0; q < options.official_queries; ++q) {
      official = official_query(model, full_prompts, images, labels, context0, options.image_chunk);
      official_image_s += official.image_s / static_cast<double>(options.official_queries);
      official_text_s += official.text_s / static_cast<double>(options.official_queries);
      official_s += official.total_s / static_cast<double>(options.official_queries);
    }
    if (!cached_features.defined()) cached_features = official.image_features;
    const int64_t full_positions =
        full_prompts.prefix.size(1) + num_context + full_prompts.suffix.size(1);
    const double official_flops =
        image_gflop * 1e9 + static_cast<double>(num_classes) * text_flops(full_positions, config) +
        2.0 * static_cast<double>(batch * num_classes * config.embed_dim);

    // bbpt: the feature cache (the official query's image features), ZIP steps through the engine.
    model->truncate_text = true;
    auto prompts = model->prepare_context_prompts(tokens, num_context);
    const int64_t positions = prompts.prefix.size(1) + num_context + prompts.suffix.size(1);
    bbpt::eval::ContextQueryEngine engine(model, prompts, cached_features.unsqueeze(1), labels,
                                          batch,
                                          /*batch_seed=*/2, /*view_seed=*/3);
    bbpt::eval::QueryCounter counter(0);
    int64_t step = 0;
    bbpt::eval::QueryResults results;
    auto zip_step = [&] {
      const auto feature_batch = engine.batch(step++);
      results = engine.evaluate(feature_batch, zip.contexts(thetas), counter);
    };
    zip_step();  // warm-up, and the check below
    const double loss_difference = std::abs(results.losses[0] - official.loss);
    const bool match = loss_difference <= 1e-4 * std::max(1.0, std::abs(official.loss));
    all_match = all_match && match;
    const auto bbpt_start = Clock::now();
    for (int64_t s = 0; s < options.bbpt_steps; ++s) zip_step();
    const double step_s = seconds_since(bbpt_start) / static_cast<double>(options.bbpt_steps);
    const double bbpt_query_s = step_s / static_cast<double>(options.settings_per_step);
    const double bbpt_flops = static_cast<double>(num_classes) * text_flops(positions, config) +
                              2.0 * static_cast<double>(batch * num_classes * config.embed_dim);

    const double speed_up = official_s / bbpt_query_s;
    struct Row {
      const char* method;
      int64_t positions;
      double query_s;
      double flops;
      double speed_up;
    };
    for (const Row& row : {Row{"official", full_positions, official_s, official_flops, 1.0},
                           Row{"bbpt ZIP", positions, bbpt_query_s, bbpt_flops, speed_up}}) {
      const double gflops = row.flops / row.query_s / 1e9;
      std::printf("%8ld %-9s %9ld %11.4f %10.3f %12.2f %9.1f %7.1f%% %8.1fx\n", num_classes,
                  row.method, row.positions, row.query_s, 1.0 / row.query_s, row.flops / 1e9,
                  gflops, 100.0 * gflops / peak_gflops, row.speed_up);
      rows.push_back({{"classes", num_classes},
                      {"method", row.method},
                      {"text_positions", row.positions},
                      {"seconds_per_query", row.query_s},
                      {"queries_per_second", 1.0 / row.query_s},
                      {"gflop_per_query", row.flops / 1e9},
                      {"gflops", gflops},
                      {"fraction_of_peak", gflops / peak_gflops},
                      {"speed_up_vs_official", row.speed_up}});
    }
    std::printf(
        "%8s official: image tower %.2f s (%.1f GFLOP/s), text %.2f s, mean of %ld; "
        "bbpt: %.3f s per step of %ld, mean of %ld\n",
        "", official_image_s, image_gflop / official_image_s, official_text_s,
        options.official_queries, step_s, options.settings_per_step, options.bbpt_steps);
    const auto [lowest, highest] =
        std::minmax_element(results.losses.begin(), results.losses.end());
    std::printf(
        "%8s check: loss of setting 0, official %.6f vs bbpt %.6f (|diff| %.2e) %s; "
        "the %ld settings' losses span %.6f .. %.6f\n",
        "", official.loss, results.losses[0], loss_difference, match ? "ok" : "MISMATCH",
        options.settings_per_step, *lowest, *highest);
    std::fflush(stdout);
    rows.back()["seconds_per_step"] = step_s;
    rows.back()["timed_steps"] = options.bbpt_steps;
    rows[rows.size() - 2]["image_tower_seconds"] = official_image_s;
    rows[rows.size() - 2]["text_seconds"] = official_text_s;
    rows[rows.size() - 2]["timed_queries"] = options.official_queries;
    checks.push_back({{"classes", num_classes},
                      {"official_loss", official.loss},
                      {"bbpt_loss", results.losses[0]},
                      {"abs_difference", loss_difference},
                      {"bbpt_losses_all_settings", results.losses},
                      {"match", match}});
  }

  nlohmann::json out = {
      {"benchmark", "query_throughput"},
      {"date", utc_now()},
      {"machine",
       {{"cpu", cpuinfo_field("model name")},
        {"logical_cpus", std::thread::hardware_concurrency()},
        {"libtorch_threads", torch::get_num_threads()},
        {"openblas_num_threads", openblas_threads ? openblas_threads : "unset"},
        {"load_average_at_start", load_at_start},
        {"load_average_at_end", load_average()}}},
      {"model",
       "ViT-B/16-sized CLIP, random weights N(0, 0.02^2), LayerNorm identity, logit scale 100"},
      {"batch_size", batch},
      {"official_image_chunk",
       options.image_chunk > 0 ? std::min(options.image_chunk, batch) : batch},
      {"settings_per_step", options.settings_per_step},
      {"zip_parameters", zip.num_parameters()},
      {"num_context", num_context},
      {"class_prompts", "\"X X X X X X X X class <c>.\", CLIP tokenizer"},
      {"matmul_n", n},
      {"matmul_gflops", peak_gflops},
      {"flops_counted",
       "matrix products over computed positions: QKV, attention scores and weighted "
       "sum (full square), attention out, MLP, patch conv, projections, logits"},
      {"rows", rows},
      {"checks", checks},
      {"total_seconds", seconds_since(run_start)}};
  std::ofstream(options.json_path) << out.dump(2) << "\n";
  std::printf("load average (1/5/15 min) at start %s, at end %s\nwrote %s (%.0f s in all)\n",
              load_at_start.c_str(), load_average().c_str(), options.json_path.c_str(),
              seconds_since(run_start));
  return all_match ? 0 : 1;
}
