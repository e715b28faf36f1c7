// The only translation unit of timestore that includes Boost.Beast/Asio (it takes ~20 s to
// compile).
//
// Shape: one acceptor on its own strand; one Connection per socket, all of whose members are
// touched only on that connection's strand. A connection reads one request at a time (header, then
// body), hands the Request to the WorkerPool, and the worker posts the Response back to the strand.
// Streamed bodies are written from the worker: each chunk is posted to the strand and the worker
// blocks until the write completes, which is the back-pressure BodySink promises.
#include "http/server.h"

#include <array>
#include <atomic>
#include <cassert>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <stop_token>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "common/text.h"
#include "http/access_log.h"
#include "http/error_response.h"
#include "http/message_rules.h"
#include "http/worker_pool.h"

namespace timestore::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using common::Status;

constexpr size_t kStreamChunkBytes = 64 << 10;  // BodySink coalesces writes up to this size
constexpr size_t kFirstReadBytes = 4096;        // first read of a request, while idle
constexpr auto kLingerTimeout = std::chrono::seconds(2);  // drain after "Connection: close"

std::string FormatEndpoint(const tcp::endpoint& ep) {
  beast::error_code ec;
  const std::string addr = ep.address().to_string(ec);
  if (ep.address().is_v6()) return "[" + addr + "]:" + std::to_string(ep.port());
  return addr + ":" + std::to_string(ep.port());
}

bool IsParseError(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

class Connection;

// Everything connections share. Owned by Server::Impl; outlives every Connection (Stop() destroys
// the io_context, and with it any handler still owning a connection, before this goes away).
class ServerCore {
 public:
  ServerCore(ServerOptions options, Router router, observability::Logger logger,
             observability::MetricsRegistry* metrics)
      : options_(std::move(options)),
        router_(std::move(router)),
        logger_(std::move(logger)),
        access_log_(logger_, metrics) {}

  Status Start();
  void Stop();
  uint16_t port() const { return port_.load(); }

  const ServerOptions& options() const { return options_; }
  const Router& router() const { return router_; }
  const observability::Logger& logger() const { return logger_; }
  WorkerPool& pool() { return *pool_; }
  bool stopping() const { return stopping_.load(); }
  std::stop_token shutdown_token() const { return shutdown_.get_token(); }

  void Register(const std::shared_ptr<Connection>& connection);
  void Unregister(Connection* connection);
  // Writes the access-log line and updates the metrics of one finished exchange.
  void Record(const Exchange& exchange, const std::string& remote) const {
    access_log_.Record(exchange, remote);
  }

 private:
  void RunIoThread();
  void DoAccept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  std::vector<std::shared_ptr<Connection>> SnapshotConnections();
  // Waits until no connection is left or `deadline` passes; returns how many are left.
  size_t WaitForConnections(Clock::time_point deadline);

  const ServerOptions options_;
  const Router router_;
  const observability::Logger logger_;
  const AccessLog access_log_;

  std::optional<net::io_context> ioc_;  // engaged between Start() and the end of Stop()
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::optional<tcp::acceptor> acceptor_;  // its executor is a strand; touched only there
  std::optional<net::steady_timer> accept_retry_timer_;  // same strand as the acceptor
  std::vector<std::jthread> io_threads_;
  std::unique_ptr<WorkerPool> pool_;
  std::atomic<uint16_t> port_{0};
  std::atomic<bool> stopping_{false};
  std::stop_source shutdown_;  // requested when the shutdown grace is over

  std::mutex connections_mu_;
  std::condition_variable connections_cv_;  // notified when a connection unregisters
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections_;

  std::mutex lifecycle_mu_;  // serializes Start and Stop
  bool started_ = false;
  bool stopped_ = false;
};

// One client connection. All members are used on the connection's strand only, except where a
// method says it runs on a worker thread.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ServerCore& core, tcp::socket&& socket)
      : core_(core), stream_(std::move(socket)), accepted_at_(Clock::now()) {
    beast::error_code ec;
    const tcp::endpoint remote = stream_.socket().remote_endpoint(ec);
    remote_ = ec ? std::string("unknown") : FormatEndpoint(remote);
  }
  ~Connection() { core_.Unregister(this); }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadNextRequest(); });
  }
  // Closes the connection if it is between requests (or lingering after its last one). Thread-safe.
  void CloseIfIdle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->phase_ == Phase::kIdle || self->phase_ == Phase::kLingering) self->Close();
    });
  }
  // Closes the connection whatever it is doing; pending reads and writes fail. Thread-safe.
  void ForceClose() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

  // Worker thread: sends `data` as one chunk and waits until the socket took it.
  beast::error_code WriteChunkAndWait(std::string_view data);

 private:
  enum class Phase { kIdle, kReading, kHandling, kWriting, kLingering, kClosed };
  using Done = std::function<void(beast::error_code)>;

  void ReadNextRequest();
  void OnFirstBytes(beast::error_code ec, size_t n);
  void ReadHeader();
  void OnHeader(beast::error_code ec);
  void ReadBody();
  void OnReadError(beast::error_code ec);
  void Dispatch();
  void Reject(int status, std::string_view message);

  // Worker thread.
  void RunHandler(Request& request, const Handler* handler, bool head);
  void StreamOnWorker(Response response, bool head, std::optional<std::string> actor);
  beast::error_code CallOnStrandAndWait(std::function<void(Done)> initiate);

  template <class Body>
  void FillHeader(bhttp::response<Body>& header, const Response& response);
  void SendResponse(Response response);
  void WriteStreamHeader(const Response& response, Done done);
  void FinishStream(const Status& status, uint64_t bytes, bool body_sent);
  void OnResponseWritten(beast::error_code ec);
  void LingerAndClose();
  void Drain();
  void Close();

  ServerCore& core_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::string remote_;
  const Clock::time_point accepted_at_;
  Phase phase_ = Phase::kIdle;
  bool first_request_ = true;
  Clock::time_point header_deadline_;

  // The exchange in progress.
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Exchange exchange_;
  unsigned version_ = 11;
  bool head_ = false;
  bool close_after_response_ = false;
  bool chunked_ = false;  // the streamed body uses chunked framing (HTTP/1.1)
  std::optional<bhttp::response<bhttp::string_body>> response_;
  std::optional<bhttp::response<bhttp::empty_body>> stream_header_;
  std::optional<bhttp::response_serializer<bhttp::empty_body>> stream_serializer_;
  std::array<char, 4096> discard_{};
};

