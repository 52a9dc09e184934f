// SPDX-License-Identifier: MIT
#include "bbpt/comm/communicator.h"

#include <utility>

#include "bbpt/comm/mpi_environment.h"
#include "bbpt/core/error.h"
#include "mpi_check.h"
#include "mpi_collective.h"
#include "wait.h"

namespace bbpt::comm {

struct Communicator::Impl {
  MPI_Comm comm = MPI_COMM_NULL;  // owned: freed in the destructor
  int rank = 0;
  int size = 1;
  int local_rank = 0;
  int local_size = 1;
  std::string host;
  std::unique_ptr<Collective> collective;

  /// Takes ownership of `owned` (also when it throws). Collective over `owned`.
  explicit Impl(MPI_Comm owned) : comm(owned) {
    try {
      init();
    } catch (...) {
      release();
      throw;
    }
  }
  ~Impl() { release(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // Sets MPI_ERRORS_RETURN, reads the identity, finds the ranks sharing this node and creates
  // the default MPI collective.
  void init() {
    BBPT_MPI_CHECK(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN));
    BBPT_MPI_CHECK(MPI_Comm_rank(comm, &rank));
    BBPT_MPI_CHECK(MPI_Comm_size(comm, &size));
    char name[MPI_MAX_PROCESSOR_NAME] = "";
    int length = 0;
    BBPT_MPI_CHECK(MPI_Get_processor_name(name, &length));
    host.assign(name, static_cast<std::size_t>(length));
    MPI_Comm node = MPI_COMM_NULL;
    BBPT_MPI_CHECK(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node));
    const int rank_rc = MPI_Comm_rank(node, &local_rank);
    const int size_rc = MPI_Comm_size(node, &local_size);
    MPI_Comm_free(&node);
    BBPT_MPI_CHECK(rank_rc);
    BBPT_MPI_CHECK(size_rc);
    collective = std::make_unique<detail::MpiCollective>(comm);
  }

  void release() noexcept {
    collective.reset();
    if (comm != MPI_COMM_NULL && MpiEnvironment::active()) MPI_Comm_free(&comm);
    comm = MPI_COMM_NULL;
  }
};

namespace detail {
MPI_Comm CommunicatorAccess::handle(const Communicator& comm) { return comm.impl_->comm; }
}  // namespace detail

namespace {

// Gathers byte ranges of any length to root with MPI_Gatherv. On root: the concatenation and the
// rank offsets (size + 1 entries); elsewhere both empty.
std::pair<std::vector<char>, std::vector<int>> gather_bytes(
    const void* data, std::size_t bytes, int root, int rank, int size, MPI_Comm comm) {
  const int mine = detail::checked_int(bytes, "gather");
  // Only root's receive arguments are significant; an invalid root is reported by MPI_Gather.
  const bool is_root = rank == root;
  std::vector<int> counts(is_root ? static_cast<std::size_t>(size) : 0);
  MPI_Request request = MPI_REQUEST_NULL;
  BBPT_MPI_CHECK(MPI_Igather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, root, comm, &request));
  BBPT_MPI_WAIT(request, "MPI_Igather in gather sizes");
  std::vector<int> displs(is_root ? counts.size() + 1 : 0, 0);
  for (std::size_t r = 0; r < counts.size(); ++r) {
    displs[r + 1] =
        detail::checked_int(static_cast<std::size_t>(displs[r]) + counts[r], "gathered bytes");
  }
  std::vector<char> all(is_root ? static_cast<std::size_t>(displs.back()) : 0);
  BBPT_MPI_CHECK(MPI_Igatherv(data, mine, MPI_BYTE, all.data(), counts.data(), displs.data(),
                              MPI_BYTE, root, comm, &request));
  BBPT_MPI_WAIT(request, "MPI_Igatherv in gather");
  return {std::move(all), std::move(displs)};
}

}  // namespace

Communicator::Communicator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Communicator::Communicator(Communicator&& other) noexcept = default;
Communicator& Communicator::operator=(Communicator&& other) noexcept = default;
Communicator::~Communicator() = default;

