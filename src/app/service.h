// Service: the composition root of `timestore serve`. Builds every component from a ServiceConfig
// in dependency order (metrics, catalog, HTTP routes, server) and stops them in reverse. The
// catalog is bootstrapped (migrations, default storage target) by a background thread that retries
// until PostgreSQL answers, so the process serves /health at once and /ready turns 200 when the
// catalog is usable; losing the database later only turns /ready to 503. Start/Stop from one
// thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "admin/dataset_admin_service.h"
#include "admin/storage_target_admin_service.h"
#include "api/access_control.h"
#include "api/request_audit.h"
#include "api/request_metrics.h"
#include "app/lifecycle_runtime.h"
#include "catalog/async_audit_writer.h"
#include "catalog/catalog.h"
#include "common/status.h"
#include "common/time.h"
#include "config/service_config.h"
#include "http/server.h"
#include "ingest/ingest_service.h"
#include "observability/logger.h"
#include "observability/metrics.h"
#include "partition/store_resolver.h"
#include "query/dataset_reader.h"
#include "query/manifest_cache.h"
#include "query/query_engine.h"
#include "query/query_service.h"
#include "query/sql_runtime.h"
#include "storage/object_store_registry.h"
#include "storage/partition_cache.h"

namespace timestore::app {

class Service {
 public:
  explicit Service(config::ServiceConfig config);
  ~Service();  // Stop()
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Starts the bootstrap thread and the HTTP server. kUnavailable when the address cannot be bound.
  common::Status Start();
  // Graceful: the server finishes in-flight requests (bounded by the shutdown grace), then the
  // queued read audit events are stored (bounded by TIMESTORE_AUDIT_READ_SHUTDOWN_GRACE_MS), then
  // the background threads stop. Idempotent.
  void Stop();

  // Waits until the read audit events recorded so far are stored (or dropped); false when
  // `timeout` passes first. True at once when reads are audited synchronously or before Start().
  bool FlushAuditEvents(std::chrono::milliseconds timeout);

  // The bound HTTP port (useful with TIMESTORE_PORT=0).
  uint16_t port() const;
  // OK once the catalog is bootstrapped and PostgreSQL answers; else the reason.
  common::Status Readiness();
  // One audit cleanup pass: deletes events older than TIMESTORE_AUDIT_TTL_DAYS (before `now`) in
  // batches of kAuditCleanupBatch, at most kAuditCleanupBatches batches; returns how many went.
  // The background thread calls it every TIMESTORE_AUDIT_CLEANUP_INTERVAL_SECONDS.
  common::Result<int64_t> CleanupAuditTrail(common::UnixMicros now);
  static constexpr int kAuditCleanupBatch = 1000;
  static constexpr int kAuditCleanupBatches = 10;

  // Every (method, pattern) the HTTP server routes (http::Router::Routes); empty before Start().
  const std::vector<std::pair<std::string, std::string>>& RegisteredRoutes() const {
    return routes_;
  }

 private:
  // Creates request_audit_ over audit_writer_ (started), or over the repository alone when
  // TIMESTORE_AUDIT_READ_QUEUE is 0.
  void StartRequestAudit();
  void BootstrapLoop(const std::stop_token& stop);
  void AuditCleanupLoop(const std::stop_token& stop);

  const config::ServiceConfig config_;
  observability::Logger logger_;
  observability::MetricsRegistry metrics_;
  catalog::Catalog catalog_;
  storage::ObjectStoreRegistry stores_;
  partition::StoreResolver target_stores_;          // storage target id -> store, over stores_
  std::unique_ptr<storage::PartitionCache> cache_;  // opened by Start()
  std::unique_ptr<ingest::IngestService> ingest_;   // created by Start(), after the cache
  // The read path, created by Start(): engine and manifest cache, then the reader and services.
  std::unique_ptr<query::QueryEngine> query_engine_;
  std::unique_ptr<query::ManifestCache> manifest_cache_;
  std::unique_ptr<query::NativeCopies> native_copies_;  // reads cache_
  std::unique_ptr<query::DatasetReader> dataset_reader_;
  std::unique_ptr<query::QueryService> query_;
  std::unique_ptr<query::SqlRuntime> sql_;
  // Lifecycle: the admin facade at once; workers and scheduler once the catalog is bootstrapped.
  std::unique_ptr<LifecycleRuntime> lifecycle_;
  std::unique_ptr<api::RequestMetrics> request_metrics_;  // created by Start(); used by routes
  // Stores read audit events in the background: created and started by Start() unless
  // TIMESTORE_AUDIT_READ_QUEUE is 0; stopped (flushed) by Stop() once the server has stopped.
  std::unique_ptr<catalog::AsyncAuditWriter> audit_writer_;
  std::unique_ptr<api::RequestAudit> request_audit_;  // created by Start(); used by routes
  std::unique_ptr<api::AccessControl> access_;        // created by Start(); used by routes
  // The admin services: created by Start(); used by routes.
  std::unique_ptr<admin::DatasetAdminService> dataset_admin_;
  std::unique_ptr<admin::StorageTargetAdminService> storage_target_admin_;
  std::unique_ptr<http::Server> server_;
  std::vector<std::pair<std::string, std::string>> routes_;  // set by Start()

  std::atomic<bool> bootstrapped_{false};
  std::mutex bootstrap_mu_;
  common::Status bootstrap_error_;  // guarded by bootstrap_mu_; why the catalog is not ready yet
  std::jthread bootstrap_thread_;
  std::jthread audit_cleanup_thread_;  // started by Start()
  bool stopped_ = false;
};

// The storage target a config describes: its catalog name and JSON config.
struct DefaultStorageTarget {
  std::string name;
  catalog::StorageKind kind;
  std::string config_json;
};
DefaultStorageTarget DefaultStorageTargetFor(const config::StorageConfig& storage);

// Applies missing migrations and registers the configured default storage target. Safe to run from
// several processes at once. Returns how many migrations this call applied.
common::Result<int> BootstrapCatalog(catalog::Catalog& catalog,
                                     const config::StorageConfig& storage);

catalog::CatalogOptions CatalogOptionsFor(const config::PostgresConfig& pg);
catalog::AsyncAuditWriterOptions AuditWriterOptionsFor(const config::AuditConfig& audit);
ingest::IngestOptions IngestOptionsFor(const config::IngestConfig& ingest);
storage::S3Options S3DefaultsFor(const config::StorageConfig& storage);
// The partition cache's options: TIMESTORE_CACHE_DIR (or <root>/.tmp-cache) and its size.
storage::PartitionCacheOptions PartitionCacheOptionsFor(const config::StorageConfig& storage);
query::QueryServiceOptions QueryOptionsFor(const config::QueryConfig& query);
// The SQL runtime's options; its sandboxes may read the storage root and `cache_dir` (the partition
// cache's directory).
query::SqlRuntimeOptions SqlOptionsFor(const config::SqlConfig& sql,
                                       const config::StorageConfig& storage,
                                       const std::string& cache_dir);

}  // namespace timestore::app
