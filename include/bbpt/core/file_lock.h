// SPDX-License-Identifier: MIT
// Exclusive advisory locks on a file (flock): the kernel drops them when the holder exits, even on
// SIGKILL, so a lock never outlives its process. Used for a trial directory's run lock and a sweep
// store's merge lock.
#pragma once

#include <optional>
#include <string>

namespace bbpt::core {

class FileLock {
 public:
  /// Waits for the lock on `path` (created if missing).
  static FileLock wait(const std::string& path);
  /// Tries for up to `patience_s`; nullopt while another process holds it. Throws IoError when the
  /// file system cannot lock at all (e.g. Lustre mounted without -o flock).
  static std::optional<FileLock> try_for(const std::string& path, double patience_s);
  /// Whether another process holds the lock on `path` now (false when the file does not exist). The
  /// probe holds a shared lock for an instant, which try_for's patience absorbs.
  static bool held_by_other(const std::string& path);

  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace bbpt::core
