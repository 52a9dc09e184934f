// SPDX-License-Identifier: MIT
// A group of MPI ranks: identity (rank, host, node-local rank), point-to-all data movement used to
// distribute work (broadcast, gather, allgather, barrier), sub-groups, and the Collective used for
// numeric reductions. MPI itself stays behind the pimpl: this header does not include mpi.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bbpt/comm/collective.h"

namespace bbpt::comm {

namespace detail {
struct CommunicatorAccess;
}

/// Owns a duplicate of an MPI communicator with MPI_ERRORS_RETURN set, so every failure becomes
/// a CommError "host:rank: MPI_Xxx failed at comm/file.cc:NN: <MPI error string>" (rank = rank in
/// MPI_COMM_WORLD). Methods other than the accessors are collective over the communicator's
/// ranks. Every wait (collective or point to point) polls a non-blocking request and fails with a
/// CommError after wait_timeout() seconds (job.h), so no rank waits forever. Create Communicators
/// only while an MpiEnvironment is alive and destroy them before it. Movable, not copyable. Use
/// from the thread that created the MpiEnvironment (FUNNELED).
class Communicator {
 public:
  /// All ranks of the job (MPI_COMM_WORLD). Collective over the world.
  static Communicator world();

  Communicator(Communicator&& other) noexcept;
  Communicator& operator=(Communicator&& other) noexcept;
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const;
  int size() const;
  /// MPI_Get_processor_name of this rank.
  const std::string& host() const;
  /// Rank and size among this communicator's ranks that share this node's memory
  /// (MPI_Comm_split_type MPI_COMM_TYPE_SHARED): selects the GPU of a rank.
  int local_rank() const;
  int local_size() const;
  /// "host:world_rank", the prefix of bbpt's distributed error messages.
  std::string where() const;

  void barrier() const;

  /// Copies `bytes` bytes from root's buffer to every rank's buffer (sizes must match).
  void broadcast(void* data, std::size_t bytes, int root) const;
  /// Root's vector or string, size included: other ranks' values are resized and replaced.
  void broadcast(std::vector<std::uint8_t>& bytes, int root) const;
  void broadcast(std::string& text, int root) const;
  void broadcast(std::vector<double>& values, int root) const;
  void broadcast(std::vector<std::int64_t>& values, int root) const;

  /// Every rank's buffer (any length, 0 included) on root, in rank order (MPI_Gatherv). Other
  /// ranks get an empty vector.
  std::vector<std::vector<std::uint8_t>> gather(const std::vector<std::uint8_t>& mine,
                                                int root) const;
  std::vector<std::string> gather(const std::string& mine, int root) const;

  /// Concatenation of every rank's values (any length) in rank order, on every rank.
  std::vector<double> allgather(const std::vector<double>& mine) const;

  /// Point to point, for work handed out on demand. Tags are the caller's (>= 0); messages with
  /// one tag from one sender arrive in the order sent. Every wait obeys wait_timeout() (job.h).
  static constexpr int kAnySource = -1;
  struct Received {
    int source = -1;
    std::vector<double> values;
  };
  /// Sends `values` to rank `dest`; returns when the buffer may be reused.
  void send(const std::vector<double>& values, int dest, int tag) const;
  /// Sends bytes (e.g. JSON text); receive them with receive_bytes.
  void send(const std::string& bytes, int dest, int tag) const;
  /// The sender of a message with `tag` that is waiting to be received, if any; never blocks.
  std::optional<int> poll(int tag) const;
  /// The next message with `tag` from `source` (kAnySource: from any rank), any length.
  Received receive(int source, int tag) const;
  struct ReceivedBytes {
    int source = -1;
    std::string bytes;
  };
  ReceivedBytes receive_bytes(int source, int tag) const;

  /// MPI_Comm_split: ranks with the same color >= 0 form a new communicator, ordered by key
  /// (ties by rank here). A negative color means "in no group": that rank gets std::nullopt.
  std::optional<Communicator> split(int color, int key) const;

  /// The collective for numeric reductions over these ranks: MpiCollective until
  /// use_collective() picks another.
  Collective& collective();
  /// Replaces the collective (collective call: see make_collective).
  void use_collective(CollectiveBackend backend);

 private:
  struct Impl;
  explicit Communicator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend struct detail::CommunicatorAccess;
};

}  // namespace bbpt::comm
