#include "testing/fault_proxy.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <utility>

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace timestore::testing {
namespace {

// No single read or write of a healthy exchange waits longer than this.
constexpr std::chrono::milliseconds kIoTimeout{30000};
constexpr size_t kMaxHeadBytes = 64 << 10;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

void SetNoDelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// The head of a request or response: its first line and its headers (names lower-case).
struct Head {
  std::string raw;  // as received, through the blank line
  std::string first_line;
  std::vector<std::pair<std::string, std::string>> headers;

  std::optional<std::string> Header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return std::nullopt;
  }
  bool HasToken(std::string_view name, std::string_view token) const {
    const std::optional<std::string> value = Header(name);
    return value.has_value() && Lower(*value).find(token) != std::string::npos;
  }
  // The raw head without the header lines named `name`.
  std::string Without(std::string_view name) const {
    std::string out;
    size_t pos = 0;
    while (pos < raw.size()) {
      size_t end = raw.find("\r\n", pos);
      end = end == std::string::npos ? raw.size() : end + 2;
      const std::string_view line(raw.data() + pos, end - pos);
      const size_t colon = line.find(':');
      if (pos == 0 || colon == std::string_view::npos ||
          Lower(Trim(line.substr(0, colon))) != name) {
        out.append(line);
      }
      pos = end;
    }
    return out;
  }
};

std::optional<Head> ParseHead(std::string raw) {
  Head head;
  size_t pos = raw.find("\r\n");
  if (pos == std::string::npos) return std::nullopt;
  head.first_line = raw.substr(0, pos);
  pos += 2;
  while (pos < raw.size()) {
    const size_t end = raw.find("\r\n", pos);
    if (end == std::string::npos || end == pos) break;
    const std::string_view line(raw.data() + pos, end - pos);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    head.headers.emplace_back(Lower(Trim(line.substr(0, colon))),
                              std::string(Trim(line.substr(colon + 1))));
    pos = end + 2;
  }
  head.raw = std::move(raw);
  return head;
}

// A connected socket with a read buffer. Every wait also ends when `wake_fd` becomes readable (the
// proxy stops) or after kIoTimeout. Owns the fd.
class Socket {
 public:
  Socket(int fd, int wake_fd) : fd_(fd), wake_fd_(wake_fd) {}
  ~Socket() { Close(); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  bool open() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Waits until the socket is readable (true) or the timeout or a stop (false).
  bool WaitReadable(std::chrono::milliseconds timeout) const {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    while (true) {
      const int n = ::poll(fds, 2, static_cast<int>(timeout.count()));
      if (n < 0 && errno == EINTR) continue;
      return n > 0 && fds[1].revents == 0;
    }
  }

  // Appends what the socket has to the buffer; false on EOF, error, timeout or stop.
  bool Fill() {
    if (fd_ < 0 || !WaitReadable(kIoTimeout)) return false;
    char chunk[16 << 10];
    while (true) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
      return true;
    }
  }

  // Everything through the next "\r\n\r\n"; nullopt on EOF (even a clean one between requests).
  std::optional<Head> ReadHead() {
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (buffer_.size() > kMaxHeadBytes || !Fill()) return std::nullopt;
    }
    std::string raw = buffer_.substr(0, end + 4);
    buffer_.erase(0, end + 4);
    return ParseHead(std::move(raw));
  }

  bool ReadExactly(size_t n, std::string& out) {
    while (buffer_.size() < n) {
      if (!Fill()) return false;
    }
    out.append(buffer_, 0, n);
    buffer_.erase(0, n);
    return true;
  }

  bool ReadLine(std::string& out) {
    size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos) {
      if (!Fill()) return false;
    }
    out.append(buffer_, 0, end + 2);
    buffer_.erase(0, end + 2);
    return true;
  }

  void ReadToEof(std::string& out) {
    while (Fill()) {
    }
    out += buffer_;
    buffer_.clear();
  }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      pollfd fds[2] = {{fd_, POLLOUT, 0}, {wake_fd_, POLLIN, 0}};
      const int ready = ::poll(fds, 2, static_cast<int>(kIoTimeout.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0 || fds[1].revents != 0) return false;
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

 private:
  int fd_;
  int wake_fd_;
  std::string buffer_;  // received, not yet consumed
};

