// SPDX-License-Identifier: MIT
// One blocking HTTP POST with libcurl: returns the status, the body and the Retry-After header, or
// the transport error when no HTTP response arrived. No retries here (chat_client.cc does them).
#pragma once

#include <string>
#include <vector>

namespace bbpt::llm::detail {

struct HttpPostOptions {
  double timeout_s = 120;         // whole transfer
  double connect_timeout_s = 10;  // TCP/TLS connect only
};

struct HttpPostResult {
  long status = 0;                   // HTTP status; 0 when no response arrived
  std::string body;                  // the response body (any status)
  std::string retry_after;           // the raw Retry-After value, "" when absent
  std::string transport_error;       // "" when a response arrived; else what went wrong
  int curl_code = 0;                 // the CURLcode of the failed transfer (0: a response arrived)
  bool transport_retryable = false;  // refused, reset, timed out, empty reply: worth retrying
};

/// POSTs `body` to `url` with the given header lines ("Name: value"). Never throws for network
/// failures (they are reported in the result); throws IoError if libcurl cannot start at all.
HttpPostResult http_post(const std::string& url,
                         const std::vector<std::string>& headers,
                         const std::string& body,
                         const HttpPostOptions& options);

}  // namespace bbpt::llm::detail
