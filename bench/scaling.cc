// SPDX-License-Identifier: MIT
// bench/scaling: one ZIP step spread over MPI ranks by dist::QueryGroup, 1 rank against 2 ranks in
// the same run, with a ViT-B/16-sized CLIP (random weights) at 10 and 100 classes. Prints a table
// and writes JSON (--json, default docs/bench/scaling.json; rank 0 writes it).
//
// Run it as   mpirun -np 2 build/bench/bench_scaling
// (Open MPI as root: mpirun --allow-run-as-root --oversubscribe -np 2 ...). Started without mpirun
// (world size 1) it runs only the 1-rank variant and says so; a world of more than 2 ranks is
// refused.
//
// One step is exactly what `bbpt run` does for ZIP (src/run/spsa_method.cc): rank 0 broadcasts
// Spsa::step_message() = [k, theta] (1 + 417 doubles); the 2q = 10 queries are spread in chunks of
// one query (query_chunk = 1, width 2, Balancing::kStatic: chunk c on rank c % size); each rank
// rebuilds its columns with columns_from_message, encodes them with ZipPrompt::contexts and scores
// them with ContextQueryEngine::score on the step's batch of B = 128 frozen image features
// (synthetic, [N, V, E] as a feature cache holds them); every rank gets the 10 (loss, accuracy)
// pairs through the ordered reduction, and rank 0 calls Spsa::tell, so theta moves as in a run.
// Variants, in the same process pair:
//   1 rank   a QueryGroup over a communicator holding world rank 0 only (the other rank waits in a
//            barrier, polling with sleeps of up to 1 ms); a 1-rank group takes QueryGroup's
//            non-distributed path: no communication at all, the 10 chunks in order.
//   2 ranks  a QueryGroup over the world: 5 chunks per rank.
// Each variant runs 1 untimed warm-up step, then S timed steps (--steps; by default chosen per
// class count to keep the run short), the two variants alternating step by step (each step starts
// after a world barrier; its time is rank 0's, from there to the end of its tell), so that load
// from other processes that comes and goes hits both alike. Both start from the same theta, seeds
// and batches, so the final theta (and every step's results) must be bitwise identical: the bench
// checks it.
//
// Threads: 1 libtorch thread and 1 OpenBLAS thread per rank (openblas_set_num_threads looked up at
// run time, as `bbpt --threads` does). On the 2-vCPU machine of docs/performance.md the 1-rank
// variant thus uses one vCPU and the 2-rank variant both, so the ideal speed-up is 2, and it is 2
// only because the 10 chunks split evenly (5 per rank; query_chunk 1 with K = 10 and 2 ranks).
// Whether 2 is reachable also depends on what the vCPUs are on the host (two cores, or two
// hyper-threads sharing one core's execution units); the JSON records what /proc/cpuinfo says.
//
// Bytes per step, P ranks, K = 10 queries, N = 417 parameters:
//   message broadcast:   8 (the size header) + 8 (1 + N) = 3,344 + 8 bytes from rank 0 to each
//                        other rank;
//   ordered reduction:   MPI_Igather of the K x 2 result slots (160 bytes per rank) to rank 0, then
//                        MPI_Ibcast of the 160-byte sums back;
//   wire total (flat tree): (P - 1) (8 + 3,344 + 2 x 160) = 3,672 bytes at P = 2.
// GroupStats counts the application payload the same way without the 8-byte header: at P = 2 rank 0
// sends 3,344 + 160 and receives 160, rank 1 the reverse: 3,664 bytes each per step.
//
// FLOPs per step (bench_flops.h, multiply-add = 2): K (C text_flops(L) + 2 B C E), L the truncated
// prompt length (EOT position + 1: 13 at C = 10, 14 at C = 100).
#include <torch/torch.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bbpt/assets/asset_locator.h"
#include "bbpt/comm/communicator.h"
#include "bbpt/comm/job.h"
#include "bbpt/comm/mpi_environment.h"
#include "bbpt/dist/query_group.h"
#include "bbpt/eval/query_engine.h"
#include "bbpt/eval/zero_shot.h"
#include "bbpt/model/clip_model.h"
#include "bbpt/model/cpu_threads.h"
#include "bbpt/optim/spsa.h"
#include "bbpt/prompt/zip_prompt.h"
#include "bbpt/tokenizer/clip_tokenizer.h"
#include "bench_common.h"
#include "bench_flops.h"

