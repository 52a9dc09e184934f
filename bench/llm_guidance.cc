// SPDX-License-Identifier: MIT
// bench/llm_guidance (issue #15): GLOV's guided generation cost per generated token on a
// random-weight Llama of Llama-3.2-1B's shape (fp32, CPU), with a 300-token meta-prompt:
//   kv_cache  bbpt's path: one prefill of the prompt shared by the 10 samples, then 10 x 75 tokens
//             decoded together with a KV cache; at every token the newest position is computed
//             again above the guidance layer with the offset (the cache keeps it unshifted).
//   rerun     GLOV's official path (trainers/llama_model.py): at every token the whole sequence is
//             run again without a cache, the newest position shifted after the guidance layer;
//             samples one after another. Timed over its first tokens (it costs seconds to minutes
//             per token); its whole-call time is extrapolated with the FLOP model below.
// Both in the same run, next to a 2048^3 fp32 GEMM (the machine's practical peak). Prints a table
// and writes JSON (--json, default docs/bench/llm_guidance.json).
//
// FLOPs (multiply-add = 2), matrix products only. Dense weights per position:
//   W = L (2 D H Hd + 2 D Hkv Hd + 3 D F);   head: V D
//   kv_cache, per generated token at context S: 2 W + 2 W_above + 2 V D + (L + L_above) 4 S H Hd
//     (W_above, L_above: the layers above the guidance layer, run twice for the newest position);
//   rerun, per generated token with a sequence of T positions: 2 W T + 2 W_above + 2 V D
//     + L 4 T^2 H Hd (the full square of scores; the mask is causal).
// Not counted: norms, RoPE, softmax, SiLU, sampling.
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "bbpt/lm/generation.h"
#include "bbpt/lm/llama_model.h"
#include "bench_common.h"

namespace {

using namespace bbpt::bench;

struct BenchOptions {
  int64_t layers = 16;  // Llama-3.2-1B: 16 layers, D 2048, F 8192, 32 / 8 heads of 64, V 128256
  int64_t prompt_tokens = 300;
  int64_t samples = 10;
  int64_t new_tokens = 75;
  int64_t guidance_layer = 8;  // the middle, like GLOV's 17 of 32
  int64_t rerun_tokens = 2;    // official tokens timed
  double peak_seconds = 1.0;
  std::string json_path = "docs/bench/llm_guidance.json";
};

BenchOptions parse_options(int argc, char** argv) {
  BenchOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_llm_guidance: %s needs a value\n", flag.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (flag == "--layers")
      o.layers = std::stoll(value());
    else if (flag == "--prompt-tokens")
      o.prompt_tokens = std::stoll(value());
    else if (flag == "--samples")
      o.samples = std::stoll(value());
    else if (flag == "--new-tokens")
      o.new_tokens = std::stoll(value());
    else if (flag == "--guidance-layer")
      o.guidance_layer = std::stoll(value());
    else if (flag == "--rerun-tokens")
      o.rerun_tokens = std::stoll(value());
    else if (flag == "--peak-seconds")
      o.peak_seconds = std::stod(value());
    else if (flag == "--json")
      o.json_path = value();
    else {
      std::fprintf(stderr,
                   "usage: bench_llm_guidance [--layers N] [--prompt-tokens T] [--samples S] "
                   "[--new-tokens N]\n"
                   "                          [--guidance-layer L] [--rerun-tokens R] "
                   "[--peak-seconds S] [--json F]\n");
      std::exit(2);
    }
  }
  return o;
}

bbpt::lm::LlamaConfig llama32_1b_shape(int64_t layers) {
  bbpt::lm::LlamaConfig c;
  c.vocab_size = 128256;
  c.hidden_size = 2048;
  c.intermediate_size = 8192;
  c.num_layers = layers;
  c.num_heads = 32;
  c.num_kv_heads = 8;
  c.head_dim = 64;
  c.rope_theta = 500000.0;
  c.has_rope_scaling = true;
  c.rope_scaling = {32.0, 1.0, 4.0, 8192};
  c.tie_word_embeddings = true;
  c.max_position_embeddings = 131072;
  c.eos_ids = {128001, 128009};
  return c;
}

