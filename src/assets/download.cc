// SPDX-License-Identifier: MIT
// Implements download_to_file with the libcurl easy interface: one blocking transfer, streamed
// to disk, no signals (safe in threaded programs), libcurl's own error text in failures.
#include "download.h"

#include <curl/curl.h>

#include <cstdio>
#include <memory>
#include <mutex>

#include "bbpt/core/error.h"

namespace bbpt::assets::detail {
namespace {

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
    BBPT_CHECK(code == CURLE_OK, IoError,
               "libcurl initialisation failed: " << curl_easy_strerror(code));
  });
}

size_t write_to_file(char* data, size_t size, size_t count, void* file) {
  return std::fwrite(data, size, count, static_cast<std::FILE*>(file)) * size;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

}  // namespace

void download_to_file(const std::string& url, const std::string& path, int timeout_s) {
  init_curl_once();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  BBPT_CHECK(curl != nullptr, IoError, "libcurl could not start a transfer");
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "wb"));
  BBPT_CHECK(file != nullptr, IoError, "cannot write " << path);

  char error_text[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_to_file);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, file.get());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);  // GitHub's raw URLs redirect
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(timeout_s));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "bbpt/" BBPT_VERSION);
  const CURLcode code = curl_easy_perform(c);

  const bool closed = std::fclose(file.release()) == 0;
  if (code != CURLE_OK) {
    BBPT_THROW(IoError, (error_text[0] != '\0' ? error_text : curl_easy_strerror(code)));
  }
  BBPT_CHECK(closed, IoError, "write error on " << path << " (disk full?)");
}

}  // namespace bbpt::assets::detail
