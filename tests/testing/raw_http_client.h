// RawHttpClient: a small blocking HTTP/1.1 client over a POSIX socket, for tests that need control
// over the bytes (half-sent headers, pipelining, not reading, disconnecting mid-stream). Every read
// waits at most `timeout`. Not thread-safe; one per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace timestore::testing {

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
  // The value of header `name` (lower-case), or "" when absent.
  std::string Header(const std::string& name) const;
};

class RawHttpClient {
 public:
  // Connects to 127.0.0.1:`port`; check connected().
  explicit RawHttpClient(uint16_t port,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~RawHttpClient();
  RawHttpClient(const RawHttpClient&) = delete;
  RawHttpClient& operator=(const RawHttpClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // errno of a failed connect (ECONNREFUSED ...), 0 when connected.
  int connect_error() const { return connect_error_; }

  bool Send(std::string_view bytes);
  // Reads one response; the body by Content-Length, chunked framing or (without either) until EOF.
  // `head_request` means the response has no body whatever its headers say. nullopt on
  // timeout, EOF before a complete response, or garbage.
  std::optional<RawResponse> ReadResponse(bool head_request = false);
  // Reads only the status line and headers.
  std::optional<RawResponse> ReadHead();
  // After ReadHead of a chunked response: calls `on_data` for every piece of body; true when the
  // final chunk arrived, false on EOF/timeout/garbage first.
  bool ReadChunkedBody(const std::function<void(std::string_view)>& on_data);
  // Sends a request and reads the response.
  std::optional<RawResponse> Roundtrip(std::string_view request, bool head_request = false);
  // Reads and discards until the server closes the connection (EOF or reset): true, or false when
  // it is still open after `timeout`.
  bool WaitForClose(std::chrono::milliseconds timeout);
  // True when a response byte (or EOF) is ready within `timeout`.
  bool WaitReadable(std::chrono::milliseconds timeout);
  // Closes the socket at once; with SO_LINGER 0 (`reset`) the peer sees a reset.
  void Close(bool reset = false);

 private:
  bool Fill();  // appends what the socket has to buffer_; false on EOF, error or timeout
  std::optional<std::string> ReadLine();
  bool ReadExactly(size_t n, std::string* out);

  int fd_ = -1;
  int connect_error_ = 0;
  std::chrono::milliseconds timeout_;
  std::string buffer_;  // received, not yet consumed
};

// "GET /x HTTP/1.1\r\nHost: test\r\n<extra>\r\n" (+ Content-Length and body when `body` is set).
std::string MakeRequest(std::string_view method, std::string_view target,
                        std::string_view extra_headers = "",
                        std::optional<std::string_view> body = std::nullopt);

}  // namespace timestore::testing
