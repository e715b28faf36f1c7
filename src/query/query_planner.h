// Partition pruning (DESIGN.md read path, step 1): which partitions of a manifest snapshot a query
// must open. A partition is left out when its observed time span misses the query's range, when its
// partition-key values fail a partitionKey filter, or when its column statistics prove that no row
// can pass a column filter. A pruned partition is never opened. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "query/manifest_cache.h"
#include "query/query_spec.h"

namespace timestore::query {

struct PartitionSelection {
  std::vector<std::shared_ptr<const PartitionEntry>> selected;  // in snapshot order
  int64_t total = 0;                                            // live partitions of the version
  int64_t pruned_by_time = 0;
  int64_t pruned_by_key = 0;
  int64_t pruned_by_statistics = 0;
  int64_t pruned() const { return pruned_by_time + pruned_by_key + pruned_by_statistics; }
};

// Selects the partitions of `snapshot` that `spec` must read. `schema` is the dataset's current
// schema, from which column filters take their types.
PartitionSelection SelectPartitions(const QuerySpec& spec, const ManifestSnapshot& snapshot);

// Whether statistics `stats` of a partition of `row_count` rows allow a row to pass `predicate`
// (false = provably none does). Absent statistics (`stats` null) mean the column is absent from
// the partition, i.e. NULL in every row, which no comparison passes.
bool StatisticsMayMatch(const Predicate& predicate, const ColumnStatistics* stats,
                        int64_t row_count);

// Whether a partition whose key has `value` for the predicate's name (null: no such key) passes
// `predicate`.
bool KeyMatches(const Predicate& predicate, const StatValue* value);

}  // namespace timestore::query
