// Process metrics, read from /proc at scrape time: timestore_process_resident_memory_bytes,
// timestore_process_open_fds and timestore_process_start_time_seconds (the names of the
// original's prom-client defaults, under the timestore_ prefix). Linux only; elsewhere, or when
// /proc is unreadable, a gauge keeps its last value (0 before any).
#pragma once

#include "observability/metrics.h"

namespace timestore::observability {

// Registers the process gauges in `registry` and a collector that refreshes them. Call once per
// registry.
void AddProcessMetrics(MetricsRegistry& registry);

}  // namespace timestore::observability
