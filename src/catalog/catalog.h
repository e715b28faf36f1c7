// Catalog: the PostgreSQL side of timestore. Owns the connection pool and one repository per table
// group; Migrate() brings the schema up to date, CheckReady() answers the readiness probe.
// Thread-safe; constructing it does not connect (the database may come up later).
#pragma once

#include <memory>
#include <string>

#include "catalog/audit_repository.h"
#include "catalog/dataset_cache.h"
#include "catalog/dataset_change_listener.h"
#include "catalog/dataset_repository.h"
#include "catalog/export_repository.h"
#include "catalog/job_repository.h"
#include "catalog/manifest_repository.h"
#include "catalog/pg_pool.h"
#include "catalog/retention_repository.h"
#include "catalog/saved_query_repository.h"
#include "catalog/storage_target_repository.h"
#include "catalog/sweep_repository.h"
#include "catalog/token_repository.h"
#include "common/status.h"

namespace timestore::catalog {

struct CatalogOptions {
  std::string url;
  std::string schema = "timestore";
  int pool_max = 10;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds acquire_timeout{5000};
  std::chrono::milliseconds statement_timeout{30000};
};

class Catalog {
 public:
  explicit Catalog(const CatalogOptions& options);
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // Creates the schema and applies missing migrations (see migrations.h). Returns how many this
  // process applied. kUnavailable when PostgreSQL cannot be reached.
  common::Result<int> Migrate();

  // OK when PostgreSQL answers and every migration this binary knows is applied; otherwise
  // kUnavailable with the reason ("PostgreSQL ... is unreachable: ...", "migrations pending: at 0
  // of 1").
  common::Status CheckReady();

  // Starts the DatasetChangeListener that keeps dataset_cache() correct across processes; until
  // then (and whenever the listener is cut off) the cache is disabled and every read goes to
  // PostgreSQL. Call once, after the schema exists (the trigger is migration 4).
  void StartDatasetCache();
  DatasetCache& dataset_cache() { return dataset_cache_; }

  const std::string& schema() const { return schema_; }
  PgPool& pool() { return pool_; }
  StorageTargetRepository& storage_targets() { return storage_targets_; }
  DatasetRepository& datasets() { return datasets_; }
  ManifestRepository& manifests() { return manifests_; }
  JobRepository& jobs() { return jobs_; }
  AuditRepository& audit() { return audit_; }
  SavedQueryRepository& saved_queries() { return saved_queries_; }
  TokenRepository& tokens() { return tokens_; }
  ExportRepository& exports() { return exports_; }
  RetentionRepository& retention() { return retention_; }
  SweepRepository& sweep() { return sweep_; }

 private:
  const std::string schema_;
  PgPool pool_;
  DatasetCache dataset_cache_;
  StorageTargetRepository storage_targets_;
  DatasetRepository datasets_;
  ManifestRepository manifests_;
  JobRepository jobs_;
  AuditRepository audit_;
  SavedQueryRepository saved_queries_;
  TokenRepository tokens_;
  ExportRepository exports_;
  RetentionRepository retention_;
  SweepRepository sweep_;
  std::unique_ptr<DatasetChangeListener> dataset_listener_;  // last: stops first
};

}  // namespace timestore::catalog
