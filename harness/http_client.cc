#include "harness/http_client.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

namespace timestore::harness {

namespace {

std::string Errno(std::string_view what) { return std::string(what) + ": " + std::strerror(errno); }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

HttpClient::HttpClient(std::string host, uint16_t port, std::chrono::milliseconds io_timeout)
    : host_(std::move(host)), port_(port), io_timeout_(io_timeout) {}

HttpClient::HttpClient(HttpClient&& other) noexcept
    : host_(std::move(other.host_)),
      port_(other.port_),
      io_timeout_(other.io_timeout_),
      fd_(std::exchange(other.fd_, -1)),
      buffer_(std::move(other.buffer_)),
      connects_(other.connects_) {}

HttpClient& HttpClient::operator=(HttpClient&& other) noexcept {
  if (this != &other) {
    Close();
    host_ = std::move(other.host_);
    port_ = other.port_;
    io_timeout_ = other.io_timeout_;
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
    connects_ = other.connects_;
  }
  return *this;
}

HttpClient::~HttpClient() { Close(); }

void HttpClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

common::Status HttpClient::Connect() {
  Close();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  if (::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) {
    return common::InvalidArgument("not an IPv4 address: " + host_);
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return common::Unavailable(Errno("socket"));
  const int one = 1;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(io_timeout_.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>(io_timeout_.count() % 1000 * 1000);
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
    common::Status s = common::Internal(Errno("setsockopt"));
    ::close(fd);
    return s;
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    common::Status s =
        common::Unavailable(Errno("connect to " + host_ + ":" + std::to_string(port_)));
    ::close(fd);
    return s;
  }
  fd_ = fd;
  ++connects_;
  return common::Status::Ok();
}

common::Result<HttpResponse> HttpClient::Request(std::string_view method, std::string_view target,
                                                 std::string_view content_type,
                                                 std::string_view body) {
  std::string head;
  head.reserve(256);
  head.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ");
  head.append(host_).append(":").append(std::to_string(port_)).append("\r\n");
  if (!content_type.empty()) head.append("Content-Type: ").append(content_type).append("\r\n");
  if (!body.empty() || method == "POST" || method == "PUT") {
    head.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  head.append("Connection: keep-alive\r\n\r\n");

  const bool reused = fd_ >= 0;
  bool nothing_received = false;
  common::Result<HttpResponse> result = RequestOnce(head, body, &nothing_received);
  if (!result.ok() && reused && nothing_received) {
    // The server closed an idle keep-alive connection under us: one retry on a fresh one.
    Close();
    result = RequestOnce(head, body, &nothing_received);
  }
  if (!result.ok()) Close();
  return result;
}

common::Result<HttpResponse> HttpClient::RequestOnce(std::string_view head, std::string_view body,
                                                     bool* nothing_received) {
  *nothing_received = true;
  if (fd_ < 0) TS_RETURN_IF_ERROR(Connect());
  TS_RETURN_IF_ERROR(SendAll(head, body));
  return ReadResponse(nothing_received);
}

common::Status HttpClient::SendAll(std::string_view head, std::string_view body) {
  iovec iov[2] = {{const_cast<char*>(head.data()), head.size()},
                  {const_cast<char*>(body.data()), body.size()}};
  int first = 0;
  while (first < 2) {
    msghdr msg{};
    msg.msg_iov = iov + first;
    msg.msg_iovlen = static_cast<size_t>(2 - first);
    const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return common::Unavailable(Errno("send"));
    }
    auto left = static_cast<size_t>(n);
    while (first < 2 && left >= iov[first].iov_len) {
      left -= iov[first].iov_len;
      ++first;
    }
    if (first < 2) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return common::Status::Ok();
}

common::Result<size_t> HttpClient::Receive() {
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n >= 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      return static_cast<size_t>(n);
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return common::Unavailable("no response within " + std::to_string(io_timeout_.count()) +
                                 " ms");
    }
    return common::Unavailable(Errno("recv"));
  }
}

common::Result<HttpResponse> HttpClient::ReadResponse(bool* nothing_received) {
  for (;;) {  // loops over interim 1xx responses
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (buffer_.size() > size_t{64} * 1024)
        return common::Internal("response header above 64 KiB");
      TS_ASSIGN_OR_RETURN(size_t n, Receive());
      if (n == 0) return common::Unavailable("connection closed before a complete response");
      *nothing_received = false;
    }
    *nothing_received = false;
    const std::string_view head(buffer_.data(), header_end);
    // Status line: HTTP/1.1 201 Created
    const size_t line_end = head.find("\r\n");
    const std::string_view status_line = head.substr(0, line_end);
    HttpResponse response;
    if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/" ||
        std::from_chars(status_line.data() + 9, status_line.data() + 12, response.status).ec !=
            std::errc()) {
      return common::Internal("bad status line: " + std::string(status_line));
    }
    std::optional<size_t> content_length;
    bool chunked = false;
    bool close = status_line.substr(0, 8) == "HTTP/1.0";
    std::string_view rest =
        line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
    while (!rest.empty()) {
      const size_t eol = rest.find("\r\n");
      const std::string_view line = rest.substr(0, eol);
      rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      const std::string_view name = line.substr(0, colon);
      const std::string_view value = Trim(line.substr(colon + 1));
      if (EqualsIgnoreCase(name, "content-length")) {
        size_t n = 0;
        if (std::from_chars(value.data(), value.data() + value.size(), n).ec != std::errc()) {
          return common::Internal("bad Content-Length: " + std::string(value));
        }
        content_length = n;
      } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
        // The last coding must be chunked for the body to have a framing (RFC 9112 6.3); this
        // client asks for no other coding, so "chunked" is the only value it accepts.
        if (!EqualsIgnoreCase(value, "chunked")) {
          return common::Internal("unsupported Transfer-Encoding: " + std::string(value));
        }
        chunked = true;
      } else if (EqualsIgnoreCase(name, "connection")) {
        close = EqualsIgnoreCase(value, "close");
      } else if (EqualsIgnoreCase(name, "retry-after")) {
        double seconds = 0;
        if (std::from_chars(value.data(), value.data() + value.size(), seconds).ec == std::errc()) {
          response.retry_after_seconds = seconds;
        }
      }
    }
    buffer_.erase(0, header_end + 4);
    if (response.status >= 100 && response.status < 200) continue;