#ifndef BBPT_SHARED_ASSETS_DIR
#define BBPT_SHARED_ASSETS_DIR ""
#endif

namespace {

using namespace bbpt::bench;  // text_flops, vit_b16_config, Clock, machine facts

constexpr int kThreadsPerRank = 1;
constexpr int64_t kBatchSize = 128;    // B images per query (ZIP's batch size)
constexpr int64_t kTrainItems = 1280;  // synthetic feature cache: 10 batches per epoch
constexpr int64_t kViews = 2;          // augmented views per item in the cache
constexpr int64_t kQueryChunk = 1;     // query_chunk: one query per chunk
constexpr int64_t kResultWidth = 2;    // (loss, accuracy) per query
constexpr uint64_t kPromptSeed = 1, kOptimizerSeed = 5, kBatchSeed = 2, kViewSeed = 3;

struct BenchOptions {
  std::vector<int64_t> class_counts = {10, 100};
  int64_t steps = 0;  // timed steps per variant; 0: default_steps(C)
  std::string json_path = "docs/bench/scaling.json";
  std::string assets_dir;
  bool help = false;
};

// Timed steps per variant when --steps is not given: the whole run takes about 2-3 minutes on the
// 2-vCPU machine (a 1-rank step takes ~1.2 s at C = 10 and ~12 s at C = 100 there).
int64_t default_steps(int64_t num_classes) { return num_classes <= 10 ? 16 : 4; }

void print_usage() {
  std::printf(
      "usage: mpirun -np 2 bench_scaling [--json PATH] [--steps N] [--classes 10,100] "
      "[--assets DIR]\n"
      "  --json PATH   where rank 0 writes the JSON (default docs/bench/scaling.json)\n"
      "  --steps N     timed ZIP steps per variant and class count, after 1 warm-up step\n"
      "                (default 16 at <= 10 classes, 4 above)\n"
      "  --classes     class counts (default 10,100)\n"
      "  --assets DIR  folder holding bpe_simple_vocab_16e6.txt.gz (else ../shared/assets)\n");
}

BenchOptions parse_options(int argc, char** argv) {
  BenchOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--json") {
      o.json_path = value();
    } else if (flag == "--steps") {
      o.steps = std::max<int64_t>(1, std::stoll(value()));
    } else if (flag == "--assets") {
      o.assets_dir = value();
    } else if (flag == "--classes") {
      o.class_counts.clear();
      std::stringstream list(value());
      for (std::string item; std::getline(list, item, ',');)
        o.class_counts.push_back(std::stoll(item));
    } else if (flag == "--help" || flag == "-h") {
      o.help = true;
    } else {
      throw std::invalid_argument("unknown flag " + flag + " (--help lists the flags)");
    }
  }
  return o;
}

// Eigen [N, K] (columns = settings) -> torch [K, N] float64, as src/run/tensor_bytes.cc does.
torch::Tensor settings_to_tensor(const Eigen::MatrixXd& settings) {
  return torch::from_blob(const_cast<double*>(settings.data()), {settings.cols(), settings.rows()},
                          torch::kDouble)
      .clone();
}

// What one variant measured. Per-rank numbers cover the timed steps only (warm-up excluded).
struct RankNumbers {
  double compute_s = 0, comm_s = 0, bytes_sent = 0, bytes_received = 0, chunks = 0;
};

struct VariantResult {
  int ranks = 0;
  int64_t timed_steps = 0;
  double seconds = 0;                             // rank 0, sum over the timed steps
  std::vector<RankNumbers> per_rank;              // every world rank (zeros outside the variant)
  std::vector<double> final_theta;                // rank 0
  std::vector<std::vector<double>> step_results;  // rank 0, every step's interleaved results
};

