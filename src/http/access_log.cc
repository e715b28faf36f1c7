#include "http/access_log.h"

#include <utility>

namespace timestore::http {

std::string_view MethodLabel(std::string_view method) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (method == known) return known;
  }
  return "OTHER";
}

void AccessLog::Record(const Exchange& exchange, const std::string& remote) const {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - exchange.start).count();
  if (metrics_ != nullptr) {
    const std::string method(MethodLabel(exchange.method));
    const std::string route = exchange.route.empty() ? "unmatched" : exchange.route;
    metrics_
        ->GetCounter(
            "timestore_http_requests_total",
            "HTTP requests answered, by method, route pattern and status.",
            {{"method", method}, {"route", route}, {"status", std::to_string(exchange.status)}})
        .Increment();
    metrics_
        ->GetHistogram("timestore_http_request_duration_seconds",
                       "Time from the first byte of a request to the end of its response.",
                       {{"method", method}, {"route", route}})
        .Observe(seconds);
  }
  if (logger_.Enabled(common::LogLevel::kInfo)) {
    observability::LogFields fields;
    fields.Add("method", exchange.method)
        .Add("url", exchange.url)
        .Add("route", exchange.route)
        .Add("status", exchange.status)
        .Add("duration_ms", seconds * 1000.0)
        .Add("bytes", exchange.bytes)
        .Add("request_id", exchange.request_id)
        .Add("remote", remote);
    if (exchange.actor) fields.Add("actor", *exchange.actor);
    logger_.Info("request", fields);
  }
}

}  // namespace timestore::http