// The BodySink of one streamed response; lives on the worker's stack during Response::stream.
class ChunkSink final : public BodySink {
 public:
  explicit ChunkSink(Connection& connection) : connection_(connection) {}

  Status Write(std::string_view data) override {
    if (!status_.ok()) return status_;
    if (data.size() >= kStreamChunkBytes) {  // large: send as is, without copying
      TS_RETURN_IF_ERROR(Flush());
      return Send(data);
    }
    buffer_.append(data);
    if (buffer_.size() >= kStreamChunkBytes) return Flush();
    return Status::Ok();
  }

  Status Flush() override {
    if (!status_.ok() || buffer_.empty()) return status_;
    Status s = Send(buffer_);
    buffer_.clear();
    return s;
  }

  uint64_t bytes() const { return bytes_; }

 private:
  Status Send(std::string_view data) {
    if (data.empty()) return Status::Ok();
    const beast::error_code ec = connection_.WriteChunkAndWait(data);
    if (ec) {
      status_ = common::Unavailable("client connection closed during a streamed response: " +
                                    ec.message());
      return status_;
    }
    bytes_ += data.size();
    return Status::Ok();
  }

  Connection& connection_;
  std::string buffer_;
  uint64_t bytes_ = 0;
  Status status_;  // sticky: the first failure
};

// ---------------------------------------------------------------------------------------------
// Reading a request.

void Connection::ReadNextRequest() {
  if (phase_ == Phase::kClosed) return;
  if (core_.stopping()) {
    Close();
    return;
  }
  const ServerOptions& options = core_.options();
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
  parser_->body_limit(options.body_limit_bytes);
  exchange_ = Exchange{};
  head_ = false;
  close_after_response_ = false;
  version_ = 11;

  if (buffer_.size() > 0) {  // pipelined: the next request has started already
    header_deadline_ = Clock::now() + options.header_timeout;
    ReadHeader();
    return;
  }
  // Idle until the first byte: the keep-alive timeout applies, or for a new connection the header
  // timeout counted from the accept.
  phase_ = Phase::kIdle;
  stream_.expires_at(first_request_ ? accepted_at_ + options.header_timeout
                                    : Clock::now() + options.keep_alive_timeout);
  stream_.async_read_some(
      buffer_.prepare(kFirstReadBytes),
      [self = shared_from_this()](beast::error_code ec, size_t n) { self->OnFirstBytes(ec, n); });
}

