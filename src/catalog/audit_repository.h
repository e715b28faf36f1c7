// AuditRepository: the append-only trail of who did what (ingest, query, SQL, admin changes).
// AuditSink: where batches of events are stored (the repository; a fake in tests). Thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
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

// Stores batches of events for catalog::AsyncAuditWriter.
class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Stores all of `events` (at most kMaxBatch), in order, or none of them. Ids are assigned in
  // order; each event keeps its occurred_at (the catalog's time when zero). Thread-safe.
  virtual common::Status RecordBatch(std::span<const AuditEvent> events) = 0;
  // PostgreSQL binds at most 65535 parameters per statement; an event takes 9.
  static constexpr size_t kMaxBatch = 5000;
};

class AuditRepository final : public AuditSink {
 public:
  explicit AuditRepository(PgPool& pool) : pool_(pool) {}

  // Stores the event (id and time assigned by the catalog when zero) and returns it.
  common::Result<AuditEvent> Record(const AuditEvent& event);
  // One multi-row INSERT. kInvalidArgument above kMaxBatch events; nothing to do when empty.
  common::Status RecordBatch(std::span<const AuditEvent> events) override;
  // Newest first.
  common::Result<std::vector<AuditEvent>> List(const ListAuditOptions& options);
  // Deletes at most `batch_size` events older than `cutoff`; returns how many went.
  common::Result<int64_t> DeleteOlderThan(UnixMicros cutoff, int batch_size);

 private:
  PgPool& pool_;
};

}  // namespace timestore::catalog
