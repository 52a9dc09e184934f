// SPDX-License-Identifier: MIT
#include "bbpt/core/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "bbpt/core/error.h"

namespace bbpt::core {
namespace {

int open_lock_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  BBPT_CHECK(fd >= 0, IoError,
             path << ": cannot create the lock file (" << std::strerror(errno) << ")");
  return fd;
}

}  // namespace

FileLock FileLock::wait(const std::string& path) {
  const int fd = open_lock_file(path);
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int error = errno;
    ::close(fd);
    BBPT_THROW(IoError, path << ": cannot lock (" << std::strerror(error) << ")");
  }
  return FileLock(fd);
}

std::optional<FileLock> FileLock::try_for(const std::string& path, double patience_s) {
  const int fd = open_lock_file(path);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(patience_s);
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return FileLock(fd);
    const int error = errno;
    if (error != EWOULDBLOCK) {
      ::close(fd);
      BBPT_THROW(IoError,
                 path << ": cannot lock (" << std::strerror(error)
                      << "); the file system must support flock (Lustre: mount with -o flock)");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(fd);
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool FileLock::held_by_other(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  // Only EWOULDBLOCK means a holder; a file system without flock must not show everything as held.
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace bbpt::core