void Connection::OnFirstBytes(beast::error_code ec, size_t n) {
  if (ec) {  // the client closed, the idle timeout fired, or the server closed us
    Close();
    return;
  }
  buffer_.commit(n);
  exchange_.start = Clock::now();
  header_deadline_ = first_request_ ? accepted_at_ + core_.options().header_timeout
                                    : exchange_.start + core_.options().header_timeout;
  ReadHeader();
}

void Connection::ReadHeader() {
  phase_ = Phase::kReading;
  stream_.expires_at(header_deadline_);
  bhttp::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
}

void Connection::OnHeader(beast::error_code ec) {
  if (ec) {
    OnReadError(ec);
    return;
  }
  if (parser_->is_done()) {
    Dispatch();
    return;
  }
  const auto& header = parser_->get();
  if (common::EqualsIgnoreCase(header[bhttp::field::expect], "100-continue")) {
    // The body is within limits (checked from Content-Length already): invite the client to send
    // it.
    auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_,
                                                                     header.version());
    stream_.expires_after(core_.options().write_timeout);
    bhttp::async_write(stream_, *cont,
                       [self = shared_from_this(), cont](beast::error_code write_ec, size_t) {
                         if (write_ec) {
                           self->Close();
                         } else {
                           self->ReadBody();
                         }
                       });
    return;
  }
  ReadBody();
}

void Connection::ReadBody() {
  phase_ = Phase::kReading;
  stream_.expires_after(core_.options().body_timeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      if (ec) {
                        self->OnReadError(ec);
                      } else {
                        self->Dispatch();
                      }
                    });
}

void Connection::OnReadError(beast::error_code ec) {
  if (ec == bhttp::error::body_limit) {
    Reject(413, "Request body is too large");
  } else if (ec == bhttp::error::header_limit) {
    Reject(431, "Request header is too large");
  } else if (ec == beast::error::timeout) {
    // tcp_stream closed the socket already; there is no way to answer.
    core_.logger().Debug(
        "request timed out",
        observability::LogFields().Add("remote", remote_).Add("url", exchange_.url));
    Close();
  } else if (IsParseError(ec) && ec != bhttp::error::end_of_stream &&
             ec != bhttp::error::partial_message) {
    Reject(400, "Malformed HTTP request: " + ec.message());
  } else {
    Close();  // the client went away (EOF, reset) or we closed the socket
  }
}

// Answers an unreadable or over-limit request and closes the connection afterwards (the rest of
// the request is not read).
void Connection::Reject(int status, std::string_view message) {
  const auto& header = parser_->get();
  exchange_.method = std::string(header.method_string());
  exchange_.url = std::string(header.target());
  version_ = header.version() == 10 ? 10 : 11;
  head_ = header.method() == bhttp::verb::head;
  const auto id = header.find("x-request-id");
  exchange_.request_id = RequestIdFor(
      id != header.end() ? std::optional<std::string_view>(id->value()) : std::nullopt);
  close_after_response_ = true;
  SendResponse(ErrorResponse(status, message));
}