    if (chunked) {
      // Transfer-Encoding wins over a Content-Length (RFC 9112 6.3).
      TS_ASSIGN_OR_RETURN(response.body, ReadChunkedBody());
    } else if (content_length) {
      while (buffer_.size() < *content_length) {
        TS_ASSIGN_OR_RETURN(size_t n, Receive());
        if (n == 0) return common::Unavailable("connection closed inside a response body");
      }
      response.body = buffer_.substr(0, *content_length);
      buffer_.erase(0, *content_length);
    } else if (response.status == 204 || response.status == 304) {
      // No body.
    } else {
      // Body ends at close.
      for (;;) {
        TS_ASSIGN_OR_RETURN(size_t n, Receive());
        if (n == 0) break;
      }
      response.body = std::move(buffer_);
      buffer_.clear();
      close = true;
    }
    if (close) Close();
    return response;
  }
}

common::Result<size_t> HttpClient::ReceiveLine() {
  size_t from = 0;
  for (;;) {
    const size_t eol = buffer_.find("\r\n", from);
    if (eol != std::string::npos) return eol;
    if (buffer_.size() > kMaxChunkLineBytes) {
      return common::Internal("chunk-size line or trailer field above " +
                              std::to_string(kMaxChunkLineBytes) + " bytes");
    }
    from = buffer_.empty() ? 0 : buffer_.size() - 1;  // a CR may end the bytes read so far
    TS_ASSIGN_OR_RETURN(size_t n, Receive());
    if (n == 0) return common::Unavailable("connection closed inside a chunked response body");
  }
}

common::Result<std::string> HttpClient::ReadChunkedBody() {
  // chunked-body = *chunk last-chunk trailer-section CRLF (RFC 9112 7.1)
  //   chunk      = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
  //   last-chunk = 1*("0") [ chunk-ext ] CRLF
  std::string body;
  for (;;) {
    TS_ASSIGN_OR_RETURN(size_t eol, ReceiveLine());
    const std::string_view line(buffer_.data(), eol);
    // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ): ignored, as RFC 9112 allows.
    const std::string_view size_text = Trim(line.substr(0, line.find(';')));
    uint64_t size = 0;
    const auto [end, ec] =
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (size_text.empty() || ec != std::errc() || end != size_text.data() + size_text.size()) {
      return common::Internal("bad chunk-size line: '" + std::string(line.substr(0, 80)) + "'");
    }
    buffer_.erase(0, eol + 2);
    if (size == 0) break;
    if (size > kMaxBodyBytes - body.size()) {
      return common::Internal("chunked response body above " + std::to_string(kMaxBodyBytes) +
                              " bytes");
    }
    while (buffer_.size() < size + 2) {
      TS_ASSIGN_OR_RETURN(size_t n, Receive());
      if (n == 0) return common::Unavailable("connection closed inside a response chunk");
    }
    if (buffer_.compare(size, 2, "\r\n") != 0) {
      return common::Internal("chunk data not followed by CRLF");
    }
    body.append(buffer_, 0, size);
    buffer_.erase(0, size + 2);
  }
  // trailer-section = *( field-line CRLF ), then the final CRLF. Trailer fields are dropped.
  for (;;) {
    TS_ASSIGN_OR_RETURN(size_t eol, ReceiveLine());
    buffer_.erase(0, eol + 2);
    if (eol == 0) break;
  }
  return body;
}

}  // namespace timestore::harness
