// Server: the HTTP/1.1 front door. Asynchronous I/O (Boost.Beast, a strand per connection) on
// `io_threads`; route handlers on a separate bounded worker pool, so a slow handler never stalls
// other connections. Owns its threads; Start() once, then Stop() (idempotent, also run by the
// destructor). Start, Stop and port are called from one owner thread; handlers run concurrently on
// workers.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/router.h"
#include "observability/logger.h"
#include "observability/metrics.h"

namespace timestore::http {

struct ServerOptions {
  std::string host = "127.0.0.1";  // an address or a name to resolve ("0.0.0.0", "localhost")
  uint16_t port = 4100;            // 0 picks a free port; see Server::port()
  int io_threads = 1;              // Beast/Asio threads; one is plenty for thousands of connections
  int worker_threads = 4;          // threads running route handlers (and streamed bodies)
  // Requests waiting for a worker beyond the ones running; more are answered 503 with Retry-After.
  size_t max_queued_requests = 1024;
  uint64_t body_limit_bytes = 64ull << 20;  // larger bodies get 413 (Content-Length or chunked)
  size_t max_header_bytes = 16 << 10;       // request line + headers; larger gets 431
  // From the first byte of a request (or the accept, for the first one) to the end of its header.
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};  // to receive the whole body after the header
  // Idle time allowed between requests on a keep-alive connection (Fastify's default, 72 s).
  std::chrono::milliseconds keep_alive_timeout{72'000};
  // Time the client has to accept each write (a response, or one chunk of a streamed body).
  std::chrono::milliseconds write_timeout{60'000};
  // Stop() lets in-flight requests finish for this long, then closes what is left.
  std::chrono::milliseconds shutdown_grace{10'000};
  // Establishes who sent a routed request; runs on the worker thread before its handler, and its
  // answer becomes Request::identity (its actor is logged). May block (a catalog lookup) and must
  // not throw. Unset: every request has an empty identity.
  std::function<Identity(const Request&)> identify;
};

class Server {
 public:
  // `metrics` may be null; when set it must outlive the Server. The server records
  // timestore_http_requests_total{method,route,status} and
  // timestore_http_request_duration_seconds{method,route}, where route is the matched pattern
  // ("unmatched" when no route matched), never the raw path.
  Server(ServerOptions options, Router router, observability::Logger logger,
         observability::MetricsRegistry* metrics = nullptr);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the threads. Fails with kUnavailable naming host:port when the
  // address cannot be resolved or bound (e.g. port in use), kInvalidArgument for impossible options
  // (no threads), or kFailedPrecondition when called twice.
  common::Status Start();

  // The bound port (the ephemeral one when options.port was 0); 0 before a successful Start().
  uint16_t port() const;

  // Graceful stop: refuses new connections at once, closes idle keep-alive connections, lets
  // in-flight requests finish (their responses carry `Connection: close`) for up to shutdown_grace,
  // then requests the handlers' stop_token, force-closes the remaining connections and joins all
  // threads. Handlers still running are waited for. Idempotent; a no-op before Start().
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace timestore::http
