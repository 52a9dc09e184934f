// SPDX-License-Identifier: MIT
// Implements stderr logging; one mutex keeps lines whole when threads log together.
#include "bbpt/core/log.h"

#include <cstdio>
#include <mutex>

#include "bbpt/core/redact.h"

namespace bbpt::core {
namespace {
std::mutex g_log_mutex;
LogLevel g_min_level = LogLevel::kInfo;
std::string g_tag;

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "?";
}
}  // namespace

void set_log_level(LogLevel level) { g_min_level = level; }
void set_log_tag(const std::string& tag) {
  std::lock_guard<std::mutex> lock(g_log_mutex);
  g_tag = tag;
}
bool log_enabled(LogLevel level) { return level >= g_min_level; }

void log_line(LogLevel level, const std::string& raw_message) {
  // Logs end up in job logs and trial directories (log.txt): no URL credentials in them.
  const std::string message = redact_urls(raw_message);
  std::lock_guard<std::mutex> lock(g_log_mutex);
  if (g_tag.empty()) {
    std::fprintf(stderr, "[bbpt] %s: %s\n", level_name(level), message.c_str());
  } else {
    std::fprintf(stderr, "[bbpt %s] %s: %s\n", g_tag.c_str(), level_name(level), message.c_str());
  }
}

}  // namespace bbpt::core
