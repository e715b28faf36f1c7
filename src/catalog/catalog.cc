#include "catalog/catalog.h"

#include "catalog/migrations.h"

namespace timestore::catalog {

using common::Result;
using common::Status;

namespace {

PgPoolOptions PoolOptions(const CatalogOptions& o) {
  PgPoolOptions p;
  p.connect.url = o.url;
  p.connect.schema = o.schema;
  p.connect.connect_timeout = o.connect_timeout;
  p.connect.statement_timeout = o.statement_timeout;
  p.max_size = o.pool_max;
  p.acquire_timeout = o.acquire_timeout;
  return p;
}

}  // namespace

Catalog::Catalog(const CatalogOptions& options)
    : schema_(options.schema),
      pool_(PoolOptions(options)),
      storage_targets_(pool_),
      datasets_(pool_, &dataset_cache_),
      manifests_(pool_, &dataset_cache_),
      jobs_(pool_),
      audit_(pool_),
      saved_queries_(pool_),
      tokens_(pool_),
      exports_(pool_),
      retention_(pool_),
      sweep_(pool_) {}

void Catalog::StartDatasetCache() {
  if (!dataset_listener_) {
    dataset_listener_ =
        std::make_unique<DatasetChangeListener>(pool_.options().connect, dataset_cache_);
  }
}

Result<int> Catalog::Migrate() {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  return ApplyMigrations(lease.conn(), schema_);
}

Status Catalog::CheckReady() {
  Status last;
  // A connection that died with a database restart fails once and is replaced; try a fresh one.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto lease = pool_.Acquire();
    if (!lease.ok()) return lease.status();
    auto current = CurrentMigrationVersion(lease->conn());
    if (!current.ok()) {
      last = current.status();
      if (last.code() == common::StatusCode::kUnavailable) continue;
      return common::Unavailable("catalog check failed: " + last.message());
    }
    if (*current < LatestMigrationVersion()) {
      return common::Unavailable("migrations pending: schema '" + schema_ + "' is at version " +
                                 std::to_string(*current) + " of " +
                                 std::to_string(LatestMigrationVersion()));
    }
    return Status::Ok();
  }
  return common::Unavailable(last.message());
}

}  // namespace timestore::catalog
