#include "testing/raw_http_client.h"

#include <cerrno>
#include <cstdlib>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace timestore::testing {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

}  // namespace

std::string RawResponse::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

RawHttpClient::RawHttpClient(uint16_t port, std::chrono::milliseconds timeout) : timeout_(timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    connect_error_ = errno;
    ::close(fd_);
    fd_ = -1;
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

RawHttpClient::~RawHttpClient() { Close(); }

void RawHttpClient::Close(bool reset) {
  if (fd_ < 0) return;
  if (reset) {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  ::close(fd_);
  fd_ = -1;
}

bool RawHttpClient::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool RawHttpClient::Fill() {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout_.count())) <= 0) return false;
  char buf[65536];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) return false;
  buffer_.append(buf, static_cast<size_t>(n));
  return true;
}

std::optional<std::string> RawHttpClient::ReadLine() {
  size_t pos;
  while ((pos = buffer_.find("\r\n")) == std::string::npos) {
    if (!Fill()) return std::nullopt;
  }
  std::string line = buffer_.substr(0, pos);
  buffer_.erase(0, pos + 2);
  return line;
}

bool RawHttpClient::ReadExactly(size_t n, std::string* out) {
  while (buffer_.size() < n) {
    if (!Fill()) return false;
  }
  if (out != nullptr) out->append(buffer_, 0, n);
  buffer_.erase(0, n);
  return true;
}

std::optional<RawResponse> RawHttpClient::ReadHead() {
  auto status_line = ReadLine();
  if (!status_line || status_line->rfind("HTTP/1.", 0) != 0 || status_line->size() < 12) {
    return std::nullopt;
  }
  RawResponse r;
  r.status = std::atoi(status_line->c_str() + 9);
  while (true) {
    auto line = ReadLine();
    if (!line) return std::nullopt;
    if (line->empty()) break;
    const size_t colon = line->find(':');
    if (colon == std::string::npos) return std::nullopt;
    size_t v = colon + 1;
    while (v < line->size() && (*line)[v] == ' ') ++v;
    r.headers[Lower(line->substr(0, colon))] = line->substr(v);
  }
  return r;
}

bool RawHttpClient::ReadChunkedBody(const std::function<void(std::string_view)>& on_data) {
  while (true) {
    auto size_line = ReadLine();
    if (!size_line) return false;
    char* end = nullptr;
    const unsigned long long size = std::strtoull(size_line->c_str(), &end, 16);
    if (end == size_line->c_str()) return false;
    if (size == 0) return ReadLine().has_value();  // no trailers are sent
    size_t left = size;
    while (left > 0) {
      if (buffer_.empty() && !Fill()) return false;
      const size_t take = std::min(left, buffer_.size());
      on_data(std::string_view(buffer_).substr(0, take));
      buffer_.erase(0, take);
      left -= take;
    }
    auto crlf = ReadLine();
    if (!crlf || !crlf->empty()) return false;
  }
}

std::optional<RawResponse> RawHttpClient::ReadResponse(bool head_request) {
  auto r = ReadHead();
  if (!r) return std::nullopt;
  if (head_request || r->status == 204 || r->status == 304 || r->status / 100 == 1) return r;
  if (Lower(r->Header("transfer-encoding")) == "chunked") {
    if (!ReadChunkedBody([&](std::string_view d) { r->body.append(d); })) return std::nullopt;
  } else if (r->headers.count("content-length") != 0) {
    if (!ReadExactly(std::strtoull(r->Header("content-length").c_str(), nullptr, 10), &r->body)) {
      return std::nullopt;
    }
  } else {
    while (Fill()) {
    }
    r->body = std::move(buffer_);
    buffer_.clear();
  }
  return r;
}

std::optional<RawResponse> RawHttpClient::Roundtrip(std::string_view request, bool head_request) {
  if (!Send(request)) return std::nullopt;
  return ReadResponse(head_request);
}

bool RawHttpClient::WaitReadable(std::chrono::milliseconds timeout) {
  if (!buffer_.empty()) return true;
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

bool RawHttpClient::WaitForClose(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  buffer_.clear();
  while (fd_ >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    if (::recv(fd_, buf, sizeof buf, 0) <= 0) return true;
  }
  return true;
}

std::string MakeRequest(std::string_view method, std::string_view target,
                        std::string_view extra_headers, std::optional<std::string_view> body) {
  std::string r;
  r.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: test\r\n");
  r.append(extra_headers);
  if (body) r.append("Content-Length: ").append(std::to_string(body->size())).append("\r\n");
  r.append("\r\n");
  if (body) r.append(*body);
  return r;
}

}  // namespace timestore::testing
