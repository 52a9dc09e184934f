// SPDX-License-Identifier: MIT
// Implements whole-file reads, gzip decoding with zlib, and atomic writes.
#include "bbpt/core/file_io.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bbpt/core/error.h"

namespace bbpt::core {

std::string read_file(const std::string& path) {
  std::error_code ec;
  BBPT_CHECK(std::filesystem::exists(path, ec), IoError, path << ": file not found");
  BBPT_CHECK(!std::filesystem::is_directory(path, ec), IoError,
             path << ": is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  BBPT_CHECK(in, IoError, path << ": cannot open for reading (check permissions)");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  BBPT_CHECK(!in.bad(), IoError, path << ": read error");
  return buffer.str();
}

std::string read_maybe_gzip_file(const std::string& path) {
  std::string raw = read_file(path);
  const bool is_gzip = raw.size() >= 2 && static_cast<unsigned char>(raw[0]) == 0x1f &&
                       static_cast<unsigned char>(raw[1]) == 0x8b;
  if (!is_gzip) return raw;

  z_stream stream{};
  // 16 + MAX_WBITS: expect a gzip header and trailer.
  BBPT_CHECK(inflateInit2(&stream, 16 + MAX_WBITS) == Z_OK, IoError,
             path << ": zlib could not start decoding");
  stream.next_in = reinterpret_cast<Bytef*>(raw.data());
  stream.avail_in = static_cast<uInt>(raw.size());
  std::string out;
  char chunk[1 << 16];
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof(chunk);
    status = inflate(&stream, Z_NO_FLUSH);
    out.append(chunk, sizeof(chunk) - stream.avail_out);
    if (status == Z_BUF_ERROR && stream.avail_in == 0) break;  // input ended early
  }
  inflateEnd(&stream);
  BBPT_CHECK(status == Z_STREAM_END, IoError,
             path << ": gzip data is truncated or corrupt (expected a complete .gz stream; "
                     "re-download the file)");
  return out;
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  const std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path());
  // Unique per process and per call, so concurrent writers (processes or threads) never share a
  // temporary; a crash leaves only a *.tmp.* file, never a partial `path`.
  static std::atomic<uint64_t> counter{0};
  const std::string tmp =
      path + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  BBPT_CHECK(fd >= 0, IoError,
             tmp << ": cannot open for writing (check the directory exists and is writable)");
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  // fsync before the rename: after a power loss the file is either the old one or the whole new
  // one.
  const bool ok = written == bytes.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    std::filesystem::remove(tmp);
    BBPT_THROW(IoError, tmp << ": write failed (disk full?)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, target, ec);
  if (ec) {
    std::filesystem::remove(tmp);
    BBPT_THROW(IoError, path << ": cannot move the finished file into place: " << ec.message());
  }
}

bool is_regular_file(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

}  // namespace bbpt::core