// Everything a step needs, identical on every rank (same seeds, same weights).
struct StepSetup {
  bbpt::prompt::ZipPrompt& zip;
  bbpt::eval::ContextQueryEngine& engine;
};

// One variant: a QueryGroup over `comm` and a fresh optimizer from the same theta0 and seed on
// every rank (rank 0's is told, the others are replicas). Every rank of comm makes the same calls.
class Variant {
 public:
  Variant(bbpt::comm::Communicator& comm, StepSetup& setup)
      : setup_(setup), group_(comm), optimizer_(initial_theta(setup), spsa_options()) {}

  /// One ZIP step exactly as src/run/spsa_method.cc SpsaMethod::step does it.
  void step() {
    const auto batch = setup_.engine.batch(steps_);
    std::vector<double> message;
    if (group_.is_leader()) message = optimizer_.step_message();
    group_.broadcast(message);
    const int64_t queries = optimizer_.num_queries_per_step();  // 2q
    const bbpt::dist::StepWork work{queries, kQueryChunk, kResultWidth,
                                    bbpt::dist::Balancing::kStatic};
    auto values = group_.evaluate(work, [&](int64_t first, int64_t count) {
      const auto settings = optimizer_.columns_from_message(message, first, count);  // [N, count]
      return setup_.engine.score(batch, setup_.zip.contexts(settings_to_tensor(settings)))
          .interleaved();
    });
    const auto results = bbpt::eval::QueryResults::from_interleaved(values);
    if (group_.is_leader()) {
      optimizer_.tell(results.losses);
      step_results_.push_back(std::move(values));
    }
    ++steps_;
  }

  /// Starts the timed part: per-rank numbers count from here.
  void start_timing() { before_ = group_.stats(); }

  /// This rank's numbers since start_timing(), in per_rank[0]; theta and results on rank 0.
  VariantResult result(int64_t timed_steps, double seconds) const {
    VariantResult r;
    r.ranks = group_.size();
    r.timed_steps = timed_steps;
    r.seconds = seconds;
    const bbpt::dist::GroupStats& after = group_.stats();
    r.per_rank.push_back({after.compute_s - before_.compute_s, after.comm_s - before_.comm_s,
                          static_cast<double>(after.bytes_sent - before_.bytes_sent),
                          static_cast<double>(after.bytes_received - before_.bytes_received),
                          static_cast<double>(after.chunks_evaluated - before_.chunks_evaluated)});
    if (group_.is_leader()) {
      const auto theta = optimizer_.current();
      r.final_theta.assign(theta.data(), theta.data() + theta.size());
      r.step_results = step_results_;
    }
    return r;
  }

 private:
  static Eigen::VectorXd initial_theta(const StepSetup& setup) {
    const auto& theta0 = setup.zip.initial_parameters();
    return Eigen::Map<const Eigen::VectorXd>(theta0.data(),
                                             static_cast<Eigen::Index>(theta0.size()));
  }
  static bbpt::optim::SpsaOptions spsa_options() {
    bbpt::optim::SpsaOptions o;  // ZIP's defaults: q = 5, intrinsic clipping
    o.seed = kOptimizerSeed;
    return o;
  }

  StepSetup& setup_;
  bbpt::dist::QueryGroup group_;
  bbpt::optim::Spsa optimizer_;
  int64_t steps_ = 0;
  bbpt::dist::GroupStats before_;
  std::vector<std::vector<double>> step_results_;
};

// Every world rank's numbers of the variant (this rank's in mine.per_rank[0], or none) on every
// rank.
std::vector<RankNumbers> gather_rank_numbers(const bbpt::comm::Communicator& world,
                                             const VariantResult* mine) {
  const RankNumbers zero;
  const RankNumbers& n = mine ? mine->per_rank.at(0) : zero;
  const auto all =
      world.allgather({n.compute_s, n.comm_s, n.bytes_sent, n.bytes_received, n.chunks});
  std::vector<RankNumbers> out;
  for (size_t r = 0; r + 5 <= all.size(); r += 5) {
    out.push_back({all[r], all[r + 1], all[r + 2], all[r + 3], all[r + 4]});
  }
  return out;
}