// A body framed as a message of `head` says; appended raw (chunk framing included) to `out`.
// `data_offset` receives the offset in `out` of the first payload byte (npos when there is none).
enum class Framing { kNone, kLength, kChunked, kUntilClose };

Framing FramingOf(const Head& head, bool is_response, bool head_request) {
  if (is_response) {
    const int status =
        std::atoi(head.first_line.c_str() + std::min<size_t>(9, head.first_line.size()));
    if (head_request || status == 204 || status == 304 || (status >= 100 && status < 200)) {
      return Framing::kNone;
    }
  }
  if (head.HasToken("transfer-encoding", "chunked")) return Framing::kChunked;
  if (head.Header("content-length").has_value()) return Framing::kLength;
  return is_response ? Framing::kUntilClose : Framing::kNone;
}

bool ReadBody(Socket& from, const Head& head, Framing framing, std::string& out,
              size_t& data_offset) {
  data_offset = std::string::npos;
  switch (framing) {
    case Framing::kNone:
      return true;
    case Framing::kLength: {
      const long long length = std::atoll(head.Header("content-length")->c_str());
      if (length < 0) return false;
      data_offset = length > 0 ? out.size() : std::string::npos;
      return from.ReadExactly(static_cast<size_t>(length), out);
    }
    case Framing::kUntilClose:
      data_offset = out.size();
      from.ReadToEof(out);
      if (data_offset == out.size()) data_offset = std::string::npos;
      return true;
    case Framing::kChunked:
      while (true) {
        const size_t line_start = out.size();
        if (!from.ReadLine(out)) return false;
        const unsigned long size = std::strtoul(out.c_str() + line_start, nullptr, 16);
        if (size == 0) {  // the last chunk, then trailers up to a blank line
          while (true) {
            const size_t trailer_start = out.size();
            if (!from.ReadLine(out)) return false;
            if (out.size() - trailer_start == 2) return true;
          }
        }
        if (data_offset == std::string::npos) data_offset = out.size();
        if (!from.ReadExactly(size + 2, out)) return false;
      }
  }
  return false;
}

std::string ErrorResponse(int status, std::string_view reason, std::string_view code,
                          std::string_view message) {
  const std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" +
                           std::string(code) + "</Code><Message>" + std::string(message) +
                           "</Message><RequestId>fault-proxy</RequestId></Error>";
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: application/xml\r\nx-amz-request-id: fault-proxy\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

int ConnectTo(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd >= 0) SetNoDelay(fd);
  return fd;
}

}  // namespace

std::string_view FaultActionName(FaultAction action) {
  switch (action) {
    case FaultAction::kPass:
      return "kPass";
    case FaultAction::kRespond503:
      return "kRespond503";
    case FaultAction::kRespondSlowDown:
      return "kRespondSlowDown";
    case FaultAction::kRespond500:
      return "kRespond500";
    case FaultAction::kRespond403:
      return "kRespond403";
    case FaultAction::kDropConnection:
      return "kDropConnection";
    case FaultAction::kStall:
      return "kStall";
    case FaultAction::kTruncateBody:
      return "kTruncateBody";
    case FaultAction::kCorruptBody:
      return "kCorruptBody";
  }
  return "?";
}

Fault Fault::On(std::string method, FaultAction action, std::string target_contains) {
  Fault fault;
  fault.action = action;
  fault.method = std::move(method);
  fault.target_contains = std::move(target_contains);
  return fault;
}

Fault Fault::Stall(std::string method, std::chrono::milliseconds duration) {
  Fault fault = On(std::move(method), FaultAction::kStall);
  fault.stall = duration;
  return fault;
}

