// HttpClient: one blocking HTTP/1.1 keep-alive connection to an IPv4 server, for benchmark load.
// Plain POSIX sockets with TCP_NODELAY; requests carry Content-Length, responses may be framed by
// Content-Length, by chunked Transfer-Encoding (chunk extensions and trailer fields are read and
// dropped) or by the connection's close. Move-only; one thread at a time. Reconnects lazily: after
// the server closed the connection, and once per request when a reused connection turns out dead
// before any response byte arrived (the request is then sent again, so only use it for requests
// that are safe to repeat: GETs and ingests carrying an idempotency key).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace timestore::harness {

struct HttpResponse {
  int status = 0;
  std::string body;
  // Retry-After in seconds (delta-seconds form; fractions accepted), when present.
  std::optional<double> retry_after_seconds;
};

class HttpClient {
 public:
  // Does not connect yet. `io_timeout` bounds each connect, send and receive call.
  HttpClient(std::string host, uint16_t port,
             std::chrono::milliseconds io_timeout = std::chrono::minutes(5));
  HttpClient(HttpClient&& other) noexcept;
  HttpClient& operator=(HttpClient&& other) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient();

  // Opens the connection now (otherwise the first request does). kUnavailable on failure.
  common::Status Connect();

  // Sends one request and reads its response. `content_type` is omitted when empty. Any HTTP status
  // is a successful Result; transport and framing failures are kUnavailable (connection refused,
  // reset, timeout) or kInternal (a response this client cannot parse).
  common::Result<HttpResponse> Request(std::string_view method, std::string_view target,
                                       std::string_view content_type, std::string_view body);

  // Closes the connection; the next request reconnects.
  void Close();

  uint64_t connects() const { return connects_; }  // connections opened so far

 private:
  common::Result<HttpResponse> RequestOnce(std::string_view head, std::string_view body,
                                           bool* nothing_received);
  common::Status SendAll(std::string_view head, std::string_view body);
  // Reads one response; `*nothing_received` tells whether the connection died before its first
  // byte.
  common::Result<HttpResponse> ReadResponse(bool* nothing_received);
  // Receives more bytes into buffer_; 0 at orderly close.
  common::Result<size_t> Receive();
  // Receives until buffer_ holds a CRLF; returns the offset of its CR.
  common::Result<size_t> ReceiveLine();
  // Reads a chunked body (after the header) up to and including the final CRLF after the trailer
  // section; returns the decoded bytes. kInternal for a malformed chunk-size line or a missing
  // CRLF after chunk data, kUnavailable when the connection closes early.
  common::Result<std::string> ReadChunkedBody();

  // Bounds on what a chunked response may hold, so a broken server cannot exhaust memory.
  static constexpr size_t kMaxChunkLineBytes = size_t{64} * 1024;
  static constexpr uint64_t kMaxBodyBytes = uint64_t{4} << 30;

  std::string host_;
  uint16_t port_;
  std::chrono::milliseconds io_timeout_;
  int fd_ = -1;         // -1 when not connected
  std::string buffer_;  // bytes received but not consumed yet
  uint64_t connects_ = 0;
};

}  // namespace timestore::harness