Communicator Communicator::world() {
  BBPT_CHECK(MpiEnvironment::active(), CommError,
             detail::error_origin()
                 << ": MPI is not initialised: create a bbpt::comm::MpiEnvironment in main() "
                    "before any Communicator");
  MPI_Comm dup = MPI_COMM_NULL;
  BBPT_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &dup));
  return Communicator(std::make_unique<Impl>(dup));
}

int Communicator::rank() const { return impl_->rank; }
int Communicator::size() const { return impl_->size; }
const std::string& Communicator::host() const { return impl_->host; }
int Communicator::local_rank() const { return impl_->local_rank; }
int Communicator::local_size() const { return impl_->local_size; }
std::string Communicator::where() const { return detail::error_origin(); }

void Communicator::barrier() const {
  MPI_Request request = MPI_REQUEST_NULL;
  BBPT_MPI_CHECK(MPI_Ibarrier(impl_->comm, &request));
  BBPT_MPI_WAIT(request, "MPI_Ibarrier in barrier");
}

void Communicator::broadcast(void* data, std::size_t bytes, int root) const {
  MPI_Request request = MPI_REQUEST_NULL;
  BBPT_MPI_CHECK(MPI_Ibcast(data, detail::checked_int(bytes, "broadcast"), MPI_BYTE, root,
                            impl_->comm, &request));
  BBPT_MPI_WAIT(request, "MPI_Ibcast in broadcast");
}

namespace {
// Broadcasts root's element count, resizes the other ranks' containers, then the elements.
template <class Container>
void broadcast_sized(const Communicator& self, MPI_Comm comm, Container& values, int root) {
  std::uint64_t count = values.size();
  MPI_Request request = MPI_REQUEST_NULL;
  BBPT_MPI_CHECK(MPI_Ibcast(&count, 1, MPI_UINT64_T, root, comm, &request));
  BBPT_MPI_WAIT(request, "MPI_Ibcast in broadcast size");
  if (self.rank() != root) values.resize(static_cast<std::size_t>(count));
  if (count > 0) self.broadcast(values.data(), values.size() * sizeof(values[0]), root);
}
}  // namespace

void Communicator::broadcast(std::vector<std::uint8_t>& bytes, int root) const {
  broadcast_sized(*this, impl_->comm, bytes, root);
}
void Communicator::broadcast(std::string& text, int root) const {
  broadcast_sized(*this, impl_->comm, text, root);
}
void Communicator::broadcast(std::vector<double>& values, int root) const {
  broadcast_sized(*this, impl_->comm, values, root);
}
void Communicator::broadcast(std::vector<std::int64_t>& values, int root) const {
  broadcast_sized(*this, impl_->comm, values, root);
}

std::vector<std::vector<std::uint8_t>> Communicator::gather(const std::vector<std::uint8_t>& mine,
                                                            int root) const {
  auto [all, displs] = gather_bytes(mine.data(), mine.size(), root, rank(), size(), impl_->comm);
  std::vector<std::vector<std::uint8_t>> out;
  for (std::size_t r = 0; r + 1 < displs.size(); ++r) {
    out.emplace_back(all.begin() + displs[r], all.begin() + displs[r + 1]);
  }
  return out;
}

std::vector<std::string> Communicator::gather(const std::string& mine, int root) const {
  auto [all, displs] = gather_bytes(mine.data(), mine.size(), root, rank(), size(), impl_->comm);
  std::vector<std::string> out;
  for (std::size_t r = 0; r + 1 < displs.size(); ++r) {
    out.emplace_back(all.begin() + displs[r], all.begin() + displs[r + 1]);
  }
  return out;
}