std::unique_ptr<FaultProxy> FaultProxy::Start(std::string_view upstream_url) {
  constexpr std::string_view kScheme = "http://";
  std::string_view authority = upstream_url;
  while (authority.ends_with('/')) authority.remove_suffix(1);
  const size_t colon = authority.rfind(':');
  if (!authority.starts_with(kScheme) || colon < kScheme.size() ||
      authority.find('/', kScheme.size()) != std::string_view::npos) {
    ADD_FAILURE() << "FaultProxy: upstream must be http://host:port, got '" << upstream_url << "'";
    return nullptr;
  }
  const std::string host(authority.substr(kScheme.size(), colon - kScheme.size()));
  const int port = std::atoi(std::string(authority.substr(colon + 1)).c_str());
  if (host.empty() || port <= 0 || port > 65535) {
    ADD_FAILURE() << "FaultProxy: bad upstream host or port in '" << upstream_url << "'";
    return nullptr;
  }
  std::unique_ptr<FaultProxy> proxy(new FaultProxy(host, static_cast<uint16_t>(port)));
  if (!proxy->Listen()) return nullptr;
  proxy->acceptor_ = std::jthread([p = proxy.get()] { p->AcceptLoop(); });
  return proxy;
}

FaultProxy::FaultProxy(std::string upstream_host, uint16_t upstream_port)
    : upstream_host_(std::move(upstream_host)), upstream_port_(upstream_port) {}

FaultProxy::~FaultProxy() { Stop(); }

bool FaultProxy::Listen() {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "FaultProxy: pipe2 failed, errno " << errno;
    return false;
  }
  wake_read_fd_ = pipe_fds[0];
  wake_write_fd_ = pipe_fds[1];
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "FaultProxy: cannot listen on 127.0.0.1, errno " << errno;
    return false;
  }
  port_ = ntohs(addr.sin_port);
  return true;
}

void FaultProxy::Stop() {
  if (stopped_.exchange(true)) return;
  if (wake_write_fd_ >= 0) {
    const char byte = 0;
    (void)!::write(wake_write_fd_, &byte, 1);
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::jthread> connections;
  {
    std::lock_guard lock(mu_);
    connections.swap(connections_);
  }
  connections.clear();  // joins
  for (int* fd : {&listen_fd_, &wake_read_fd_, &wake_write_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

std::string FaultProxy::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FaultProxy::Enqueue(Fault fault) {
  std::lock_guard lock(mu_);
  script_.push_back(std::move(fault));
}

void FaultProxy::Enqueue(const Fault& fault, int count) {
  for (int i = 0; i < count; ++i) Enqueue(fault);
}

size_t FaultProxy::PendingFaults() const {
  std::lock_guard lock(mu_);
  return script_.size();
}

void FaultProxy::Reset() {
  std::lock_guard lock(mu_);
  script_.clear();
  requests_.clear();
}

int FaultProxy::RequestCount(std::string_view method) const {
  std::lock_guard lock(mu_);
  return static_cast<int>(std::count_if(
      requests_.begin(), requests_.end(),
      [method](const ProxiedRequest& r) { return method.empty() || r.method == method; }));
}

std::vector<ProxiedRequest> FaultProxy::Requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

Fault FaultProxy::TakeFault(const std::string& method, const std::string& target) {
  std::lock_guard lock(mu_);
  Fault taken;
  for (auto it = script_.begin(); it != script_.end(); ++it) {
    if ((it->method.empty() || it->method == method) &&
        target.find(it->target_contains) != std::string::npos) {
      taken = std::move(*it);
      script_.erase(it);
      break;
    }
  }
  requests_.push_back({method, target, taken.action});
  return taken;
}

void FaultProxy::AcceptLoop() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_read_fd_, POLLIN, 0}};
    const int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || fds[1].revents != 0) return;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    SetNoDelay(fd);
    std::lock_guard lock(mu_);
    connections_.emplace_back([this, fd] { Serve(fd); });
  }
}

