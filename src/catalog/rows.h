// Internal to catalog/: the SELECT lists of each table and the functions that turn a result row
// into the struct from types.h. A reader expects exactly the columns of its select list, in order.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/pg_connection.h"
#include "catalog/types.h"

namespace timestore::catalog::rows {

// SQL expression turning a timestamptz column into microseconds since the epoch (exact).
#define TS_MICROS(col) "(extract(epoch from " col ") * 1000000)::bigint"
// SQL expression turning bigint parameter $n (microseconds) into a timestamptz (exact).
#define TS_FROM_MICROS(param) \
  "(timestamptz 'epoch' + (" param ")::bigint * interval '1 microsecond')"

// TS_FROM_MICROS for a parameter reference built at run time ("$3").
std::string FromMicrosSql(const std::string& param);

extern const std::string_view kStorageTargetColumns;
StorageTarget ReadStorageTarget(const PgResult& r, int row);

extern const std::string_view kDatasetColumns;
Dataset ReadDataset(const PgResult& r, int row);

extern const std::string_view kPartitionColumns;
Partition ReadPartition(const PgResult& r, int row);

extern const std::string_view kVersionColumns;
DatasetVersion ReadVersion(const PgResult& r, int row);

extern const std::string_view kJobColumns;
Job ReadJob(const PgResult& r, int row);

extern const std::string_view kAuditColumns;
AuditEvent ReadAuditEvent(const PgResult& r, int row);

extern const std::string_view kSavedQueryColumns;
SavedQuery ReadSavedQuery(const PgResult& r, int row);

// Every row of `r` through `reader`.
template <typename T>
std::vector<T> ReadAll(const PgResult& r, T (*reader)(const PgResult&, int)) {
  std::vector<T> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(reader(r, i));
  return out;
}

std::optional<VersionKind> ParseVersionKind(std::string_view name);
std::optional<JobStatus> ParseJobStatus(std::string_view name);

}  // namespace timestore::catalog::rows
