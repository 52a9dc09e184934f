// SPDX-License-Identifier: MIT
// The ranks that evaluate one trial's queries together (algorithms.md 2.6: one query = one
// forward of one mini-batch under one prompt setting). Rank 0, the leader, owns the optimizer: each
// step it broadcasts a short step message (the parameters and the step number, from which every
// rank regenerates the perturbations), the step's work items (queries or candidates) are spread
// over the ranks in chunks, and every rank gets every item's results.
//
// Results do not depend on the number of ranks, bit for bit: the chunks are fixed by the work
// (never by the rank count), a chunk is always evaluated whole by one rank with the same inputs,
// and the results are combined slot by slot: each item's values have exactly one contributing rank
// and every other rank contributes -0.0, the exact additive identity of IEEE-754 addition
// (x + -0.0 == x for every x, -0.0 included). With the NCCL collective the same holds: its ordered
// sum is computed on the host with the same loop.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bbpt/core/error.h"

namespace bbpt::comm {
class Communicator;
}

namespace bbpt::dist {

/// Thrown by QueryGroup::evaluate on every rank of the group, at the same point, when the chunk
/// evaluator failed on any rank (the reason is that rank's). The group stays in step: the trial
/// driver ends the trial on every rank together (run/trial_protocol.h).
class GroupEvaluationFailed : public Error {
 public:
  using Error::Error;
};

/// How a step's chunks are spread over the ranks.
enum class Balancing {
  /// Chunk c goes to rank c % size; results meet in the collective's ordered sum (MPI or NCCL).
  /// For work of even cost (ZIP's and SPSA-GC's text queries).
  kStatic,
  /// The leader hands chunks out one at a time to whichever rank asks (and evaluates chunks
  /// itself between requests); results come back with the next request. For uneven or heavy work
  /// (CMA-ES candidates, BAR's image-tower queries, LLM-proposed prompts).
  kDynamic,
};
/// "static" | "dynamic"; parse throws ConfigError naming the valid values.
std::string to_string(Balancing balancing);
Balancing parse_balancing(const std::string& name);

/// One step's work: `items` work items with `width` result values each, evaluated in chunks of
/// `chunk` consecutive items (the last chunk may be shorter).
struct StepWork {
  int64_t items = 0;
  int64_t chunk = 1;
  int64_t width = 1;
  Balancing balancing = Balancing::kStatic;
};

/// Evaluates items [first, first + count) and returns their count * width results, item after item.
using ChunkEvaluator = std::function<std::vector<double>(int64_t first, int64_t count)>;

/// What this rank did so far. Bytes are application payload counted as a flat tree would move them
/// (a broadcast of b bytes: the root sends b to each other rank); MPI's and NCCL's own algorithms
/// may move them differently.
struct GroupStats {
  int64_t steps = 0;
  int64_t chunks_evaluated = 0;
  int64_t bytes_sent = 0;
  int64_t bytes_received = 0;
  double compute_s = 0;  // inside the chunk evaluator
  double comm_s = 0;     // in broadcasts, reductions, requests and replies (waiting included)
};

class QueryGroup {
 public:
  /// One process: no communication, chunks evaluated in order.
  QueryGroup() = default;
  /// The ranks of `comm`, which must outlive the group. Every rank of comm makes the same calls.
  explicit QueryGroup(comm::Communicator& comm);

  int rank() const;
  int size() const;
  bool is_leader() const { return rank() == 0; }
  bool distributed() const { return size() > 1; }

  /// The leader's values to every rank (other ranks' values are replaced).
  void broadcast(std::vector<double>& values);
  void broadcast(std::vector<int64_t>& values);
  void broadcast(std::string& bytes);

  /// All items' results, [items * width] item-major, on every rank, identical for any size().
  /// When the evaluator throws on some rank, that rank evaluates no more chunks of the step, the
  /// step's communication still completes, and every rank throws GroupEvaluationFailed with the
  /// reason of the lowest failed rank (communication errors propagate as they are).
  std::vector<double> evaluate(const StepWork& work, const ChunkEvaluator& evaluate_chunk);

  const GroupStats& stats() const { return stats_; }

 private:
  std::vector<double> evaluate_static(const StepWork& work, const ChunkEvaluator& evaluate_chunk);
  std::vector<double> evaluate_dynamic(const StepWork& work, const ChunkEvaluator& evaluate_chunk);
  std::vector<double> lead_dynamic(const StepWork& work,
                                   const ChunkEvaluator& evaluate_chunk,
                                   std::string& failure);
  void follow_dynamic(const StepWork& work,
                      const ChunkEvaluator& evaluate_chunk,
                      std::string& failure);
  /// Runs the evaluator for chunk c and checks the length of its answer.
  std::vector<double> run_chunk(const StepWork& work,
                                int64_t c,
                                const ChunkEvaluator& evaluate_chunk);
  /// Runs chunk c unless this rank already failed in this step; on a failure (not a CommError)
  /// keeps the reason in `failure` and returns nullopt.
  std::optional<std::vector<double>> try_chunk(const StepWork& work,
                                               int64_t c,
                                               const ChunkEvaluator& evaluate_chunk,
                                               std::string& failure);
  /// After a step's communication: every rank knows the lowest failed rank (-1: none); throws
  /// GroupEvaluationFailed on every rank with that rank's reason.
  void raise_if_failed(int failed_rank, const std::string& failure);

  comm::Communicator* comm_ = nullptr;
  GroupStats stats_;
};

}  // namespace bbpt::dist
