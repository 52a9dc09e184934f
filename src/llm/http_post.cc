// SPDX-License-Identifier: MIT
// Implements http_post with the libcurl easy interface: one transfer per call, no signals (safe
// in threaded programs), the Retry-After header captured by a header callback, and transport
// errors described with libcurl's text plus the OS error (e.g. "Connection refused").
#include "http_post.h"

#include <curl/curl.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>

#include "bbpt/core/error.h"

namespace bbpt::llm::detail {
namespace {

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
    BBPT_CHECK(code == CURLE_OK, IoError,
               "libcurl initialisation failed: " << curl_easy_strerror(code));
  });
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

size_t append_body(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

bool starts_with_ci(const char* line, size_t length, const char* prefix) {
  const size_t n = std::strlen(prefix);
  return length >= n && strncasecmp(line, prefix, n) == 0;
}

// Called once per header line, including the status line of every response of the transfer.
size_t read_header(char* data, size_t size, size_t count, void* out) {
  const size_t length = size * count;
  auto* result = static_cast<HttpPostResult*>(out);
  // A new status line (after a 100 Continue, say) starts a new header block.
  if (starts_with_ci(data, length, "HTTP/")) result->retry_after.clear();
  constexpr const char* kName = "retry-after:";
  if (starts_with_ci(data, length, kName)) {
    std::string value(data + std::strlen(kName), length - std::strlen(kName));
    const size_t begin = value.find_first_not_of(" \t");
    const size_t end = value.find_last_not_of(" \t\r\n");
    result->retry_after = begin == std::string::npos ? "" : value.substr(begin, end - begin + 1);
  }
  return length;
}

// Transport failures that a later attempt may not meet: the server is starting, restarting,
// overloaded or the network hiccupped. The others (bad URL, TLS verification) need a fix.
bool is_retryable(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

long to_ms(double seconds) { return static_cast<long>(std::ceil(seconds * 1000.0)); }

}  // namespace

HttpPostResult http_post(const std::string& url,
                         const std::vector<std::string>& headers,
                         const std::string& body,
                         const HttpPostOptions& options) {
  init_curl_once();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  BBPT_CHECK(curl != nullptr, IoError, "libcurl could not start a transfer");
  std::unique_ptr<curl_slist, SlistDeleter> header_list;
  for (const std::string& line : headers) {
    curl_slist* grown = curl_slist_append(header_list.get(), line.c_str());
    BBPT_CHECK(grown != nullptr, IoError, "libcurl could not allocate a header list");
    header_list.release();
    header_list.reset(grown);
  }
  // Without this libcurl adds "Expect: 100-continue" to large bodies and waits for the server.
  curl_slist* grown = curl_slist_append(header_list.get(), "Expect:");
  BBPT_CHECK(grown != nullptr, IoError, "libcurl could not allocate a header list");
  header_list.release();
  header_list.reset(grown);

  HttpPostResult result;
  char error_text[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, read_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &result);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, to_ms(options.timeout_s));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, to_ms(options.connect_timeout_s));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "bbpt/" BBPT_VERSION);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // any encoding libcurl can decode
  const CURLcode code = curl_easy_perform(c);

  if (code != CURLE_OK) {
    result.status = 0;
    result.retry_after.clear();
    // The OS error says it shortest ("Connection refused"); otherwise libcurl's detailed text.
    std::string text = curl_easy_strerror(code);
    long os_errno = 0;
    if (curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK && os_errno != 0) {
      text += std::string(": ") + std::strerror(static_cast<int>(os_errno));
    } else if (error_text[0] != '\0') {
      text += std::string(": ") + error_text;
    }
    result.transport_error = text;
    result.curl_code = static_cast<int>(code);
    result.transport_retryable = is_retryable(code);
    return result;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.status);
  return result;
}

}  // namespace bbpt::llm::detail
