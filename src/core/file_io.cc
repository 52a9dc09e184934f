// SPDX-License-Identifier: MIT
// Implements whole-file reads, gzip decoding with zlib, and atomic writes.
#include "bbpt/core/file_io.h"

#include <unistd.h>
#include <zlib.h>

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
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    BBPT_CHECK(out, IoError, tmp << ": cannot open for writing (check the directory exists and is writable)");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    BBPT_CHECK(out, IoError, tmp << ": write failed (disk full?)");
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
