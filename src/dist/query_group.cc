// SPDX-License-Identifier: MIT
#include "bbpt/dist/query_group.h"

#include <chrono>
#include <cmath>

#include "bbpt/comm/collective.h"
#include "bbpt/comm/communicator.h"
#include "bbpt/core/error.h"

namespace bbpt::dist {
namespace {

// Tags of the dynamic protocol: worker -> leader "request" (the results of the chunk it finished,
// if any, and a request for the next), leader -> worker "assign" (a chunk index, or -1: no more).
constexpr int kTagRequest = 101;
constexpr int kTagAssign = 102;

int64_t num_chunks(const StepWork& work) { return (work.items + work.chunk - 1) / work.chunk; }

class Stopwatch {
 public:
  explicit Stopwatch(double& total) : total_(total), start_(std::chrono::steady_clock::now()) {}
  ~Stopwatch() {
    total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  Stopwatch(const Stopwatch&) = delete;
  Stopwatch& operator=(const Stopwatch&) = delete;

 private:
  double& total_;
  std::chrono::steady_clock::time_point start_;
};

void check_work(const StepWork& work) {
  BBPT_CHECK(work.items >= 0 && work.chunk >= 1 && work.width >= 1, ConfigError,
             "step work of " << work.items << " items in chunks of " << work.chunk << " with "
                             << work.width
                             << " values each: need items >= 0, query_chunk >= 1, width >= 1");
}

}  // namespace

std::string to_string(Balancing balancing) {
  return balancing == Balancing::kStatic ? "static" : "dynamic";
}

Balancing parse_balancing(const std::string& name) {
  if (name == "static") return Balancing::kStatic;
  if (name == "dynamic") return Balancing::kDynamic;
  BBPT_THROW(ConfigError, "unknown balancing '" << name << "'; expected static or dynamic");
}

QueryGroup::QueryGroup(comm::Communicator& comm) : comm_(&comm) {}

int QueryGroup::rank() const { return comm_ ? comm_->rank() : 0; }
int QueryGroup::size() const { return comm_ ? comm_->size() : 1; }

template <class Container>
static void count_broadcast(GroupStats& stats, const Container& values, int rank, int size) {
  const auto bytes = static_cast<int64_t>(values.size() * sizeof(values[0]));
  if (rank == 0) {
    stats.bytes_sent += bytes * (size - 1);
  } else {
    stats.bytes_received += bytes;
  }
}

void QueryGroup::broadcast(std::vector<double>& values) {
  if (!distributed()) return;
  Stopwatch watch(stats_.comm_s);
  comm_->broadcast(values, 0);
  count_broadcast(stats_, values, rank(), size());
}

void QueryGroup::broadcast(std::vector<int64_t>& values) {
  if (!distributed()) return;
  Stopwatch watch(stats_.comm_s);
  comm_->broadcast(values, 0);
  count_broadcast(stats_, values, rank(), size());
}

void QueryGroup::broadcast(std::string& bytes) {
  if (!distributed()) return;
  Stopwatch watch(stats_.comm_s);
  comm_->broadcast(bytes, 0);
  count_broadcast(stats_, bytes, rank(), size());
}

std::vector<double> QueryGroup::run_chunk(const StepWork& work,
                                          int64_t c,
                                          const ChunkEvaluator& evaluate_chunk) {
  const int64_t first = c * work.chunk;
  const int64_t count = std::min(work.chunk, work.items - first);
  std::vector<double> values;
  {
    Stopwatch watch(stats_.compute_s);
    values = evaluate_chunk(first, count);
  }
  BBPT_CHECK(static_cast<int64_t>(values.size()) == count * work.width, ConfigError,
             "chunk evaluator returned " << values.size() << " values for items [" << first << ", "
                                         << first + count << "), expected " << count * work.width);
  ++stats_.chunks_evaluated;
  return values;
}

std::optional<std::vector<double>> QueryGroup::try_chunk(const StepWork& work,
                                                         int64_t c,
                                                         const ChunkEvaluator& evaluate_chunk,
                                                         std::string& failure) {
  if (!failure.empty()) return std::nullopt;
  try {
    return run_chunk(work, c, evaluate_chunk);
  } catch (const CommError&) {
    throw;
  } catch (const std::exception& e) {
    failure = std::string(e.what()).empty() ? "an exception without a message" : e.what();
    return std::nullopt;
  }
}

void QueryGroup::raise_if_failed(int failed_rank, const std::string& failure) {
  if (failed_rank < 0) return;
  std::string reason = rank() == failed_rank ? failure : std::string();
  if (distributed()) comm_->broadcast(reason, failed_rank);
  throw GroupEvaluationFailed(
      (distributed() ? "rank " + std::to_string(failed_rank) + " failed: " : std::string()) +
      reason);
}

std::vector<double> QueryGroup::evaluate(const StepWork& work,
                                         const ChunkEvaluator& evaluate_chunk) {
  check_work(work);
  ++stats_.steps;
  if (!distributed()) {
    std::vector<double> results;
    results.reserve(static_cast<size_t>(work.items * work.width));
    for (int64_t c = 0; c < num_chunks(work); ++c) {
      const auto values = run_chunk(work, c, evaluate_chunk);
      results.insert(results.end(), values.begin(), values.end());
    }
    return results;
  }
  return work.balancing == Balancing::kStatic ? evaluate_static(work, evaluate_chunk)
                                              : evaluate_dynamic(work, evaluate_chunk);
}

std::vector<double> QueryGroup::evaluate_static(const StepWork& work,
                                                const ChunkEvaluator& evaluate_chunk) {
  // -0.0 everywhere but my slots: the exact additive identity, so the ordered sum reproduces each
  // item's value bit for bit whoever computed it.
  // One more slot per rank after the items: 1 where that rank's evaluator failed.
  const auto result_slots = static_cast<size_t>(work.items * work.width);
  std::vector<double> slots(result_slots + static_cast<size_t>(size()), -0.0);
  std::string failure;
  for (int64_t c = rank(); c < num_chunks(work); c += size()) {
    const auto values = try_chunk(work, c, evaluate_chunk, failure);
    if (!values) break;
    std::copy(values->begin(), values->end(), slots.begin() + c * work.chunk * work.width);
  }
  if (!failure.empty()) slots[result_slots + static_cast<size_t>(rank())] = 1.0;
  {
    Stopwatch watch(stats_.comm_s);
    comm_->collective().ordered_allreduce_sum(slots.data(), slots.size());
  }
  int failed_rank = -1;
  for (int r = size() - 1; r >= 0; --r) {
    if (slots[result_slots + static_cast<size_t>(r)] != 0.0) failed_rank = r;
  }
  raise_if_failed(failed_rank, failure);
  slots.resize(result_slots);
  // Flat-tree accounting of gather-to-0 then broadcast.
  const auto bytes = static_cast<int64_t>(slots.size() * sizeof(double));
  if (is_leader()) {
    stats_.bytes_received += bytes * (size() - 1);
    stats_.bytes_sent += bytes * (size() - 1);
  } else {
    stats_.bytes_sent += bytes;
    stats_.bytes_received += bytes;
  }
  return slots;
}

std::vector<double> QueryGroup::evaluate_dynamic(const StepWork& work,
                                                 const ChunkEvaluator& evaluate_chunk) {
  std::vector<double> results;
  std::string failure;
  if (is_leader()) {
    results = lead_dynamic(work, evaluate_chunk, failure);
  } else {
    follow_dynamic(work, evaluate_chunk, failure);
  }
  // The leader appends the lowest failed rank (-1: none) to the results it broadcasts.
  broadcast(results);
  const int failed_rank = static_cast<int>(results.back());
  results.pop_back();
  raise_if_failed(failed_rank, failure);
  return results;
}

std::vector<double> QueryGroup::lead_dynamic(const StepWork& work,
                                             const ChunkEvaluator& evaluate_chunk,
                                             std::string& failure) {
  const int64_t chunks = num_chunks(work);
  const auto step = static_cast<double>(stats_.steps);
  std::vector<double> results(static_cast<size_t>(work.items * work.width));
  int64_t next = 0;              // next chunk to hand out
  int64_t outstanding = chunks;  // chunks whose results are not here yet
  int stopped = 0;               // workers told "no more"
  const int workers = size() - 1;
  int failed_rank = -1;  // the lowest rank whose evaluator failed (-1: none)
  const auto fail = [&](int r) {
    failed_rank = failed_rank < 0 ? r : std::min(failed_rank, r);
    outstanding -= chunks - next;  // hand out nothing more: only chunks at workers are awaited
    next = chunks;
  };
  const auto store = [&](int64_t c, const double* values) {
    const int64_t first = c * work.chunk;
    const int64_t count = std::min(work.chunk, work.items - first);
    std::copy(values, values + count * work.width, results.begin() + first * work.width);
    --outstanding;
  };
  // A request: [step, finished chunk or -1 (none) or -2 (my evaluator failed on the chunk I had),
  // its results...]. Reply: [step, chunk or -1].
  const auto answer = [&](const comm::Communicator::Received& request) {
    BBPT_CHECK(request.values.size() >= 2 && request.values[0] == step, CommError,
               comm_->where() << ": rank " << request.source << " sent a request for step "
                              << request.values.at(0) << " during step " << step
                              << "; the ranks disagree about the step sequence");
    stats_.bytes_received += static_cast<int64_t>(request.values.size() * sizeof(double));
    const auto done = static_cast<int64_t>(request.values[1]);
    if (done >= 0) store(done, request.values.data() + 2);
    if (done == -2) {
      --outstanding;  // the chunk the worker had
      fail(request.source);
    }
    std::vector<double> reply = {step, -1.0};
    if (next < chunks) {
      reply[1] = static_cast<double>(next++);
    } else {
      ++stopped;
    }
    comm_->send(reply, request.source, kTagAssign);
    stats_.bytes_sent += static_cast<int64_t>(reply.size() * sizeof(double));
  };
  while (outstanding > 0 || stopped < workers) {
    {
      Stopwatch watch(stats_.comm_s);
      while (const auto source = comm_->poll(kTagRequest))
        answer(comm_->receive(*source, kTagRequest));
    }
    if (next < chunks) {
      const int64_t c = next++;
      const auto values = try_chunk(work, c, evaluate_chunk, failure);
      if (values) {
        store(c, values->data());
      } else {
        --outstanding;
        fail(0);
      }
    } else if (outstanding > 0 || stopped < workers) {
      Stopwatch watch(stats_.comm_s);
      answer(comm_->receive(comm::Communicator::kAnySource, kTagRequest));
    }
  }
  results.push_back(static_cast<double>(failed_rank));
  return results;
}

void QueryGroup::follow_dynamic(const StepWork& work,
                                const ChunkEvaluator& evaluate_chunk,
                                std::string& failure) {
  const auto step = static_cast<double>(stats_.steps);
  std::vector<double> request = {step, -1.0};
  for (;;) {
    std::vector<double> reply;
    {
      Stopwatch watch(stats_.comm_s);
      comm_->send(request, 0, kTagRequest);
      stats_.bytes_sent += static_cast<int64_t>(request.size() * sizeof(double));
      reply = comm_->receive(0, kTagAssign).values;
      stats_.bytes_received += static_cast<int64_t>(reply.size() * sizeof(double));
    }
    BBPT_CHECK(reply.size() == 2 && reply[0] == step, CommError,
               comm_->where() << ": the leader answered for step " << reply.at(0) << " during step "
                              << step << "; the ranks disagree about the step sequence");
    const auto c = static_cast<int64_t>(reply[1]);
    if (c < 0) return;
    const auto values = try_chunk(work, c, evaluate_chunk, failure);
    if (!values) {
      request = {step, -2.0};
      continue;
    }
    request = {step, static_cast<double>(c)};
    request.insert(request.end(), values->begin(), values->end());
  }
}

}  // namespace bbpt::dist
