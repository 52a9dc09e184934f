// SPDX-License-Identifier: MIT
// A fake OpenAI-compatible chat server for tests: HTTP/1.1 on 127.0.0.1 with an ephemeral port,
// one thread per connection, `Connection: close` on every reply. Each reply comes from the script
// (a queue consumed in order), else from the responder when one is set, else from the default
// reply (a well-formed one-choice completion). Every request is logged, and the largest number of
// requests being answered at once is tracked. POSIX sockets and std::thread only; it understands
// just enough HTTP for libcurl's POSTs (Content-Length bodies, no chunked uploads).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace bbpt::testing {

/// One request as the server read it.
struct FakeRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names lower-cased, values trimmed
  std::string body;

  bool has_header(const std::string& name) const { return headers.count(lower(name)) != 0; }
  /// The value of a header (name in any case), "" when absent.
  std::string header(const std::string& name) const {
    const auto it = headers.find(lower(name));
    return it == headers.end() ? "" : it->second;
  }
  static std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
};

/// What the server answers to one request.
struct FakeReply {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>>
      headers;                       // extra headers, e.g. {"Retry-After", "1"}
  int delay_ms = 0;                  // wait before answering (the request counts as in flight)
  bool close_without_reply = false;  // drop the connection instead: the client sees an empty reply
};

