// Route registration. Every API route is served at "/<path>" and at "/v1/<path>" (as the original
// did); the operational routes /health, /ready and /metrics only at the root.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "api/access_control.h"
#include "common/status.h"
#include "http/router.h"

namespace timestore::api {

// Registers `handler` at `pattern` and at "/v1" + `pattern`.
void AddVersionedRoute(http::Router& router, std::string_view method, std::string_view pattern,
                       const http::Handler& handler);

struct OperationalRoutes {
  std::string version;                          // shown by /health
  std::function<common::Status()> readiness;    // OK when ready; else the reason
  std::function<std::string()> render_metrics;  // Prometheus text exposition
  // /metrics needs Permission::kMetrics through it; null: no checks.
  const AccessControl* access = nullptr;
};

// GET /health: 200 {"status":"ok","version":...} while the process runs.
// GET /ready: 200 {"status":"ready"} or 503 {"status":"unavailable","reason":...}.
// GET /metrics: the Prometheus text format.
void AddOperationalRoutes(http::Router& router, const OperationalRoutes& routes);

}  // namespace timestore::api
