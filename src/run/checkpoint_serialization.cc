// SPDX-License-Identifier: MIT
// Boost.Serialization of run checkpoints (the only file of the run module that sees Boost).
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include <fstream>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/run/checkpoint.h"

namespace boost::serialization {

template <class Archive>
void serialize(Archive& ar, bbpt::run::NamedTensor& t, const unsigned int /*version*/) {
  ar & t.name & t.dtype & t.shape & t.bytes;
}

template <class Archive>
void serialize(Archive& ar, bbpt::run::MethodState& s, const unsigned int /*version*/) {
  ar & s.optimizer_state & s.tensors & s.scalars & s.vectors;
}

template <class Archive>
void serialize(Archive& ar, bbpt::run::Checkpoint& c, const unsigned int /*version*/) {
  ar & c.config_sha256 & c.steps & c.queries & c.metrics_bytes & c.wall_time_s & c.few_shot_train &
      c.few_shot_val & c.method;
}

}  // namespace boost::serialization

namespace bbpt::run {
namespace {
constexpr char kMagic[] = "BBPTCKPT";
}

void write_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  std::ostringstream buffer;
  {
    boost::archive::binary_oarchive ar(buffer);
    std::string magic = kMagic;
    uint32_t version = kCheckpointVersion;
    ar << magic << version << checkpoint;
  }
  core::write_file_atomic(path, buffer.str());
}

std::optional<Checkpoint> read_checkpoint(const std::string& path) {
  if (!core::is_regular_file(path)) return std::nullopt;
  std::istringstream buffer(core::read_file(path));
  Checkpoint checkpoint;
  std::string magic;
  uint32_t version = 0;
  try {
    boost::archive::binary_iarchive ar(buffer);
    ar >> magic;
    BBPT_CHECK(magic == kMagic, IoError,
               path << ": not a bbpt checkpoint (magic '" << magic << "'); delete it to start over");
    ar >> version;
    BBPT_CHECK(version == kCheckpointVersion, IoError,
               path << ": checkpoint version " << version << ", this bbpt reads version "
                    << kCheckpointVersion << "; delete it to start over");
    ar >> checkpoint;
  } catch (const boost::archive::archive_exception& e) {
    BBPT_THROW(IoError, path << ": corrupt or truncated checkpoint (" << e.what()
                             << "); delete it to start the run over");
  }
  return checkpoint;
}

}  // namespace bbpt::run