// N(0, 0.02^2) projections and unit norms: a model whose logits are not degenerate.
bbpt::lm::LlamaModel random_model(const bbpt::lm::LlamaConfig& c) {
  bbpt::lm::LlamaWeights w;
  const int64_t D = c.hidden_size, F = c.intermediate_size, qd = c.num_heads * c.head_dim,
                kvd = c.num_kv_heads * c.head_dim;
  auto normal = [](std::vector<int64_t> shape) { return torch::empty(shape).normal_(0.0, 0.02); };
  w.embed_tokens = normal({c.vocab_size, D});
  for (int64_t i = 0; i < c.num_layers; ++i) {
    bbpt::lm::LlamaLayerWeights l;
    l.input_norm = torch::ones({D});
    l.post_norm = torch::ones({D});
    l.q_proj = normal({qd, D});
    l.k_proj = normal({kvd, D});
    l.v_proj = normal({kvd, D});
    l.o_proj = normal({D, qd});
    l.gate_proj = normal({F, D});
    l.up_proj = normal({F, D});
    l.down_proj = normal({D, F});
    w.layers.push_back(std::move(l));
  }
  w.norm = torch::ones({D});
  w.lm_head = w.embed_tokens;
  return bbpt::lm::LlamaModel(c, std::move(w), {});
}

}  // namespace

