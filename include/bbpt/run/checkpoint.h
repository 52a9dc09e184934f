// SPDX-License-Identifier: MIT
// A run's checkpoint: everything a trial depends on, so that a resumed trial continues bit for bit:
// the step and query counters, the optimizer state (its own serialized bytes, RNG position
// included: optimizers draw step k from a stream fixed by (seed, k)), the frozen random parameters
// of the prompt (initial context, projections, Fastfood signs/permutations/scales), the few-shot
// indices, and how much of metrics.jsonl belongs to the checkpointed steps.
//
// File: a Boost.Serialization binary archive starting with the magic "BBPTCKPT" and a version,
// written atomically (temporary file + rename), so a kill mid-write leaves the previous one.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bbpt::run {

constexpr uint32_t kCheckpointVersion = 1;

/// A tensor as raw bytes (no libtorch in the checkpoint format).
struct NamedTensor {
  std::string name;
  std::string dtype;  // "float32" | "float64" | "int64"
  std::vector<int64_t> shape;
  std::string bytes;  // little-endian, row-major
};

/// What a method saves; each method decides the names.
struct MethodState {
  std::string optimizer_state;       // optim::Optimizer::serialize_state()
  std::vector<NamedTensor> tensors;  // frozen and trained tensors
  std::map<std::string, double> scalars;
  std::map<std::string, std::vector<double>> vectors;
};

struct Checkpoint {
  std::string config_sha256;  // of the run's config.json: a checkpoint only resumes its own config
  int64_t steps = 0;
  int64_t queries = 0;
  int64_t metrics_bytes = 0;  // size of metrics.jsonl after the checkpointed steps
  double wall_time_s = 0;     // accumulated over all sessions of the run
  std::vector<int64_t> few_shot_train;
  std::vector<int64_t> few_shot_val;
  MethodState method;
};

/// The checkpoint file's bytes (also what the leader of a distributed trial sends its ranks).
std::string serialize_checkpoint(const Checkpoint& checkpoint);
/// Inverse of serialize_checkpoint; IoError naming `path` (the bytes' origin) when they are not a
/// bbpt checkpoint, have another version, or are truncated.
Checkpoint parse_checkpoint(const std::string& bytes, const std::string& path);

/// Writes atomically; throws IoError naming the file.
void write_checkpoint(const std::string& path, const Checkpoint& checkpoint);
/// std::nullopt when the file does not exist; IoError naming the file when it is not a bbpt
/// checkpoint, has another version, or is truncated.
std::optional<Checkpoint> read_checkpoint(const std::string& path);

}  // namespace bbpt::run