class FakeOpenAiServer {
 public:
  FakeOpenAiServer() : default_reply_{200, completion({"fake answer"}), {}, 0, false} {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error("fake server: socket() failed");
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr = loopback(0);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listen_fd_, 64) != 0) {
      ::close(listen_fd_);
      throw std::runtime_error("fake server: cannot listen on 127.0.0.1");
    }
    port_ = bound_port(listen_fd_);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~FakeOpenAiServer() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      // Wakes connections blocked in recv; their fds leave this set before they are closed.
      for (const int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    stop_cv_.notify_all();
    ::shutdown(listen_fd_, SHUT_RDWR);
    accept_thread_.join();
    ::close(listen_fd_);
    for (std::thread& t : connection_threads_) t.join();
  }

  FakeOpenAiServer(const FakeOpenAiServer&) = delete;
  FakeOpenAiServer& operator=(const FakeOpenAiServer&) = delete;

  /// The base URL a client uses: http://127.0.0.1:<port>/v1.
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  int port() const { return port_; }

  /// Appends a reply to the script; scripted replies are used first, in order.
  void push_reply(FakeReply reply) {
    std::lock_guard<std::mutex> lock(mutex_);
    script_.push_back(std::move(reply));
  }
  /// The reply once the script is empty and no responder is set.
  void set_default_reply(FakeReply reply) {
    std::lock_guard<std::mutex> lock(mutex_);
    default_reply_ = std::move(reply);
  }
  /// Answers each request (once the script is empty) from the request itself. Called from the
  /// connection threads, concurrently: it must be thread-safe.
  void set_responder(std::function<FakeReply(const FakeRequest&)> responder) {
    std::lock_guard<std::mutex> lock(mutex_);
    responder_ = std::move(responder);
  }

  /// A copy of the requests read so far, in arrival order.
  std::vector<FakeRequest> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return log_;
  }
  size_t request_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return log_.size();
  }
  /// The largest number of requests that were read but not yet answered at the same time.
  int max_in_flight() const { return max_in_flight_.load(); }

  /// The JSON body of an OpenAI chat.completion with one choice per text (in order) and the usage.
  static std::string completion(const std::vector<std::string>& texts,
                                int64_t prompt_tokens = 11,
                                int64_t completion_tokens = 7) {
    std::string choices;
    for (size_t i = 0; i < texts.size(); ++i) {
      if (i > 0) choices += ",";
      choices += "{\"index\":" + std::to_string(i) +
                 ",\"message\":{\"role\":\"assistant\",\"content\":" + json_string(texts[i]) +
                 "},\"finish_reason\":\"stop\"}";
    }
    return "{\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion\",\"created\":0,\"model\":"
           "\"fake-model\","
           "\"choices\":[" +
           choices + "],\"usage\":{\"prompt_tokens\":" + std::to_string(prompt_tokens) +
           ",\"completion_tokens\":" + std::to_string(completion_tokens) +
           ",\"total_tokens\":" + std::to_string(prompt_tokens + completion_tokens) + "}}";
  }
  /// A 200 reply carrying completion(texts, ...).
  static FakeReply ok(const std::vector<std::string>& texts,
                      int64_t prompt_tokens = 11,
                      int64_t completion_tokens = 7) {
    return {200, completion(texts, prompt_tokens, completion_tokens), {}, 0, false};
  }

  /// A TCP port on 127.0.0.1 with nothing listening (bound, read, closed): connections are refused.
  static int unused_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = loopback(0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      throw std::runtime_error("fake server: cannot bind a probe socket");
    }
    const int port = bound_port(fd);
    ::close(fd);
    return port;
  }

  /// A JSON string literal (quotes included) of UTF-8 text.
  static std::string json_string(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof(escaped), "\\u%04x", static_cast<unsigned>(c));
            out += escaped;
          } else {
            out += c;
          }
      }
    }
    return out + "\"";
  }

 private:
  static sockaddr_in loopback(int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
  }

  static int bound_port(int fd) {
    sockaddr_in addr{};
    socklen_t length = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
    return ntohs(addr.sin_port);
  }

  static const char* reason_phrase(int status) {
    switch (status) {
      case 200:
        return "OK";
      case 400:
        return "Bad Request";
      case 401:
        return "Unauthorized";
      case 403:
        return "Forbidden";
      case 404:
        return "Not Found";
      case 429:
        return "Too Many Requests";
      case 500:
        return "Internal Server Error";
      case 502:
        return "Bad Gateway";
      case 503:
        return "Service Unavailable";
      default:
        return "Status";
    }
  }

  static bool send_all(int fd, const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  bool stopping() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopping_;
  }

  void accept_loop() {
    while (!stopping()) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;  // the timeout re-checks stopping_
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) {
        ::close(fd);
        break;
      }
      open_fds_.insert(fd);
      connection_threads_.emplace_back([this, fd] { serve(fd); });
    }
  }

  // Reads the header block and the Content-Length body; false when the client went away.
  bool read_request(int fd, FakeRequest* request) {
    std::string data;
    char buffer[8192];
    size_t header_end = std::string::npos;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0 || data.size() > (1u << 20)) return false;
      data.append(buffer, static_cast<size_t>(n));
    }
    const std::string head = data.substr(0, header_end);
    size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    const size_t space1 = request_line.find(' ');
    const size_t space2 = request_line.find(' ', space1 + 1);
    if (space1 == std::string::npos || space2 == std::string::npos) return false;
    request->method = request_line.substr(0, space1);
    request->path = request_line.substr(space1 + 1, space2 - space1 - 1);
    while (line_end != std::string::npos && line_end < head.size()) {
      const size_t next = head.find("\r\n", line_end + 2);
      const std::string line = head.substr(
          line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        const size_t value_begin = line.find_first_not_of(" \t", colon + 1);
        const size_t value_end = line.find_last_not_of(" \t");
        request->headers[FakeRequest::lower(line.substr(0, colon))] =
            value_begin == std::string::npos
                ? ""
                : line.substr(value_begin, value_end - value_begin + 1);
      }
      line_end = next;
    }
    if (FakeRequest::lower(request->header("expect")) == "100-continue") {
      send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    const size_t content_length =
        request->has_header("content-length")
            ? static_cast<size_t>(std::stoull(request->header("content-length")))
            : 0;
    request->body = data.substr(header_end + 4);
    while (request->body.size() < content_length) {
      const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) return false;
      request->body.append(buffer, static_cast<size_t>(n));
    }
    request->body.resize(content_length);
    return true;
  }

  FakeReply next_reply(const FakeRequest& request) {
    std::function<FakeReply(const FakeRequest&)> responder;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!script_.empty()) {
        FakeReply reply = std::move(script_.front());
        script_.pop_front();
        return reply;
      }
      if (!responder_) return default_reply_;
      responder = responder_;
    }
    return responder(request);  // outside the lock: responders may block
  }

  void serve(int fd) {
    timeval timeout{10, 0};  // a client that stalls mid-request cannot hold the thread forever
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    FakeRequest request;
    if (read_request(fd, &request)) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        log_.push_back(request);
      }
      const int now_in_flight = ++in_flight_;
      int seen = max_in_flight_.load();
      while (now_in_flight > seen && !max_in_flight_.compare_exchange_weak(seen, now_in_flight)) {
      }
      const FakeReply reply = next_reply(request);
      if (reply.delay_ms > 0) {
        std::unique_lock<std::mutex> lock(mutex_);
        stop_cv_.wait_for(lock, std::chrono::milliseconds(reply.delay_ms),
                          [this] { return stopping_; });
      }
      // Out of flight before the client can see the answer: a client that gets its reply and
      // sends the next request must never be counted twice.
      --in_flight_;
      if (!reply.close_without_reply) {
        std::string response = "HTTP/1.1 " + std::to_string(reply.status) + " " +
                               reason_phrase(reply.status) +
                               "\r\nContent-Type: application/json\r\nContent-Length: " +
                               std::to_string(reply.body.size()) + "\r\nConnection: close\r\n";
        for (const auto& [name, value] : reply.headers) response += name + ": " + value + "\r\n";
        response += "\r\n" + reply.body;
        send_all(fd, response);
      }
    }
    std::lock_guard<std::mutex> lock(mutex_);
    open_fds_.erase(fd);
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread accept_thread_;
  mutable std::mutex mutex_;  // guards everything below except the atomics
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::set<int> open_fds_;
  std::vector<std::thread> connection_threads_;
  std::deque<FakeReply> script_;
  FakeReply default_reply_;
  std::function<FakeReply(const FakeRequest&)> responder_;
  std::vector<FakeRequest> log_;
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
};

}  // namespace bbpt::testing
