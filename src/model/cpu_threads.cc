// SPDX-License-Identifier: MIT
#include "bbpt/model/cpu_threads.h"

#include <dlfcn.h>
#include <torch/torch.h>

namespace bbpt::model {

bool set_cpu_threads(int threads) {
  torch::set_num_threads(threads);
  using SetThreads = void (*)(int);
  if (auto* set_blas =
          reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set_blas(threads);
    return true;
  }
  return false;
}

int cpu_threads() { return torch::get_num_threads(); }

int cuda_device_count() { return static_cast<int>(torch::cuda::device_count()); }

}  // namespace bbpt::model