bool bitwise_equal(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

int run(int argc, char** argv) {
  bbpt::comm::Communicator world = bbpt::comm::Communicator::world();
  const bool leader = world.rank() == 0;
  const BenchOptions options = parse_options(argc, argv);
  if (options.help) {
    if (leader) print_usage();
    return 0;
  }
  if (world.size() > 2) {
    if (leader) {
      std::fprintf(stderr,
                   "bench_scaling: world of %d ranks; this bench compares 1 rank with 2: run it "
                   "with mpirun -np 2\n",
                   world.size());
    }
    return 2;
  }
  torch::NoGradGuard no_grad;
  const bool blas_threads_set = bbpt::model::set_cpu_threads(kThreadsPerRank);
  const auto run_start = Clock::now();
  const std::string load_at_start = load_average();
  const bool two_ranks = world.size() == 2;
  // The 1-rank variant's communicator: world rank 0 alone (collective over the world).
  std::optional<bbpt::comm::Communicator> solo = world.split(leader ? 0 : -1, 0);
  const auto hosts = world.gather(world.host(), 0);  // rank 0 only
  std::string host_text;
  for (size_t r = 0; r < hosts.size(); ++r) {
    if (r == 0 || hosts[r] != hosts[0]) host_text += (r ? ", " : "") + hosts[r];
  }

  bbpt::assets::AssetOptions asset_options;
  asset_options.assets_dir = options.assets_dir;
  asset_options.checkout_assets_dir = BBPT_SHARED_ASSETS_DIR;
  asset_options.allow_download = false;
  const auto tokenizer = bbpt::tokenizer::ClipTokenizer::from_file(
      bbpt::assets::locate_asset(bbpt::assets::kClipVocabAsset, asset_options));

  // The same random model on every rank: same seed, same initialisation order
  // (bench/query_throughput).
  torch::manual_seed(0);
  const auto config = vit_b16_config();
  bbpt::model::ClipModel model(config);
  randomize_clip_weights(model);
  model->eval();
  model->truncate_text = true;  // what the engine uses in `bbpt run`

  bbpt::prompt::ZipPromptOptions zip_options;  // M = 8, intrinsic dim 500, rank 5: 417 parameters
  bbpt::prompt::ZipPrompt zip(zip_options, config.transformer_width, kPromptSeed);
  const int64_t num_context = zip.num_context();
  const int64_t num_params = zip.num_parameters();
  const int64_t queries = 2 * int64_t{bbpt::optim::SpsaOptions{}.num_perturbations};
  const int64_t message_bytes = 8 * (1 + num_params);
  const int64_t result_bytes = 8 * queries * kResultWidth;
  const int64_t wire_bytes_2 = 8 + message_bytes + 2 * result_bytes;  // P = 2, flat tree
  const int64_t chunks = (queries + kQueryChunk - 1) / kQueryChunk;

  if (leader) {
    std::printf(
        "CPU: %s, %u logical CPUs (/proc/cpuinfo: %s cores, %s siblings); world of %d rank(s) "
        "on %s\n"
        "threads per rank: %d libtorch, %d OpenBLAS (openblas_set_num_threads %s)\n"
        "ViT-B/16-sized CLIP text tower (12 x 512, 8 heads, E = 512), random weights; ZIP M = %ld, "
        "N = %ld parameters; K = %ld queries per step on B = %ld cached image features, "
        "query_chunk = %ld (%ld chunks, static)\n"
        "per step: message [k, theta] %ld B broadcast (+ 8 B size header), results %ld B "
        "gathered and %ld B broadcast; wire bytes at 2 ranks (flat tree): %ld\n",
        cpuinfo_field("model name").c_str(), std::thread::hardware_concurrency(),
        cpuinfo_field("cpu cores").c_str(), cpuinfo_field("siblings").c_str(), world.size(),
        host_text.c_str(), torch::get_num_threads(), kThreadsPerRank,
        blas_threads_set ? "found" : "NOT found", num_context, num_params, queries, kBatchSize,
        kQueryChunk, chunks, message_bytes, result_bytes, result_bytes, wire_bytes_2);
    if (!two_ranks) {
      std::printf("world size 1 (not started with mpirun -np 2): only the 1-rank variant runs\n");
    }
    std::printf(
        "compute, comm, other: rank 0's seconds per step (QueryGroup's chunk evaluator, its "
        "broadcasts and reductions, the rest); B/step/rank: GroupStats bytes sent + received per "
        "step, rank 0,1; wire B: bytes per step on the wire\n");
    std::printf("%7s %5s %8s %5s %8s %8s %9s %8s %8s %6s %8s %8s %8s %11s %7s\n", "classes",
                "ranks", "thr/rank", "steps", "s/step", "steps/s", "queries/s", "GFLOP/s",
                "speed-up", "effic", "compute", "comm", "other", "B/step/rank", "wire B");
    std::fflush(stdout);
  }

  nlohmann::json rows = nlohmann::json::array();
  nlohmann::json checks = nlohmann::json::array();
  bool all_identical = true;
  for (const int64_t num_classes : options.class_counts) {
    const int64_t timed_steps = options.steps > 0 ? options.steps : default_steps(num_classes);
    // Synthetic frozen feature cache [N, V, E] and labels: the same on every rank.
    torch::manual_seed(static_cast<uint64_t>(num_classes));
    auto features = torch::randn({kTrainItems, kViews, config.embed_dim});
    auto labels = torch::randint(0, num_classes, {kTrainItems}, torch::kLong);
    const auto tokens =
        placeholder_tokens(tokenizer, num_classes, num_context, config.context_length);
    auto prompts = model->prepare_context_prompts(tokens, num_context);
    const int64_t positions = prompts.prefix.size(1) + num_context + prompts.suffix.size(1);
    bbpt::eval::ContextQueryEngine engine(model, prompts, features, labels, kBatchSize, kBatchSeed,
                                          kViewSeed);
    StepSetup setup{zip, engine};
    const double flops_per_step =
        static_cast<double>(queries) *
        (static_cast<double>(num_classes) * text_flops(positions, config) +
         2.0 * static_cast<double>(kBatchSize * num_classes * config.embed_dim));

    // The variants alternate step by step (1 rank, 2 ranks, 1 rank, ...), so that load from other
    // processes that comes and goes hits both alike. In a 1-rank step the other rank waits in the
    // world barrier that precedes the next 2-rank step.
    std::optional<Variant> one, two;
    if (solo) one.emplace(*solo, setup);
    if (two_ranks) two.emplace(world, setup);
    double one_s = 0, two_s = 0;
    for (int64_t s = 0; s <= timed_steps; ++s) {  // s = 0: the warm-up step of each variant
      if (s == 1) {
        if (one) one->start_timing();
        if (two) two->start_timing();
      }
      world.barrier();
      if (one) {
        const auto start = Clock::now();
        one->step();
        if (s > 0) one_s += seconds_since(start);
      }
      world.barrier();
      if (two) {
        const auto start = Clock::now();
        two->step();
        if (s > 0) two_s += seconds_since(start);
      }
    }
    std::vector<VariantResult> variants;
    {
      std::optional<VariantResult> mine;
      if (one) mine = one->result(timed_steps, one_s);
      auto per_rank = gather_rank_numbers(world, mine ? &*mine : nullptr);
      VariantResult v;
      if (mine) v = std::move(*mine);
      v.ranks = 1;
      v.timed_steps = timed_steps;
      v.per_rank = std::move(per_rank);
      variants.push_back(std::move(v));
    }
    if (two) {
      VariantResult v = two->result(timed_steps, two_s);
      auto per_rank = gather_rank_numbers(world, &v);
      v.per_rank = std::move(per_rank);
      variants.push_back(std::move(v));
    }
    if (!leader) continue;

    const double base_steps_per_s =
        static_cast<double>(variants[0].timed_steps) / variants[0].seconds;
    for (const VariantResult& v : variants) {
      const double steps = static_cast<double>(v.timed_steps);
      const double step_s = v.seconds / steps;
      const double steps_per_s = 1.0 / step_s;
      const double speed_up = steps_per_s / base_steps_per_s;
      const double efficiency = speed_up / v.ranks;
      const RankNumbers& r0 = v.per_rank.at(0);
      const double compute = r0.compute_s / steps, comm = r0.comm_s / steps;
      const double other = step_s - compute - comm;
      std::vector<double> bytes_per_rank, chunks_per_rank, compute_per_rank, comm_per_rank;
      std::string bytes_text;
      for (int r = 0; r < v.ranks; ++r) {
        const RankNumbers& n = v.per_rank.at(static_cast<size_t>(r));
        bytes_per_rank.push_back((n.bytes_sent + n.bytes_received) / steps);
        chunks_per_rank.push_back(n.chunks / steps);
        compute_per_rank.push_back(n.compute_s / steps);
        comm_per_rank.push_back(n.comm_s / steps);
        bytes_text += (r ? "," : "") + std::to_string(std::llround(bytes_per_rank.back()));
      }
      const int64_t wire = v.ranks > 1 ? (v.ranks - 1) * (8 + message_bytes + 2 * result_bytes) : 0;
      std::printf(
          "%7ld %5d %8d %5ld %8.3f %8.3f %9.3f %8.1f %7.2fx %5.1f%% %8.3f %8.4f %8.4f %11s %7ld\n",
          num_classes, v.ranks, kThreadsPerRank, v.timed_steps, step_s, steps_per_s,
          static_cast<double>(queries) * steps_per_s, flops_per_step * steps_per_s / 1e9, speed_up,
          100.0 * efficiency, compute, comm, other, bytes_text.c_str(), wire);
      rows.push_back({{"classes", num_classes},
                      {"ranks", v.ranks},
                      {"threads_per_rank", kThreadsPerRank},
                      {"text_positions", positions},
                      {"timed_steps", v.timed_steps},
                      {"warmup_steps", 1},
                      {"seconds", v.seconds},
                      {"seconds_per_step", step_s},
                      {"steps_per_second", steps_per_s},
                      {"queries_per_second", static_cast<double>(queries) * steps_per_s},
                      {"gflop_per_step", flops_per_step / 1e9},
                      {"gflops", flops_per_step * steps_per_s / 1e9},
                      {"speed_up_vs_1_rank", speed_up},
                      {"parallel_efficiency", efficiency},
                      {"rank0_compute_seconds_per_step", compute},
                      {"rank0_comm_seconds_per_step", comm},
                      {"rank0_other_seconds_per_step", other},
                      {"compute_seconds_per_step_per_rank", compute_per_rank},
                      {"comm_seconds_per_step_per_rank", comm_per_rank},
                      {"chunks_per_step_per_rank", chunks_per_rank},
                      {"groupstats_bytes_sent_plus_received_per_step_per_rank", bytes_per_rank},
                      {"theoretical_wire_bytes_per_step", wire}});
    }
    bool identical = true;
    std::string what = "1 rank only: nothing to compare";
    if (variants.size() == 2) {
      const bool theta_same = bitwise_equal(variants[0].final_theta, variants[1].final_theta);
      bool results_same = variants[0].step_results.size() == variants[1].step_results.size();
      for (size_t s = 0; results_same && s < variants[0].step_results.size(); ++s) {
        results_same = bitwise_equal(variants[0].step_results[s], variants[1].step_results[s]);
      }
      identical = theta_same && results_same;
      double max_diff = 0;
      for (size_t i = 0; i < variants[0].final_theta.size() && i < variants[1].final_theta.size();
           ++i) {
        max_diff =
            std::max(max_diff, std::abs(variants[0].final_theta[i] - variants[1].final_theta[i]));
      }
      std::ostringstream text;
      text << "final theta after " << 1 + timed_steps << " steps "
           << (theta_same ? "bitwise equal" : "DIFFERS") << " (max |diff| " << max_diff
           << "), every step's 10 (loss, accuracy) pairs "
           << (results_same ? "bitwise equal" : "DIFFER");
      what = text.str();
      checks.push_back(
          {{"classes", num_classes},
           {"steps_compared", 1 + timed_steps},
           {"final_theta_identical", theta_same},
           {"step_results_identical", results_same},
           {"max_abs_theta_difference", max_diff},
           {"identical", identical},
           {"last_step_losses",
            bbpt::eval::QueryResults::from_interleaved(variants[0].step_results.back()).losses}});
    }
    all_identical = all_identical && identical;
    std::printf("%7s identical: %s (%s)\n", "",
                variants.size() == 2 ? (identical ? "yes" : "no") : "n/a", what.c_str());
    std::fflush(stdout);
  }

  if (leader) {
    nlohmann::json out = {
        {"benchmark", "scaling"},
        {"date", utc_now()},
        {"command", "mpirun -np " + std::to_string(world.size()) + " bench_scaling"},
        {"machine",
         {{"cpu", cpuinfo_field("model name")},
          {"cpuinfo_cpu_cores", cpuinfo_field("cpu cores")},
          {"cpuinfo_siblings", cpuinfo_field("siblings")},
          {"logical_cpus", std::thread::hardware_concurrency()},
          {"hosts", hosts},
          {"world_size", world.size()},
          {"libtorch_threads_per_rank", torch::get_num_threads()},
          {"openblas_threads_per_rank", kThreadsPerRank},
          {"openblas_set_num_threads_found", blas_threads_set},
          {"load_average_at_start", load_at_start},
          {"load_average_at_end", load_average()}}},
        {"model",
         "ViT-B/16-sized CLIP (text tower 12 x 512, 8 heads, E = 512), random weights N(0, "
         "0.02^2), "
         "LayerNorm identity, logit scale 100"},
        {"class_prompts", "\"X X X X X X X X class <c>.\", CLIP tokenizer, truncated at the EOT"},
        {"feature_cache",
         {{"items", kTrainItems}, {"views", kViews}, {"embed_dim", config.embed_dim}}},
        {"batch_size", kBatchSize},
        {"queries_per_step", queries},
        {"query_chunk", kQueryChunk},
        {"chunks_per_step", chunks},
        {"balancing", "static"},
        {"zip_parameters", num_params},
        {"num_context", num_context},
        {"message_bytes", message_bytes},
        {"result_bytes", result_bytes},
        {"wire_bytes_formula",
         "(P - 1) (8 + 8 (1 + N) + 2 * 8 * 2K): size header + [k, theta] broadcast, "
         "gather of the K x 2 result slots to rank 0, broadcast of their sums"},
        {"groupstats_bytes_note",
         "application payload counted as a flat tree, without the 8-byte size header"},
        {"flops_counted", "K (C text_flops(L) + 2 B C E), bench_flops.h"},
        {"rows", rows},
        {"checks", checks},
        {"identical", all_identical},
        {"total_seconds", seconds_since(run_start)}};
    std::ofstream(options.json_path) << out.dump(2) << "\n";
    std::printf("load average (1/5/15 min) at start %s, at end %s\nwrote %s (%.0f s in all)\n",
                load_at_start.c_str(), load_average().c_str(), options.json_path.c_str(),
                seconds_since(run_start));
  }
  world.barrier();
  return all_identical ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  bbpt::comm::MpiEnvironment mpi(argc, argv);
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    // One rank's failure ends every rank: no rank is left waiting for it.
    bbpt::comm::abort_job(std::string("bench_scaling: ") + e.what(), 1);
  }
}
