// AuditRepository: the append-only trail of who did what (ingest, query, SQL, admin changes).
// Thread-safe.
#pragma once

#include <optional>
#include <vector>

#include "catalog/pg_pool.h"
#include "catalog/types.h"
#include "common/status.h"

namespace timestore::catalog {

struct ListAuditOptions {
  std::optional<DatasetId> dataset_id;
  std::vector<std::string> actions;  // any of these; all when empty
  std::optional<bool> success;
  std::optional<UnixMicros> since;   // inclusive
  std::optional<UnixMicros> until;   // exclusive
  std::optional<int64_t> before_id;  // cursor: events older than this id
  int limit = 50;
};

class AuditRepository {
 public:
  explicit AuditRepository(PgPool& pool) : pool_(pool) {}

  // Stores the event (id and time assigned by the catalog when zero) and returns it.
  common::Result<AuditEvent> Record(const AuditEvent& event);
  // Newest first.
  common::Result<std::vector<AuditEvent>> List(const ListAuditOptions& options);
  // Deletes at most `batch_size` events older than `cutoff`; returns how many went.
  common::Result<int64_t> DeleteOlderThan(UnixMicros cutoff, int batch_size);

 private:
  PgPool& pool_;
};

}  // namespace timestore::catalog