int main(int argc, char** argv) {
  const BenchOptions o = parse_options(argc, argv);
  torch::NoGradGuard no_grad;
  torch::manual_seed(0);
  const std::string load_at_start = load_average();

  const int64_t n = 2048;
  auto a = torch::randn({n, n}), b = torch::randn({n, n});
  double gemm_s = 1e30;
  for (int repeat = 0; repeat < 5; ++repeat) {
    const auto start = Clock::now();
    int64_t calls = 0;
    do {
      (void)torch::mm(a, b);
      ++calls;
    } while (seconds_since(start) < o.peak_seconds / 5);
    gemm_s = std::min(gemm_s, seconds_since(start) / static_cast<double>(calls));
  }
  const double peak_gflops = 2.0 * n * n * n / gemm_s / 1e9;

  const auto c = llama32_1b_shape(o.layers);
  const auto build_start = Clock::now();
  const bbpt::lm::LlamaModel model = random_model(c);
  const double build_s = seconds_since(build_start);

  const double D = static_cast<double>(c.hidden_size), F = static_cast<double>(c.intermediate_size);
  const double HHd = static_cast<double>(c.num_heads * c.head_dim),
               KHd = static_cast<double>(c.num_kv_heads * c.head_dim);
  const double per_layer = 2 * D * HHd + 2 * D * KHd + 3 * D * F;
  const double L = static_cast<double>(c.num_layers),
               L_above = static_cast<double>(c.num_layers - o.guidance_layer - 1);
  const double W = L * per_layer, W_above = L_above * per_layer,
               head = static_cast<double>(c.vocab_size) * D;
  const double P = static_cast<double>(o.prompt_tokens), N = static_cast<double>(o.new_tokens);
  auto cached_flops = [&](double S) {
    return 2 * W + 2 * W_above + 2 * head + (L + L_above) * 4 * S * HHd;
  };
  auto rerun_flops = [&](double T) {
    return 2 * W * T + 2 * W_above + 2 * head + L * 4 * T * T * HHd;
  };

  // A prompt of random ids; no stop id can occur, so every sample runs to new_tokens.
  std::vector<int64_t> prompt(static_cast<size_t>(o.prompt_tokens));
  for (auto& id : prompt) id = torch::randint(0, c.vocab_size, {1}).item<int64_t>();
  bbpt::lm::GenerationOptions generation;
  generation.temperature = 1.0;
  generation.top_k = 50;
  generation.top_p = 0.9;
  generation.seed = 1;
  generation.stop_ids = {-1};
  const bbpt::lm::Guidance guidance{o.guidance_layer,
                                    torch::empty({c.hidden_size}).normal_(0.0, 0.5), 1.0};

  std::printf("CPU: %s, %u logical CPUs; libtorch threads %d; load %s\n",
              cpuinfo_field("model name").c_str(), std::thread::hardware_concurrency(),
              torch::get_num_threads(), load_at_start.c_str());
  std::printf("matmul %ldx%ldx%ld fp32: %.1f GFLOP/s (practical peak)\n", n, n, n, peak_gflops);
  std::printf(
      "Llama-3.2-1B shape (%ld layers, %.2fB parameters), random fp32 weights built in %.1f s; "
      "prompt %ld "
      "tokens, %ld samples x %ld new tokens, guidance after layer %ld\n",
      c.num_layers, static_cast<double>(c.num_parameters()) / 1e9, build_s, o.prompt_tokens,
      o.samples, o.new_tokens, o.guidance_layer);
  std::fflush(stdout);

  // kv_cache: the whole call (prefill included), every sample to new_tokens.
  generation.max_new_tokens = o.new_tokens;
  generation.num_samples = o.samples;
  const auto cached_start = Clock::now();
  const auto cached = bbpt::lm::generate(model, prompt, generation, guidance);
  const double cached_s = seconds_since(cached_start);
  const double cached_tokens = static_cast<double>(cached.generated_tokens);
  double cached_total_flops = 2 * (W + head) * (P - 1);  // the shared prefill (its head is not run)
  cached_total_flops += L * 4 * (P - 1) * (P - 1) * HHd / 2;
  for (int64_t t = 0; t < o.new_tokens; ++t)
    cached_total_flops += static_cast<double>(o.samples) * cached_flops(P + t);

  // rerun: the first rerun_tokens tokens of the first sample, the official way.
  generation.max_new_tokens = o.rerun_tokens;
  generation.num_samples = 1;
  const auto rerun_start = Clock::now();
  const auto rerun = bbpt::lm::generate_full_rerun(model, prompt, generation, guidance);
  const double rerun_s = seconds_since(rerun_start);
  double rerun_timed_flops = 0, rerun_call_flops = 0;
  for (int64_t t = 0; t < o.rerun_tokens; ++t)
    rerun_timed_flops += rerun_flops(P + static_cast<double>(t));
  for (int64_t t = 0; t < o.new_tokens; ++t)
    rerun_call_flops += static_cast<double>(o.samples) * rerun_flops(P + t);
  const double rerun_gflops_s = rerun_timed_flops / rerun_s / 1e9;
  const double rerun_call_s = rerun_call_flops / (rerun_gflops_s * 1e9);  // at the measured rate
  const bool same_first_tokens =
      std::equal(rerun.new_ids[0].begin(), rerun.new_ids[0].end(), cached.new_ids[0].begin());

  const double cached_per_token_s = cached_s / cached_tokens;
  const double rerun_per_token_s = rerun_s / static_cast<double>(o.rerun_tokens);
  const double cached_gflops_s = cached_total_flops / cached_s / 1e9;
  std::printf("%-9s %8s %12s %14s %10s %8s\n", "path", "tokens", "s / token", "GFLOP / token",
              "GFLOP/s", "of peak");
  std::printf("%-9s %8.0f %12.4f %14.1f %10.1f %7.1f%%\n", "kv_cache", cached_tokens,
              cached_per_token_s, cached_total_flops / cached_tokens / 1e9, cached_gflops_s,
              100 * cached_gflops_s / peak_gflops);
  std::printf("%-9s %8ld %12.4f %14.1f %10.1f %7.1f%%\n", "rerun", o.rerun_tokens,
              rerun_per_token_s, rerun_timed_flops / static_cast<double>(o.rerun_tokens) / 1e9,
              rerun_gflops_s, 100 * rerun_gflops_s / peak_gflops);
  std::printf(
      "speed-up per generated token: %.1fx at the rerun's first tokens (the cheapest: shortest "
      "sequence); "
      "whole call (%ld x %ld tokens): kv_cache %.1f s, rerun %.0f s extrapolated = %.1fx\n",
      rerun_per_token_s / cached_per_token_s, o.samples, o.new_tokens, cached_s, rerun_call_s,
      rerun_call_s / cached_s);
  std::printf("first %ld ids of sample 0 identical on both paths: %s\n", o.rerun_tokens,
              same_first_tokens ? "yes" : "NO");

  nlohmann::json out;
  out["benchmark"] = "llm_guidance";
  out["utc"] = utc_now();
  out["machine"] = {{"cpu", cpuinfo_field("model name")},
                    {"logical_cpus", std::thread::hardware_concurrency()},
                    {"torch_threads", torch::get_num_threads()},
                    {"load_average_at_start", load_at_start},
                    {"load_average_at_end", load_average()}};
  out["peak_gflops"] = peak_gflops;
  out["model"] = {{"shape", "Llama-3.2-1B"},
                  {"layers", c.num_layers},
                  {"parameters", c.num_parameters()},
                  {"dtype", "float32"},
                  {"guidance_layer", o.guidance_layer}};
  out["prompt_tokens"] = o.prompt_tokens;
  out["samples"] = o.samples;
  out["new_tokens"] = o.new_tokens;
  out["kv_cache"] = {{"seconds", cached_s},
                     {"tokens", cached_tokens},
                     {"seconds_per_token", cached_per_token_s},
                     {"gflop_per_token", cached_total_flops / cached_tokens / 1e9},
                     {"gflops", cached_gflops_s}};
  out["rerun"] = {
      {"timed_tokens", o.rerun_tokens},
      {"seconds", rerun_s},
      {"seconds_per_token", rerun_per_token_s},
      {"gflop_per_token", rerun_timed_flops / static_cast<double>(o.rerun_tokens) / 1e9},
      {"gflops", rerun_gflops_s},
      {"whole_call_seconds_extrapolated", rerun_call_s}};
  out["speedup_per_token_at_first_tokens"] = rerun_per_token_s / cached_per_token_s;
  out["speedup_whole_call_extrapolated"] = rerun_call_s / cached_s;
  out["same_first_tokens"] = same_first_tokens;
  std::ofstream(o.json_path) << out.dump(2) << "\n";
  std::printf("wrote %s\n", o.json_path.c_str());
  return same_first_tokens ? 0 : 1;
}
