// SPDX-License-Identifier: MIT
// The ask/tell interface every black-box optimizer implements (ZIP's SPSA, SPSA-GC, BAR's random
// gradient, CMA-ES). Pure Eigen math: no torch, no MPI, no I/O beyond the state bytes.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bbpt::optim {

using Vector = Eigen::VectorXd;
using Matrix = Eigen::MatrixXd;

/// Ask/tell black-box minimiser. Each step: ask() gives the K parameter settings to evaluate
/// (columns of an [N, K] matrix), the caller evaluates them (K "queries" or candidates) and passes
/// the K losses, in column order, to tell(). All randomness of step k comes from
/// core::Rng(seed, stream = k) (a pure function of the seed and the step), so a distributed caller
/// can regenerate a step's perturbations from (seed, step), and a restored state continues bit for
/// bit. Steps are numbered from 1: the step that ask() describes is k = step() + 1.
///
/// K is fixed for the optimizer's lifetime (it depends only on its options), so tell() may also be
/// called without a preceding ask() in the same process (e.g. right after restore_state, when the
/// settings were evaluated elsewhere).
///
/// Not thread-safe: one optimizer is driven by one thread (rank 0 in a distributed run).
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string name() const = 0;
  /// N: the number of optimised scalars.
  virtual int64_t dimension() const = 0;
  /// Steps completed (tell calls so far).
  virtual int64_t step() const = 0;
  /// K: the number of columns of ask() (settings evaluated per step).
  virtual int64_t num_queries_per_step() const = 0;
  /// [N, K]: the settings to evaluate now. Calling ask() twice without tell() returns the same
  /// matrix.
  virtual Matrix ask() = 0;
  /// losses.size() must equal the K of the last ask(); throws ConfigError otherwise, and
  /// NumericalError when a loss is not finite (the state is then unchanged).
  virtual void tell(const std::vector<double>& losses) = 0;
  /// Distributed evaluation (rank 0 owns the optimizer; every other rank holds a replica built
  /// with the same options and seed, which is never told): step_message() is what rank 0
  /// broadcasts for the step that ask() describes, and columns_from_message() regenerates columns
  /// [first, first + count) of that ask() matrix from it on any replica, bit for bit. The default
  /// message is the whole [N, K] matrix (column-major, preceded by N and K); SPSA and BAR send
  /// only the step number and theta, and the replicas redraw the perturbations from (seed, step).
  virtual std::vector<double> step_message();
  virtual Matrix columns_from_message(const std::vector<double>& message,
                                      int64_t first,
                                      int64_t count) const;
  /// The current solution (what gets evaluated on the test split): theta for SPSA/BAR, the mean
  /// for CMA-ES.
  virtual Vector current() const = 0;
  /// Complete state (options included) as bytes: a Boost.Serialization binary archive that starts
  /// with a magic string, a format version and the dimension. Defined in optim_serialization.cc.
  virtual std::string serialize_state() const = 0;
  /// Inverse of serialize_state, options included. Throws IoError on a wrong magic, version or
  /// dimension, or on truncated/garbage bytes, with a message that says what it found; the state
  /// is unchanged then.
  virtual void restore_state(const std::string& bytes) = 0;
};

/// The step message of the optimizers whose replicas redraw a step's randomness from (seed, k):
/// [k, x_0, ..., x_{N-1}] (SPSA's theta, BAR's w).
std::vector<double> step_and_point_message(int64_t k, const Vector& point);
/// Its inverse: k and a view of x into `message`, checked against the replica's dimension `n`.
/// Throws ConfigError naming `who` when the length is not 1 + n.
std::pair<int64_t, Eigen::Map<const Vector>> read_step_and_point(const std::vector<double>& message,
                                                                 int64_t n,
                                                                 const std::string& who);

/// Throws ConfigError unless 0 <= first and first + count <= columns.
void check_column_range(int64_t first, int64_t count, int64_t columns, const std::string& who);

/// Throws ConfigError unless losses.size() == expected, NumericalError unless every loss is
/// finite. `who` names the optimizer in the message.
void check_losses(const std::vector<double>& losses, int64_t expected, const std::string& who);

}  // namespace bbpt::optim
