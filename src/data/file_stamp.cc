// SPDX-License-Identifier: MIT
// Implements the stat()-based file stamps of dataset fingerprints.
#include "file_stamp.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace bbpt::data {

FileStamp stamp_file(const std::string& path) {
  struct stat st {};
  FileStamp stamp;
  if (::stat(path.c_str(), &st) != 0) {
    stamp.error = std::strerror(errno);
    stamp.text = "stat failed";
    return stamp;
  }
  stamp.ok = true;
  stamp.regular = S_ISREG(st.st_mode);
  std::ostringstream text;
  const auto ns = [](const timespec& t) {
    return static_cast<int64_t>(t.tv_sec) * 1000000000 + static_cast<int64_t>(t.tv_nsec);
  };
  text << st.st_size << "\t" << ns(st.st_mtim) << "\t" << ns(st.st_ctim) << "\t" << st.st_ino;
  stamp.text = text.str();
  return stamp;
}

std::string resolved_path(const std::string& path) {
  std::error_code ec;
  auto resolved = std::filesystem::weakly_canonical(std::filesystem::absolute(path), ec);
  if (ec) return std::filesystem::absolute(path).lexically_normal().string();
  return resolved.string();
}

}  // namespace bbpt::data