void Connection::Dispatch() {
  phase_ = Phase::kHandling;
  stream_.expires_never();
  bhttp::request<bhttp::string_body> message = parser_->release();
  version_ = message.version() == 10 ? 10 : 11;
  close_after_response_ = !message.keep_alive();

  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  SplitTarget(request);
  request.headers.reserve(static_cast<size_t>(std::distance(message.begin(), message.end())));
  for (const auto& field : message) {
    request.headers.emplace_back(common::ToLowerAscii(field.name_string()),
                                 std::string(field.value()));
  }
  request.body = std::move(message.body());
  request.remote_address = remote_;
  request.request_id = RequestIdFor(request.Header("x-request-id"));

  exchange_.method = request.method;
  exchange_.url = request.target;
  exchange_.request_id = request.request_id;
  head_ = request.method == "HEAD";

  if (!PercentDecode(request.path)) {
    SendResponse(ErrorResponse(400, "'" + request.path + "' is not a valid url component"));
    return;
  }
  RouteMatch match = core_.router().Match(request.method, request.path);
  exchange_.route = std::string(match.pattern);
  if (match.kind == RouteMatch::Kind::kNotFound) {
    SendResponse(
        ErrorResponse(404, "Route " + request.method + ":" + request.target + " not found"));
    return;
  }
  if (match.kind == RouteMatch::Kind::kMethodNotAllowed) {
    std::string allow;
    for (const std::string& m : match.allowed_methods) allow += (allow.empty() ? "" : ", ") + m;
    Response response = ErrorResponse(405, "Method " + request.method + " is not allowed on " +
                                               request.path + " (allowed: " + allow + ")");
    response.headers.emplace_back("Allow", allow);
    SendResponse(std::move(response));
    return;
  }
  if (std::optional<Response> refused = CheckContentType(request)) {
    SendResponse(std::move(*refused));
    return;
  }
  request.route = exchange_.route;
  request.path_params = std::move(match.params);
  request.stop_token = core_.shutdown_token();
  const bool queued = core_.pool().TrySubmit(
      [self = shared_from_this(), request = std::move(request), handler = match.handler,
       head = head_]() mutable { self->RunHandler(request, handler, head); });
  if (!queued) {
    Response busy = ErrorResponse(503, "Server is busy, try again later");
    busy.headers.emplace_back("Retry-After", "1");
    SendResponse(std::move(busy));
  }
}

// ---------------------------------------------------------------------------------------------
// Running the handler (worker thread).

void Connection::RunHandler(Request& request, const Handler* handler, bool head) {
  if (core_.options().identify) request.identity = core_.options().identify(request);
  Response response;
  try {
    response = (*handler)(request);
  } catch (const std::exception& e) {
    core_.logger().Error("request handler threw", observability::LogFields()
                                                      .Add("request_id", request.request_id)
                                                      .Add("route", request.route)
                                                      .Add("error", e.what()));
    response = ErrorResponse(500, "Internal Server Error");
  } catch (...) {
    core_.logger().Error("request handler threw", observability::LogFields()
                                                      .Add("request_id", request.request_id)
                                                      .Add("route", request.route)
                                                      .Add("error", "unknown exception"));
    response = ErrorResponse(500, "Internal Server Error");
  }
  if (response.stream) {
    StreamOnWorker(std::move(response), head, request.identity.actor);
    return;
  }
  net::post(stream_.get_executor(), [self = shared_from_this(), response = std::move(response),
                                     actor = request.identity.actor]() mutable {
    self->exchange_.actor = std::move(actor);
    self->SendResponse(std::move(response));
  });
}

beast::error_code Connection::CallOnStrandAndWait(std::function<void(Done)> initiate) {
  auto promise = std::make_shared<std::promise<beast::error_code>>();
  std::future<beast::error_code> result = promise->get_future();
  net::post(stream_.get_executor(), [initiate = std::move(initiate), promise] {
    initiate([promise](beast::error_code ec) { promise->set_value(ec); });
  });
  try {
    return result.get();
  } catch (const std::future_error&) {  // the operation was destroyed unrun: the server is gone
    return net::error::operation_aborted;
  }
}

beast::error_code Connection::WriteChunkAndWait(std::string_view data) {
  // `data` outlives the write: this thread waits for its completion.
  return CallOnStrandAndWait([self = shared_from_this(), data](Done done) {
    if (self->phase_ == Phase::kClosed) {
      done(net::error::not_connected);
      return;
    }
    self->stream_.expires_after(self->core_.options().write_timeout);
    auto on_written = [done = std::move(done)](beast::error_code ec, size_t) { done(ec); };
    const net::const_buffer buffer(data.data(), data.size());
    if (self->chunked_) {
      net::async_write(self->stream_, bhttp::make_chunk(buffer), std::move(on_written));
    } else {
      net::async_write(self->stream_, buffer, std::move(on_written));
    }
  });
}

