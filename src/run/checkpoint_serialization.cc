// SPDX-License-Identifier: MIT
// Boost.Serialization of run checkpoints (the only file of the run module that sees Boost).
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <cstring>
#include <fstream>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/run/checkpoint.h"

namespace boost::serialization {

template <class Archive>
void serialize(Archive& ar, bbpt::run::NamedTensor& t, const unsigned int /*version*/) {
  ar& t.name& t.dtype& t.shape& t.bytes;
}

template <class Archive>
void serialize(Archive& ar, bbpt::run::MethodState& s, const unsigned int /*version*/) {
  ar& s.optimizer_state& s.tensors& s.scalars& s.vectors;
}

template <class Archive>
void serialize(Archive& ar, bbpt::run::Checkpoint& c, const unsigned int /*version*/) {
  ar& c.config_sha256& c.steps& c.queries& c.metrics_bytes& c.wall_time_s& c.few_shot_train& c
      .few_shot_val& c.method;
}

}  // namespace boost::serialization

namespace bbpt::run {
namespace {
constexpr char kMagic[] = "BBPTCKPT";
}

std::string serialize_checkpoint(const Checkpoint& checkpoint) {
  // Layout: magic (8 bytes) | version (uint32, little-endian) | Boost binary archive.
  std::ostringstream buffer;
  buffer.write(kMagic, 8);
  const uint32_t version = kCheckpointVersion;
  buffer.write(reinterpret_cast<const char*>(&version), sizeof(version));
  {
    boost::archive::binary_oarchive ar(buffer);
    ar << checkpoint;
  }
  return buffer.str();
}

void write_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  core::write_file_atomic(path, serialize_checkpoint(checkpoint));
}

std::optional<Checkpoint> read_checkpoint(const std::string& path) {
  if (!core::is_regular_file(path)) return std::nullopt;
  return parse_checkpoint(core::read_file(path), path);
}

Checkpoint parse_checkpoint(const std::string& bytes, const std::string& path) {
  BBPT_CHECK(
      bytes.size() >= 12 && bytes.compare(0, 8, kMagic) == 0, IoError,
      path << ": not a bbpt checkpoint (no BBPTCKPT magic); delete it to start the run over");
  uint32_t version = 0;
  std::memcpy(&version, bytes.data() + 8, sizeof(version));
  BBPT_CHECK(version == kCheckpointVersion, IoError,
             path << ": checkpoint version " << version << ", this bbpt reads version "
                  << kCheckpointVersion << "; delete it to start the run over");
  std::istringstream buffer(bytes.substr(12));
  Checkpoint checkpoint;
  try {
    boost::archive::binary_iarchive ar(buffer);
    ar >> checkpoint;
  } catch (
      const std::exception& e) {  // archive_exception, or length_error/bad_alloc on garbage sizes
    BBPT_THROW(IoError, path << ": corrupt or truncated checkpoint (" << e.what()
                             << "); delete it to start the run over");
  }
  return checkpoint;
}

}  // namespace bbpt::run
