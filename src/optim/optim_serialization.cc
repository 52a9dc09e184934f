// SPDX-License-Identifier: MIT
// serialize_state / restore_state of every optimizer: a Boost.Serialization binary archive holding
// a fixed-width magic string, a format version, the dimension, the options and the state. Eigen
// arrays are written as their shape followed by the raw doubles. Binary archives are not portable
// across architectures or Boost versions: they are for checkpoints and rank-to-rank transfer on
// one cluster, not for long-term storage.
#include <array>
#include <boost/archive/archive_exception.hpp>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <streambuf>
#include <string>
#include <utility>

#include "bbpt/core/error.h"
#include "bbpt/optim/cma_es.h"
#include "bbpt/optim/random_gradient.h"
#include "bbpt/optim/spsa.h"

namespace bbpt::optim {
namespace {

// Bump when the layout of any payload changes; readers reject other versions.
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kMagicBytes = 32;
constexpr const char* kSpsaMagic = "bbpt-optim-spsa";
constexpr const char* kCmaEsMagic = "bbpt-optim-cma-es";
constexpr const char* kRandomGradientMagic = "bbpt-optim-random-gradient";

using OArchive = boost::archive::binary_oarchive;
using IArchive = boost::archive::binary_iarchive;

// Appends everything written to a std::string (avoids ostringstream's extra copy of a
// multi-hundred-megabyte CMA-ES state).
class StringSink : public std::streambuf {
 public:
  explicit StringSink(std::string& out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_.append(s, static_cast<size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof()))
      out_.push_back(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }

