// SPDX-License-Identifier: MIT
// Exception types for the three error tiers (style.md 2.5) and the macros that raise them.
// Library code throws; only main() maps exceptions to exit codes.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace bbpt {

/// Base of every error bbpt reports to a user. what() is one line that names the thing at fault
/// (file, field, value) and what was expected.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad configuration value or command-line argument.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// A file that is missing, unreadable, truncated or not of the expected format.
class IoError : public Error {
 public:
  using Error::Error;
};

/// A checkpoint whose layout or shapes are not a CLIP model bbpt understands.
class ModelError : public Error {
 public:
  using Error::Error;
};

/// A computation that produced NaN or infinite values (a diverged optimizer, a broken model file).
/// A failed run, not a configuration error: the trial driver says in which step and what to check.
class NumericalError : public Error {
 public:
  using Error::Error;
};

/// A failure of the communication layer (MPI, NCCL, CUDA).
class CommError : public Error {
 public:
  using Error::Error;
};

namespace core {
/// Prints the failed invariant with file:line and aborts. Internal bugs only, never user input.
[[noreturn]] void assert_fail(const char* expr, const char* file, int line, const std::string& msg);
}  // namespace core

}  // namespace bbpt

/// Throws ErrorType with a message built from stream insertions:
///   BBPT_THROW(IoError, path << ": expected a gzip file");
#define BBPT_THROW(ErrorType, message_stream) \
  do {                                        \
    std::ostringstream bbpt_msg_;             \
    bbpt_msg_ << message_stream;              \
    throw ::bbpt::ErrorType(bbpt_msg_.str()); \
  } while (false)

/// Bad input, config, file or environment: throws ErrorType when cond is false. The message is
/// for the user (what is wrong and what to do), so the C++ expression is deliberately left out.
#define BBPT_CHECK(cond, ErrorType, message_stream)     \
  do {                                                  \
    if (!(cond)) BBPT_THROW(ErrorType, message_stream); \
  } while (false)

/// Internal invariant: prints expression, message, file:line and aborts. Stays on in Release.
#define BBPT_ASSERT(cond, message_stream)                                    \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::ostringstream bbpt_msg_;                                          \
      bbpt_msg_ << message_stream;                                           \
      ::bbpt::core::assert_fail(#cond, __FILE__, __LINE__, bbpt_msg_.str()); \
    }                                                                        \
  } while (false)