void Connection::StreamOnWorker(Response response, bool head, std::optional<std::string> actor) {
  auto produce = std::move(response.stream);
  response.stream = nullptr;
  const beast::error_code ec =
      CallOnStrandAndWait([self = shared_from_this(), response = std::move(response),
                           actor = std::move(actor)](Done done) mutable {
        self->exchange_.actor = std::move(actor);
        self->WriteStreamHeader(response, std::move(done));
      });
  Status status;
  uint64_t bytes = 0;
  if (ec) {
    status =
        common::Unavailable("client connection closed before the response header: " + ec.message());
  } else if (!head) {
    ChunkSink sink(*this);
    try {
      status = produce(sink);
      if (status.ok()) status = sink.Flush();
    } catch (const std::exception& e) {
      status = common::Internal(std::string("stream threw: ") + e.what());
    } catch (...) {
      status = common::Internal("stream threw an unknown exception");
    }
    bytes = sink.bytes();
  }
  net::post(stream_.get_executor(), [self = shared_from_this(), status, bytes, head] {
    self->FinishStream(status, bytes, !head);
  });
}

// ---------------------------------------------------------------------------------------------
// Writing the response (strand).

template <class Body>
void Connection::FillHeader(bhttp::response<Body>& header, const Response& response) {
  int status = response.status;
  assert(status >= 100 && status <= 999 && "a response status has three digits");
  if (status < 100 || status > 999) status = 500;
  header.version(version_);
  header.result(static_cast<unsigned>(status));
  header.reason(ReasonPhrase(status));
  const bool bodiless_status = status / 100 == 1 || status == 204 || status == 304;
  if (!bodiless_status && !response.content_type.empty() &&
      !HasLineBreakOrNul(response.content_type)) {
    header.set(bhttp::field::content_type, response.content_type);
  }
  for (const auto& [name, value] : response.headers) {
    if (name.empty() || IsServerOwnedHeader(name) || HasLineBreakOrNul(name) ||
        HasLineBreakOrNul(value)) {
      continue;
    }
    if (common::EqualsIgnoreCase(name, "content-type")) {
      header.set(name, value);
    } else {
      header.insert(name, value);
    }
  }
  header.set("x-request-id", exchange_.request_id);
  header.set(bhttp::field::date, HttpDate());
  header.keep_alive(!close_after_response_);
  const auto keep_alive_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(core_.options().keep_alive_timeout).count();
  if (!close_after_response_ && version_ == 11 && keep_alive_seconds > 0) {
    header.set(bhttp::field::keep_alive, "timeout=" + std::to_string(keep_alive_seconds));
  }
}

// Writes a buffered response (`response.stream` is ignored: streams go through StreamOnWorker).
void Connection::SendResponse(Response response) {
  if (phase_ == Phase::kClosed) return;  // force-closed while the handler ran
  phase_ = Phase::kWriting;
  close_after_response_ = close_after_response_ || core_.stopping();
  response_.emplace();
  FillHeader(*response_, response);
  exchange_.status = response_->result_int();
  const int status = exchange_.status;
  if (!(status / 100 == 1 || status == 204 || status == 304)) {
    response_->content_length(response.body.size());
    if (!head_) {
      exchange_.bytes = response.body.size();
      response_->body() = std::move(response.body);
    }
  }
  stream_.expires_after(core_.options().write_timeout);
  bhttp::async_write(
      stream_, *response_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnResponseWritten(ec); });
}

void Connection::WriteStreamHeader(const Response& response, Done done) {
  if (phase_ == Phase::kClosed) {
    done(net::error::not_connected);
    return;
  }
  phase_ = Phase::kWriting;
  chunked_ = version_ == 11;
  // Without chunked framing (HTTP/1.0) the end of the body is the end of the connection.
  close_after_response_ = close_after_response_ || core_.stopping() || !chunked_;
  stream_header_.emplace();
  FillHeader(*stream_header_, response);
  if (chunked_) stream_header_->chunked(true);
  exchange_.status = stream_header_->result_int();
  stream_serializer_.emplace(*stream_header_);
  stream_.expires_after(core_.options().write_timeout);
  bhttp::async_write_header(stream_, *stream_serializer_,
                            [self = shared_from_this(), done = std::move(done)](
                                beast::error_code ec, size_t) { done(ec); });
}

