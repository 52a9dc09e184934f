// SPDX-License-Identifier: MIT
// Backend names and the factory. The only place that knows whether NCCL was compiled in
// (BBPT_WITH_NCCL is a compile definition of bbpt_comm, set by the CMake option of that name).
#include "bbpt/comm/collective.h"

#include "bbpt/comm/communicator.h"
#include "bbpt/core/error.h"
#include "mpi_check.h"
#include "mpi_collective.h"
#if BBPT_WITH_NCCL
#include "nccl_collective.h"
#endif

namespace bbpt::comm {

std::string to_string(CollectiveBackend backend) {
  switch (backend) {
    case CollectiveBackend::kMpi:
      return "mpi";
    case CollectiveBackend::kNccl:
      return "nccl";
  }
  return "?";
}

CollectiveBackend parse_collective_backend(const std::string& text) {
  if (text == "mpi") return CollectiveBackend::kMpi;
  if (text == "nccl") return CollectiveBackend::kNccl;
  BBPT_THROW(ConfigError, "comm.collective: expected 'mpi' or 'nccl', got '" << text << "'");
}

std::unique_ptr<Collective> make_collective(CollectiveBackend backend, const Communicator& comm) {
  const MPI_Comm handle = detail::CommunicatorAccess::handle(comm);
  switch (backend) {
    case CollectiveBackend::kMpi:
      return std::make_unique<detail::MpiCollective>(handle);
    case CollectiveBackend::kNccl:
#if BBPT_WITH_NCCL
      return std::make_unique<detail::NcclCollective>(handle, comm.local_rank());
#else
      BBPT_THROW(ConfigError,
                 "comm.collective=nccl: this bbpt was built without NCCL; reconfigure with "
                 "-DBBPT_WITH_NCCL=ON (NCCL and the CUDA runtime, NCCL_HOME=/usr/local/cuda by "
                 "default) or use comm.collective=mpi");
#endif
  }
  BBPT_THROW(ConfigError, "comm.collective: unknown backend " << static_cast<int>(backend));
}

bool nccl_compiled() { return BBPT_WITH_NCCL != 0; }

int visible_cuda_devices() {
#if BBPT_WITH_NCCL
  return detail::NcclCollective::visible_devices();
#else
  return 0;
#endif
}

}  // namespace bbpt::comm
