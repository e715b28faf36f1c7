// LifecycleRuntime: the lifecycle side of one process - the operations, the job runner, the admin
// facade, and (when started) the worker threads and the scheduler. `timestore serve` embeds one;
// `timestore lifecycle` runs one on its own. Built on a catalog, stores and cache that outlive it;
// stopped (workers finish their current job) before they go.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "common/clock.h"
#include "config/service_config.h"
#include "lifecycle/job_runner.h"
#include "lifecycle/lifecycle_service.h"
#include "lifecycle/operation.h"
#include "lifecycle/scheduler.h"
#include "observability/metrics.h"
#include "storage/object_store_registry.h"
#include "storage/partition_cache.h"

namespace timestore::app {

lifecycle::LifecycleOptions LifecycleOptionsFor(const config::LifecycleConfig& config);

class LifecycleRuntime {
 public:
  // `cache` and `metrics` may be null; `clock` (outliving the runtime) drives the runner, the
  // workers and the scheduler.
  LifecycleRuntime(catalog::Catalog& catalog, storage::ObjectStoreRegistry& stores,
                   storage::PartitionCache* cache, const config::LifecycleConfig& config,
                   observability::MetricsRegistry* metrics,
                   const common::Clock& clock = common::SystemClock());
  ~LifecycleRuntime();  // Stop()
  LifecycleRuntime(const LifecycleRuntime&) = delete;
  LifecycleRuntime& operator=(const LifecycleRuntime&) = delete;

  // Starts `workers` claiming threads (none when 0) and, when `schedule`, the scheduler.
  void Start(int workers, bool schedule);
  void Stop();

  lifecycle::LifecycleService& service() { return *service_; }
  lifecycle::JobRunner& runner() { return *runner_; }
  const lifecycle::OperationSet& operations() const { return operations_; }

 private:
  const config::LifecycleConfig config_;
  const lifecycle::LifecycleOptions options_;
  catalog::Catalog& catalog_;
  const common::Clock& clock_;
  lifecycle::OperationSet operations_;
  std::unique_ptr<lifecycle::JobRunner> runner_;
  std::unique_ptr<lifecycle::LifecycleService> service_;
  std::unique_ptr<lifecycle::WorkerPool> workers_;
  std::unique_ptr<lifecycle::Scheduler> scheduler_;
};

struct LifecycleCommand {
  bool once = false;                    // one pass, then exit
  std::vector<std::string> datasets;    // slugs; empty: every active dataset
  std::vector<std::string> operations;  // empty: compaction, retention, export
  std::optional<int> workers;           // default TIMESTORE_LIFECYCLE_CONCURRENCY (at least 1)
};

// `timestore lifecycle`: with `once`, runs the operations inline for each dataset, prints one JSON
// report per dataset on stdout and returns 0 when every operation succeeded, else 1. Otherwise
// runs workers and the scheduler until SIGINT/SIGTERM (returns 0). The catalog is migrated first;
// an unreachable database returns 1.
int RunLifecycleCommand(const config::ServiceConfig& config, const LifecycleCommand& command);

}  // namespace timestore::app
