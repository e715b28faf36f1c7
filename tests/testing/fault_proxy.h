// FaultProxy: an HTTP/1.1 forwarding proxy for tests that sits between a client and a real server
// (s3rver, a timestore service) and injects faults scripted per request. Requests are forwarded
// byte for byte (the Host header too, so SigV4 signatures stay valid) over a fresh upstream
// connection each; responses are relayed unchanged unless a fault says otherwise. Client
// connections are kept alive. Thread-safe; one thread accepts, one thread serves each client
// connection; Stop() (or the destructor) closes every connection and joins every thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace timestore::testing {

enum class FaultAction {
  kPass,             // forward and relay unchanged
  kRespond503,       // answer 503 <Code>ServiceUnavailable</Code> without forwarding
  kRespondSlowDown,  // answer 503 <Code>SlowDown</Code> without forwarding
  kRespond500,       // answer 500 <Code>InternalError</Code> without forwarding
  kRespond403,       // answer 403 <Code>AccessDenied</Code> without forwarding
  kDropConnection,   // read the request, then close the connection without answering
  kStall,            // read the request, answer nothing for Fault::stall (or until the client
                     // gives up), then close the connection
  kTruncateBody,     // forward, relay the head and the first half of the body, then close
  kCorruptBody,      // forward, relay with one body byte flipped (same length)
};

// "kRespond503" etc., for messages.
std::string_view FaultActionName(FaultAction action);

// One scripted fault. A request consumes the first queued fault it matches (method and target
// filters); a request matching none is passed through.
struct Fault {
  FaultAction action = FaultAction::kPass;
  std::chrono::milliseconds stall{0};  // kStall only
  std::string method;                  // "" matches any method, else e.g. "PUT" (exact)
  std::string target_contains;         // "" matches any request target, else a substring of it

  // Convenience: `Fault::On("PUT", FaultAction::kRespond503)`.
  static Fault On(std::string method, FaultAction action, std::string target_contains = "");
  static Fault Stall(std::string method, std::chrono::milliseconds duration);
};

// What the proxy saw: one record per complete request received, in arrival order.
struct ProxiedRequest {
  std::string method;
  std::string target;   // as sent, e.g. "/bucket/key?partNumber=1&uploadId=x"
  FaultAction applied;  // kPass when no fault matched
};

class FaultProxy {
 public:
  // Listens on 127.0.0.1 (port 0) and forwards to `upstream_url` ("http://host:port", no path;
  // https is not supported). Returns nullptr after ADD_FAILURE when the URL is bad or listening
  // fails. An unreachable upstream is seen by clients as a dropped connection.
  static std::unique_ptr<FaultProxy> Start(std::string_view upstream_url);

  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // Closes the listener and every connection, joins all threads. Idempotent.
  void Stop();

  uint16_t port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:<port>"

  // Appends a fault to the script.
  void Enqueue(Fault fault);
  // Appends `count` copies.
  void Enqueue(const Fault& fault, int count);
  // Faults not yet consumed.
  size_t PendingFaults() const;
  // Drops the script, the records and the counts.
  void Reset();

  // Requests received so far with this method ("" counts all).
  int RequestCount(std::string_view method = "") const;
  std::vector<ProxiedRequest> Requests() const;

 private:
  class Connection;

  FaultProxy(std::string upstream_host, uint16_t upstream_port);
  bool Listen();
  void AcceptLoop();
  void Serve(int client_fd);
  // Removes and returns the first queued fault matching the request, or a kPass fault.
  Fault TakeFault(const std::string& method, const std::string& target);

  const std::string upstream_host_;
  const uint16_t upstream_port_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  // Readable once Stop() begins: every poll also waits on wake_read_fd_.
  int wake_read_fd_ = -1;
  int wake_write_fd_ = -1;
  std::atomic<bool> stopped_{false};

  mutable std::mutex mu_;
  std::deque<Fault> script_;               // guarded by mu_
  std::vector<ProxiedRequest> requests_;   // guarded by mu_
  std::vector<std::jthread> connections_;  // guarded by mu_; joined by Stop()
  std::jthread acceptor_;
};

}  // namespace timestore::testing