std::vector<double> Communicator::allgather(const std::vector<double>& mine) const {
  const int count = detail::checked_int(mine.size(), "allgather");
  std::vector<int> counts(static_cast<std::size_t>(size()));
  MPI_Request request = MPI_REQUEST_NULL;
  BBPT_MPI_CHECK(
      MPI_Iallgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, impl_->comm, &request));
  BBPT_MPI_WAIT(request, "MPI_Iallgather in allgather sizes");
  std::vector<int> displs(counts.size() + 1, 0);
  for (std::size_t r = 0; r < counts.size(); ++r) {
    displs[r + 1] =
        detail::checked_int(static_cast<std::size_t>(displs[r]) + counts[r], "allgathered values");
  }
  std::vector<double> all(static_cast<std::size_t>(displs.back()));
  BBPT_MPI_CHECK(MPI_Iallgatherv(mine.data(), count, MPI_DOUBLE, all.data(), counts.data(),
                                 displs.data(), MPI_DOUBLE, impl_->comm, &request));
  BBPT_MPI_WAIT(request, "MPI_Iallgatherv in allgather");
  return all;
}

namespace {

void send_raw(
    const void* data, std::size_t count, MPI_Datatype type, int dest, int tag, MPI_Comm comm) {
  MPI_Request request = MPI_REQUEST_NULL;
  BBPT_MPI_CHECK(
      MPI_Isend(data, detail::checked_int(count, "send"), type, dest, tag, comm, &request));
  const std::string what =
      "MPI_Isend to rank " + std::to_string(dest) + " with tag " + std::to_string(tag);
  BBPT_MPI_WAIT(request, what.c_str());
}

/// Waits (with the job's timeout) for a message with `tag` from `source`, then receives it into a
/// container of the message's length.
template <class Container>
int receive_raw(Container& out, MPI_Datatype type, int source, int tag, MPI_Comm comm) {
  const std::string what = "MPI_Iprobe for a message with tag " + std::to_string(tag) + " from " +
                           (source == Communicator::kAnySource ? std::string("any rank")
                                                               : "rank " + std::to_string(source));
  MPI_Status status =
      detail::wait_probe(comm, source == Communicator::kAnySource ? MPI_ANY_SOURCE : source, tag,
                         what.c_str(), __FILE__, __LINE__);
  int count = 0;
  BBPT_MPI_CHECK(MPI_Get_count(&status, type, &count));
  out.resize(static_cast<std::size_t>(count));
  BBPT_MPI_CHECK(
      MPI_Recv(out.data(), count, type, status.MPI_SOURCE, tag, comm, MPI_STATUS_IGNORE));
  return status.MPI_SOURCE;
}

}  // namespace

void Communicator::send(const std::vector<double>& values, int dest, int tag) const {
  send_raw(values.data(), values.size(), MPI_DOUBLE, dest, tag, impl_->comm);
}

void Communicator::send(const std::string& bytes, int dest, int tag) const {
  send_raw(bytes.data(), bytes.size(), MPI_BYTE, dest, tag, impl_->comm);
}

std::optional<int> Communicator::poll(int tag) const {
  int found = 0;
  MPI_Status status;
  BBPT_MPI_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, tag, impl_->comm, &found, &status));
  if (!found) return std::nullopt;
  return status.MPI_SOURCE;
}

Communicator::Received Communicator::receive(int source, int tag) const {
  Received received;
  received.source = receive_raw(received.values, MPI_DOUBLE, source, tag, impl_->comm);
  return received;
}

Communicator::ReceivedBytes Communicator::receive_bytes(int source, int tag) const {
  ReceivedBytes received;
  received.source = receive_raw(received.bytes, MPI_BYTE, source, tag, impl_->comm);
  return received;
}

std::optional<Communicator> Communicator::split(int color, int key) const {
  MPI_Comm part = MPI_COMM_NULL;
  BBPT_MPI_CHECK(MPI_Comm_split(impl_->comm, color < 0 ? MPI_UNDEFINED : color, key, &part));
  if (part == MPI_COMM_NULL) return std::nullopt;
  return Communicator(std::make_unique<Impl>(part));
}

Collective& Communicator::collective() { return *impl_->collective; }

void Communicator::use_collective(CollectiveBackend backend) {
  auto next = make_collective(backend, *this);
  impl_->collective = std::move(next);
}

}  // namespace bbpt::comm