void FaultProxy::Serve(int client_fd) {
  Socket client(client_fd, wake_read_fd_);
  while (client.open()) {
    std::optional<Head> request = client.ReadHead();
    if (!request.has_value()) return;
    const std::string& line = request->first_line;
    const size_t sp1 = line.find(' ');
    const size_t sp2 = line.find(' ', sp1 + 1);
    if (sp1 == std::string::npos || sp2 == std::string::npos) return;
    const std::string method = line.substr(0, sp1);
    const std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);

    // Answer "100 Continue" ourselves, so the whole request is in hand before any fault, and
    // forward it without the Expect header (which clients do not sign).
    const Framing request_framing = FramingOf(*request, /*is_response=*/false, false);
    const bool expect_continue =
        request->HasToken("expect", "100-continue") && request_framing != Framing::kNone;
    if (expect_continue && !client.Send("HTTP/1.1 100 Continue\r\n\r\n")) return;
    std::string request_bytes = expect_continue ? request->Without("expect") : request->raw;
    size_t ignored = 0;
    if (!ReadBody(client, *request, request_framing, request_bytes, ignored)) return;

    const Fault fault = TakeFault(method, target);
    switch (fault.action) {
      case FaultAction::kRespond503:
        if (!client.Send(ErrorResponse(503, "Service Unavailable", "ServiceUnavailable",
                                       "Please reduce your request rate."))) {
          return;
        }
        continue;
      case FaultAction::kRespondSlowDown:
        if (!client.Send(
                ErrorResponse(503, "Slow Down", "SlowDown", "Please reduce your request rate."))) {
          return;
        }
        continue;
      case FaultAction::kRespond500:
        if (!client.Send(ErrorResponse(500, "Internal Server Error", "InternalError",
                                       "We encountered an internal error. Please try again."))) {
          return;
        }
        continue;
      case FaultAction::kRespond403:
        if (!client.Send(ErrorResponse(403, "Forbidden", "AccessDenied", "Access Denied"))) {
          return;
        }
        continue;
      case FaultAction::kDropConnection:
        return;
      case FaultAction::kStall: {
        // Answer nothing; end early when the client gives up (EOF) or the proxy stops.
        const auto deadline = std::chrono::steady_clock::now() + fault.stall;
        while (true) {
          const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
              deadline - std::chrono::steady_clock::now());
          if (left.count() <= 0 || !client.WaitReadable(left)) return;
          std::string discard;
          if (!client.ReadExactly(1, discard)) return;
        }
      }
      case FaultAction::kPass:
      case FaultAction::kTruncateBody:
      case FaultAction::kCorruptBody:
        break;
    }

    Socket upstream(ConnectTo(upstream_host_, upstream_port_), wake_read_fd_);
    if (!upstream.open() || !upstream.Send(request_bytes)) return;
    std::optional<Head> response;
    while (true) {
      response = upstream.ReadHead();
      if (!response.has_value()) return;
      const bool interim = response->first_line.size() > 9 && response->first_line[9] == '1';
      if (!interim) break;
      if (!client.Send(response->raw)) return;
    }
    const Framing framing = FramingOf(*response, /*is_response=*/true, method == "HEAD");
    std::string body;
    size_t data_offset = 0;
    if (!ReadBody(upstream, *response, framing, body, data_offset)) return;
    upstream.Close();

    if (fault.action == FaultAction::kTruncateBody) {
      (void)client.Send(response->raw + body.substr(0, body.size() / 2));
      return;
    }
    if (fault.action == FaultAction::kCorruptBody && data_offset != std::string::npos) {
      // The middle of the payload; for chunked framing the first payload byte (never framing).
      const size_t at = framing == Framing::kChunked
                            ? data_offset
                            : data_offset + (body.size() - data_offset) / 2;
      body[at] = static_cast<char>(body[at] ^ 0x01);
    }
    if (!client.Send(response->raw) || !client.Send(body)) return;
    if (framing == Framing::kUntilClose || response->HasToken("connection", "close") ||
        request->HasToken("connection", "close")) {
      return;
    }
  }
}

}  // namespace timestore::testing
