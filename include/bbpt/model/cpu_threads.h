// SPDX-License-Identifier: MIT
// The CPU thread count of libtorch's matrix products, in one call.
#pragma once

namespace bbpt::model {

/// Sets libtorch's intra-op threads and OpenBLAS's own pool together. libtorch's CPU matrix
/// products run in OpenBLAS, whose pool defaults to every core and ignores torch::set_num_threads;
/// its thread count changes how a product is partitioned and so the last bits of the result. Set
/// together, the one count decides a run's bits. Returns whether OpenBLAS's
/// openblas_set_num_threads was found (looked up at run time: a libtorch linked to another BLAS
/// has no such symbol, and then only libtorch's count is set).
bool set_cpu_threads(int threads);

/// libtorch's current intra-op thread count.
int cpu_threads();

/// The CUDA devices libtorch sees (0 without CUDA).
int cuda_device_count();

}  // namespace bbpt::model