 private:
  std::string& out_;
};

// Reads a std::string in place (no copy).
class StringSource : public std::streambuf {
 public:
  explicit StringSource(const std::string& in) {
    char* begin = const_cast<char*>(in.data());  // never written through: get area only
    setg(begin, begin, begin + in.size());
  }
  bool exhausted() { return traits_type::eq_int_type(sgetc(), traits_type::eof()); }
};

std::string printable(const char* bytes, size_t n) {
  std::string out;
  for (size_t i = 0; i < n && bytes[i] != '\0'; ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  return out;
}

void save_header(OArchive& ar, const char* magic, int64_t dimension) {
  BBPT_ASSERT(std::strlen(magic) < kMagicBytes, "magic '" << magic << "' does not fit its field");
  std::array<char, kMagicBytes> field{};
  std::strncpy(field.data(), magic, kMagicBytes - 1);
  ar.save_binary(field.data(), kMagicBytes);
  const uint32_t version = kFormatVersion;
  ar << version << dimension;
}

// Checks magic, version and dimension, naming what was found.
void load_header(IArchive& ar, const char* magic, int64_t expected_dimension) {
  std::array<char, kMagicBytes> field{};
  ar.load_binary(field.data(), kMagicBytes);
  const std::string found = printable(field.data(), kMagicBytes);
  BBPT_CHECK(std::strncmp(field.data(), magic, kMagicBytes) == 0, IoError,
             "optimizer state: expected magic '"
                 << magic << "', found '" << found
                 << "' (state of another optimizer or not an optimizer state)");
  uint32_t version = 0;
  ar >> version;
  BBPT_CHECK(version == kFormatVersion, IoError,
             "optimizer state '" << magic << "': format version " << version
                                 << " is not supported (this build reads version " << kFormatVersion
                                 << "); re-create the state with this build");
  int64_t dimension = 0;
  ar >> dimension;
  BBPT_CHECK(dimension == expected_dimension, IoError,
             "optimizer state '" << magic << "': dimension " << dimension
                                 << " does not match this optimizer's dimension "
                                 << expected_dimension);
}

void save_matrix(OArchive& ar, const Matrix& m) {
  const int64_t rows = m.rows();
  const int64_t cols = m.cols();
  ar << rows << cols;
  if (m.size() > 0) ar.save_binary(m.data(), sizeof(double) * static_cast<size_t>(m.size()));
}

void save_vector(OArchive& ar, const Vector& v) {
  const int64_t rows = v.size();
  const int64_t cols = 1;
  ar << rows << cols;
  if (v.size() > 0) ar.save_binary(v.data(), sizeof(double) * static_cast<size_t>(v.size()));
}

// Shapes are checked before anything is allocated, so garbage cannot request a huge buffer.
Matrix load_matrix(IArchive& ar, int64_t rows, int64_t cols, const char* what) {
  int64_t found_rows = -1;
  int64_t found_cols = -1;
  ar >> found_rows >> found_cols;
  BBPT_CHECK(found_rows == rows && found_cols == cols, IoError,
             "optimizer state: " << what << " has shape [" << found_rows << ", " << found_cols
                                 << "], expected [" << rows << ", " << cols << "]");
  Matrix m(rows, cols);
  if (m.size() > 0) ar.load_binary(m.data(), sizeof(double) * static_cast<size_t>(m.size()));
  return m;
}

Vector load_vector(IArchive& ar, int64_t rows, const char* what) {
  Matrix m = load_matrix(ar, rows, 1, what);
  return Vector(std::move(m));
}

std::string write_archive(const char* magic,
                          int64_t dimension,
                          size_t size_hint,
                          const std::function<void(OArchive&)>& body) {
  std::string bytes;
  bytes.reserve(size_hint);
  StringSink sink(bytes);
  {
    OArchive ar(sink);
    save_header(ar, magic, dimension);
    body(ar);
  }
  return bytes;
}

// Runs `body` on an archive over `bytes` after the header check, turning every failure (Boost's
// own header check, truncation, bad values, trailing bytes) into an IoError that names the
// optimizer. `body` reads and validates everything and returns the commit, which must not throw
// and runs only once all checks have passed, so a failed restore leaves the optimizer unchanged.
using Commit = std::function<void()>;
void read_archive(const std::string& bytes,
                  const char* magic,
                  int64_t dimension,
                  const std::function<Commit(IArchive&)>& body) {
  StringSource source(bytes);
  Commit commit;
  try {
    IArchive ar(source);
    load_header(ar, magic, dimension);
    commit = body(ar);
  } catch (const IoError&) {
    throw;
  } catch (const ConfigError& e) {
    BBPT_THROW(IoError, "optimizer state '" << magic << "' holds invalid options: " << e.what());
  } catch (const boost::archive::archive_exception& e) {
    BBPT_THROW(IoError, "optimizer state '" << magic << "': not a readable state (" << e.what()
                                            << "; " << bytes.size() << " bytes)");
  } catch (const std::exception& e) {  // e.g. a garbage length in Boost's own header
    BBPT_THROW(IoError, "optimizer state '" << magic << "': not a readable state (" << e.what()
                                            << "; " << bytes.size() << " bytes)");
  }
  BBPT_CHECK(source.exhausted(), IoError,
             "optimizer state '" << magic << "': unexpected bytes after the end of the state");
  commit();
}

template <typename T>
T load_value(IArchive& ar) {
  T value{};
  ar >> value;
  return value;
}

// Flags travel as one byte checked on load: a garbage byte read straight into a bool is UB.
void save_flag(OArchive& ar, bool flag) {
  const uint8_t byte = flag ? 1 : 0;
  ar << byte;
}

bool load_flag(IArchive& ar, const char* magic, const char* what) {
  const auto byte = load_value<uint8_t>(ar);
  BBPT_CHECK(byte <= 1, IoError,
             "optimizer state '" << magic << "': flag " << what << " has value " << int{byte});
  return byte == 1;
}

void check_finite(bool ok, const char* magic, const char* what) {
  BBPT_CHECK(ok, IoError, "optimizer state '" << magic << "': " << what << " is not finite");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Spsa

std::string Spsa::serialize_state() const {
  const size_t hint = 256 + 2 * sizeof(double) * static_cast<size_t>(theta_.size());
  return write_archive(kSpsaMagic, theta_.size(), hint, [this](OArchive& ar) {
    const SpsaSchedule& s = options_.schedule;
    const int32_t num_perturbations = options_.num_perturbations;
    const int32_t clip = static_cast<int32_t>(options_.clip);
    ar << s.o << s.c << s.a << s.alpha << s.gamma << num_perturbations << clip
       << options_.clip_threshold;
    save_flag(ar, options_.gradient_correction);
    ar << options_.momentum;
    save_flag(ar, options_.clip_with_gradient_correction);
    ar << options_.seed << step_;
    save_vector(ar, theta_);
    save_vector(ar, momentum_buffer_);
    ar << last_gradient_norm_;
    save_flag(ar, last_clipped_);
    ar << last_mean_loss_;
  });
}

void Spsa::restore_state(const std::string& bytes) {
  const int64_t n = theta_.size();
  read_archive(bytes, kSpsaMagic, n, [this, n](IArchive& ar) {
    SpsaOptions options;
    SpsaSchedule& s = options.schedule;
    ar >> s.o >> s.c >> s.a >> s.alpha >> s.gamma;
    options.num_perturbations = load_value<int32_t>(ar);
    const int32_t clip = load_value<int32_t>(ar);
    BBPT_CHECK(clip >= 0 && clip <= static_cast<int32_t>(ClipMode::kFixed), IoError,
               "optimizer state '" << kSpsaMagic << "': unknown clip mode " << clip);
    options.clip = static_cast<ClipMode>(clip);
    ar >> options.clip_threshold;
    options.gradient_correction = load_flag(ar, kSpsaMagic, "gradient_correction");
    ar >> options.momentum;
    options.clip_with_gradient_correction =
        load_flag(ar, kSpsaMagic, "clip_with_gradient_correction");
    ar >> options.seed;
    const int64_t step = load_value<int64_t>(ar);
    BBPT_CHECK(step >= 0, IoError,
               "optimizer state '" << kSpsaMagic << "': step " << step << " < 0");
    Vector theta = load_vector(ar, n, "theta");
    Vector momentum = load_vector(ar, n, "momentum");
    check_finite(theta.allFinite() && momentum.allFinite(), kSpsaMagic, "theta or momentum");
    Spsa restored(std::move(theta), options);  // validates the options (ConfigError -> IoError)
    restored.step_ = step;
    restored.momentum_buffer_ = std::move(momentum);
    ar >> restored.last_gradient_norm_;
    restored.last_clipped_ = load_flag(ar, kSpsaMagic, "last_clipped");
    ar >> restored.last_mean_loss_;
    return Commit(
        [this, restored = std::move(restored)]() mutable { *this = std::move(restored); });
  });
}

// ---------------------------------------------------------------------------------------------
// RandomGradient

std::string RandomGradient::serialize_state() const {
  const size_t hint = 256 + sizeof(double) * static_cast<size_t>(w_.size());
  return write_archive(kRandomGradientMagic, w_.size(), hint, [this](OArchive& ar) {
    const RandomGradientOptions& o = options_;
    const int32_t num_directions = o.num_directions;
    ar << num_directions << o.smoothing << o.lr0 << o.lr_min << o.decay_steps << o.power << o.seed;
    ar << step_;
    save_vector(ar, w_);
    ar << last_loss_ << last_gradient_norm_ << last_learning_rate_;
  });
}

void RandomGradient::restore_state(const std::string& bytes) {
  const int64_t n = w_.size();
  read_archive(bytes, kRandomGradientMagic, n, [this, n](IArchive& ar) {
    RandomGradientOptions o;
    o.num_directions = load_value<int32_t>(ar);
    ar >> o.smoothing >> o.lr0 >> o.lr_min >> o.decay_steps >> o.power >> o.seed;
    const int64_t step = load_value<int64_t>(ar);
    BBPT_CHECK(step >= 0, IoError,
               "optimizer state '" << kRandomGradientMagic << "': step " << step << " < 0");
    Vector w = load_vector(ar, n, "w");
    check_finite(w.allFinite(), kRandomGradientMagic, "w");
    RandomGradient restored(std::move(w), o);  // validates the options (ConfigError -> IoError)
    restored.step_ = step;
    ar >> restored.last_loss_ >> restored.last_gradient_norm_ >> restored.last_learning_rate_;
    return Commit(
        [this, restored = std::move(restored)]() mutable { *this = std::move(restored); });
  });
}

// ---------------------------------------------------------------------------------------------
// CmaEs

std::string CmaEs::serialize_state() const {
  const size_t n = static_cast<size_t>(mean_.size());
  const size_t hint = 512 + sizeof(double) * (2 * n * n + 6 * n);
  return write_archive(kCmaEsMagic, mean_.size(), hint, [this](OArchive& ar) {
    const int32_t population_size = options_.population_size;
    const int32_t lambda = lambda_;
    ar << population_size << options_.sigma0 << options_.seed << lambda;
    ar << generation_ << eigen_generation_ << sigma_ << best_loss_;
    save_vector(ar, mean_);
    save_vector(ar, p_sigma_);
    save_vector(ar, p_c_);
    save_matrix(ar, cov_);
    save_matrix(ar, eigenvectors_);
    save_vector(ar, axis_lengths_);
    save_vector(ar, best_solution_);
  });
}

void CmaEs::restore_state(const std::string& bytes) {
  const int64_t n = mean_.size();
  read_archive(bytes, kCmaEsMagic, n, [this, n](IArchive& ar) {
    CmaEsOptions options;
    options.population_size = load_value<int32_t>(ar);
    ar >> options.sigma0 >> options.seed;
    const int32_t lambda = load_value<int32_t>(ar);
    // Validates the options on a 1-D probe (cheap: no [N, N] allocation).
    const CmaEs probe(Vector::Zero(1), options);
    const int expected_lambda =
        options.population_size > 0 ? options.population_size : default_population_size(n);
    BBPT_CHECK(lambda == expected_lambda, IoError,
               "optimizer state '" << kCmaEsMagic << "': population size " << lambda
                                   << " does not follow from its options (expected "
                                   << expected_lambda << ")");
    const auto generation = load_value<int64_t>(ar);
    const auto eigen_generation = load_value<int64_t>(ar);
    BBPT_CHECK(generation >= 0 && eigen_generation >= 0 && eigen_generation <= generation, IoError,
               "optimizer state '" << kCmaEsMagic << "': generation " << generation
                                   << " / eigen generation " << eigen_generation
                                   << " are inconsistent");
    const auto sigma = load_value<double>(ar);
    const auto best_loss = load_value<double>(ar);
    BBPT_CHECK(std::isfinite(sigma) && sigma > 0.0, IoError,
               "optimizer state '" << kCmaEsMagic << "': sigma " << sigma << " is not > 0");
    BBPT_CHECK(!std::isnan(best_loss), IoError,
               "optimizer state '" << kCmaEsMagic << "': best loss is NaN");
    Vector mean = load_vector(ar, n, "mean");
    Vector p_sigma = load_vector(ar, n, "p_sigma");
    Vector p_c = load_vector(ar, n, "p_c");
    Matrix cov = load_matrix(ar, n, n, "C");
    Matrix eigenvectors = load_matrix(ar, n, n, "B");
    Vector axis_lengths = load_vector(ar, n, "D");
    Vector best_solution = load_vector(ar, n, "best solution");
    check_finite(mean.allFinite() && p_sigma.allFinite() && p_c.allFinite(), kCmaEsMagic,
                 "mean, p_sigma or p_c");

    return Commit([this, options, generation, eigen_generation, sigma, best_loss,
                   mean = std::move(mean), p_sigma = std::move(p_sigma), p_c = std::move(p_c),
                   cov = std::move(cov), eigenvectors = std::move(eigenvectors),
                   axis_lengths = std::move(axis_lengths),
                   best_solution = std::move(best_solution)]() mutable {
      options_ = options;
      set_strategy_parameters();
      generation_ = generation;
      eigen_generation_ = eigen_generation;
      sigma_ = sigma;
      best_loss_ = best_loss;
      mean_ = std::move(mean);
      p_sigma_ = std::move(p_sigma);
      p_c_ = std::move(p_c);
      cov_ = std::move(cov);
      eigenvectors_ = std::move(eigenvectors);
      axis_lengths_ = std::move(axis_lengths);
      best_solution_ = std::move(best_solution);
      asked_z_.resize(0, 0);
      asked_y_.resize(0, 0);
      asked_generation_ = -1;
    });
  });
}

}  // namespace bbpt::optim