void Connection::FinishStream(const Status& status, uint64_t bytes, bool body_sent) {
  exchange_.bytes = bytes;
  if (!status.ok()) {
    // The status line is gone already: abort without the final chunk so the client cannot take a
    // truncated body for a complete one.
    core_.logger().Warn("streamed response aborted", observability::LogFields()
                                                         .Add("request_id", exchange_.request_id)
                                                         .Add("route", exchange_.route)
                                                         .Add("bytes", bytes)
                                                         .Add("error", status.ToString()));
    core_.Record(exchange_, remote_);
    Close();
    return;
  }
  if (!chunked_ || !body_sent || phase_ == Phase::kClosed) {
    OnResponseWritten(phase_ == Phase::kClosed ? beast::error_code(net::error::not_connected)
                                               : beast::error_code());
    return;
  }
  stream_.expires_after(core_.options().write_timeout);
  net::async_write(
      stream_, bhttp::make_chunk_last(),
      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnResponseWritten(ec); });
}

void Connection::OnResponseWritten(beast::error_code ec) {
  core_.Record(exchange_, remote_);
  response_.reset();
  stream_serializer_.reset();
  stream_header_.reset();
  if (ec) {
    Close();
  } else if (close_after_response_) {
    LingerAndClose();
  } else {
    first_request_ = false;
    ReadNextRequest();
  }
}

// Half-closes, then reads and discards until the client closes (or kLingerTimeout), so that unread
// request bytes do not make the kernel reset the connection before the client read our answer.
void Connection::LingerAndClose() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kLingering;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec || core_.stopping()) {
    Close();
    return;
  }
  stream_.expires_after(kLingerTimeout);
  Drain();
}

void Connection::Drain() {
  stream_.async_read_some(net::buffer(discard_),
                          [self = shared_from_this()](beast::error_code ec, size_t) {
                            if (ec) {
                              self->Close();
                            } else {
                              self->Drain();
                            }
                          });
}

void Connection::Close() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
}

// ---------------------------------------------------------------------------------------------
// ServerCore.

Status ServerCore::Start() {
  std::lock_guard lock(lifecycle_mu_);
  if (started_) return common::FailedPrecondition("the HTTP server was started already");
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  if (options_.io_threads < 1 || options_.worker_threads < 1 || options_.max_header_bytes == 0) {
    return common::InvalidArgument("HTTP server options for " + where +
                                   ": io_threads, worker_threads and max_header_bytes must be "
                                   "at least 1");
  }

  ioc_.emplace(options_.io_threads);
  auto fail = [&](std::string_view what, const beast::error_code& ec) {
    acceptor_.reset();
    ioc_.reset();
    return common::Unavailable("cannot " + std::string(what) + " " + where + ": " + ec.message());
  };
  beast::error_code ec;
  tcp::endpoint endpoint;
  const net::ip::address address = net::ip::make_address(options_.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, options_.port);
  } else {
    tcp::resolver resolver(*ioc_);
    const auto results = resolver.resolve(options_.host, std::to_string(options_.port), ec);
    if (ec) return fail("resolve", ec);
    if (results.empty()) return fail("resolve", net::error::host_not_found);
    endpoint = results.begin()->endpoint();
  }
  acceptor_.emplace(net::make_strand(*ioc_));
  if (acceptor_->open(endpoint.protocol(), ec); ec) return fail("open a socket for", ec);
  if (acceptor_->set_option(net::socket_base::reuse_address(true), ec); ec) {
    return fail("set SO_REUSEADDR for", ec);
  }
  if (acceptor_->bind(endpoint, ec); ec) return fail("listen on", ec);
  if (acceptor_->listen(net::socket_base::max_listen_connections, ec); ec) {
    return fail("listen on", ec);
  }
  port_ = acceptor_->local_endpoint(ec).port();
  accept_retry_timer_.emplace(acceptor_->get_executor());

  pool_ = std::make_unique<WorkerPool>(options_.worker_threads, options_.max_queued_requests);
  work_.emplace(ioc_->get_executor());
  net::post(acceptor_->get_executor(), [this] { DoAccept(); });
  io_threads_.reserve(static_cast<size_t>(options_.io_threads));
  for (int i = 0; i < options_.io_threads; ++i) io_threads_.emplace_back([this] { RunIoThread(); });
  started_ = true;
  logger_.Info("listening", observability::LogFields()
                                .Add("host", options_.host)
                                .Add("port", static_cast<int64_t>(port_.load()))
                                .Add("io_threads", options_.io_threads)
                                .Add("worker_threads", options_.worker_threads));
  return Status::Ok();
}

void ServerCore::RunIoThread() {
  while (true) {
    try {
      ioc_->run();
      return;
    } catch (const std::exception& e) {  // a bug in a completion handler; keep serving
      logger_.Error("exception on an I/O thread",
                    observability::LogFields().Add("error", e.what()));
    }
  }
}

