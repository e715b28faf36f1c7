// AccessLog: what the server records about each finished request/response exchange: one access
// log line ("request", at info) and the HTTP metrics. Immutable after construction; Record is
// thread-safe (the logger and the metrics registry are).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "observability/logger.h"
#include "observability/metrics.h"

namespace timestore::http {

// What the access log and the metrics say about one request/response exchange.
struct Exchange {
  std::string method;  // empty until the request line was parsed
  std::string url;
  std::string route;  // the matched pattern; empty when none matched
  std::string request_id;
  std::optional<std::string> actor;  // from the request's identity, once the handler ran
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  int status = 0;
  uint64_t bytes = 0;  // body bytes sent
};

// The method label of metrics: known methods as-is, anything else "OTHER" (bounded cardinality).
std::string_view MethodLabel(std::string_view method);

class AccessLog {
 public:
  // `metrics` may be null (no metrics); when set it must outlive the AccessLog.
  AccessLog(observability::Logger logger, observability::MetricsRegistry* metrics)
      : logger_(std::move(logger)), metrics_(metrics) {}

  // Counts timestore_http_requests_total{method,route,status} and observes
  // timestore_http_request_duration_seconds{method,route} (route "unmatched" when none matched),
  // and logs the exchange with its duration up to now and the client's address `remote`.
  void Record(const Exchange& exchange, const std::string& remote) const;

 private:
  const observability::Logger logger_;
  observability::MetricsRegistry* const metrics_;
};

}  // namespace timestore::http
