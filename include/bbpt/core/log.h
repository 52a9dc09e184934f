// SPDX-License-Identifier: MIT
// Minimal leveled logging to stderr with an optional rank tag. Results never go through here:
// logs are for people, result files are for programs.
#pragma once

#include <sstream>
#include <string>

namespace bbpt::core {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

/// Sets the minimum level printed (default kInfo) and the prefix of every line (e.g. "rank 3").
void set_log_level(LogLevel level);
void set_log_tag(const std::string& tag);
/// Writes one line "[bbpt <tag>] <level>: <message>" to stderr when level is enabled.
void log_line(LogLevel level, const std::string& message);
bool log_enabled(LogLevel level);

}  // namespace bbpt::core

#define BBPT_LOG(level, message_stream)                                       \
  do {                                                                        \
    if (::bbpt::core::log_enabled(::bbpt::core::LogLevel::level)) {           \
      std::ostringstream bbpt_log_;                                           \
      bbpt_log_ << message_stream;                                            \
      ::bbpt::core::log_line(::bbpt::core::LogLevel::level, bbpt_log_.str()); \
    }                                                                         \
  } while (false)
#define BBPT_LOG_INFO(message_stream) BBPT_LOG(kInfo, message_stream)
#define BBPT_LOG_WARN(message_stream) BBPT_LOG(kWarn, message_stream)
#define BBPT_LOG_DEBUG(message_stream) BBPT_LOG(kDebug, message_stream)