void ServerCore::DoAccept() {
  acceptor_->async_accept(
      net::make_strand(*ioc_),
      [this](beast::error_code ec, tcp::socket socket) { OnAccept(ec, std::move(socket)); });
}

void ServerCore::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_->is_open()) return;
  if (ec) {  // e.g. EMFILE: back off instead of spinning
    logger_.Warn("accept failed", observability::LogFields().Add("error", ec.message()));
    accept_retry_timer_->expires_after(std::chrono::milliseconds(100));
    accept_retry_timer_->async_wait([this](beast::error_code timer_ec) {
      if (!timer_ec && acceptor_->is_open()) DoAccept();
    });
    return;
  }
  beast::error_code option_ec;
  socket.set_option(tcp::no_delay(true), option_ec);
  auto connection = std::make_shared<Connection>(*this, std::move(socket));
  Register(connection);
  connection->Start();
  DoAccept();
}

void ServerCore::Register(const std::shared_ptr<Connection>& connection) {
  std::lock_guard lock(connections_mu_);
  connections_.emplace(connection.get(), connection);
}

void ServerCore::Unregister(Connection* connection) {
  {
    std::lock_guard lock(connections_mu_);
    connections_.erase(connection);
  }
  connections_cv_.notify_all();
}

std::vector<std::shared_ptr<Connection>> ServerCore::SnapshotConnections() {
  std::vector<std::shared_ptr<Connection>> out;
  std::lock_guard lock(connections_mu_);
  out.reserve(connections_.size());
  for (const auto& [raw, weak] : connections_) {
    if (auto strong = weak.lock()) out.push_back(std::move(strong));
  }
  return out;
}

size_t ServerCore::WaitForConnections(Clock::time_point deadline) {
  std::unique_lock lock(connections_mu_);
  connections_cv_.wait_until(lock, deadline, [&] { return connections_.empty(); });
  return connections_.size();
}

void ServerCore::Stop() {
  std::lock_guard lock(lifecycle_mu_);
  if (!started_ || stopped_) return;
  stopped_ = true;
  stopping_ = true;
  const auto begin = Clock::now();

  // 1. Refuse new connections: once this returns the port is closed.
  std::promise<void> acceptor_closed;
  net::post(acceptor_->get_executor(), [&] {
    beast::error_code ec;
    acceptor_->close(ec);
    accept_retry_timer_->cancel();
    acceptor_closed.set_value();
  });
  acceptor_closed.get_future().wait();

  // 2. Close idle connections; busy ones close after their current response.
  for (const auto& connection : SnapshotConnections()) connection->CloseIfIdle();
  size_t left = WaitForConnections(begin + options_.shutdown_grace);

  // 3. Grace is over: ask handlers to give up and close whatever is left.
  if (left > 0) {
    logger_.Warn("shutdown grace expired; closing connections",
                 observability::LogFields().Add("connections", static_cast<uint64_t>(left)));
  }
  // Close first, then signal: a handler that returns because of the stop then finds its connection
  // closed instead of racing the close with its answer.
  for (const auto& connection : SnapshotConnections()) connection->ForceClose();
  shutdown_.request_stop();
  pool_->Stop();  // drops queued requests, waits for running handlers
  left = WaitForConnections(Clock::now() + std::chrono::seconds(2));

  // 4. Stop the I/O threads; destroying the io_context frees anything still pending.
  work_.reset();
  ioc_->stop();
  for (auto& t : io_threads_) t.join();
  io_threads_.clear();
  accept_retry_timer_.reset();
  acceptor_.reset();
  ioc_.reset();
  logger_.Info(
      "stopped",
      observability::LogFields().Add(
          "duration_ms", std::chrono::duration<double, std::milli>(Clock::now() - begin).count()));
}

}  // namespace

class Server::Impl : public ServerCore {
 public:
  using ServerCore::ServerCore;
};

Server::Server(ServerOptions options, Router router, observability::Logger logger,
               observability::MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(router), std::move(logger),
                                   metrics)) {}

Server::~Server() { Stop(); }

common::Status Server::Start() { return impl_->Start(); }

uint16_t Server::port() const { return impl_->port(); }

void Server::Stop() { impl_->Stop(); }

}  // namespace timestore::http
