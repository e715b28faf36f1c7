// ManifestCache: the live partitions of each dataset version a query reads, kept in memory per
// process. A committed version never changes (invariant 2), so a cached snapshot is never stale;
// a reader learns which version is current from the dataset row it reads anyway, and a snapshot of
// a newer version is built from the newest cached one by reading only the partitions that changed
// in between (ManifestRepository::ListPartitionChanges). Commits made by this or any other process
// are therefore seen by the next query without relying on a notification that could be lost.
// Thread-safe; snapshots are immutable and shared.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "catalog/manifest_repository.h"
#include "catalog/types.h"
#include "common/status.h"
#include "common/time.h"
#include "partition/column_statistics.h"
#include "partition/json_scalar.h"

namespace timestore::query {

// A statistic's or partition-key value, and a column's statistics, as the partition module
// decodes them from the catalog's JSON.
using StatValue = partition::JsonScalar;
using ColumnStatistics = partition::ColumnStatistics;

// A live partition with its statistics and key decoded once, when the snapshot is built.
struct PartitionEntry {
  catalog::Partition partition;
  std::map<std::string, ColumnStatistics, std::less<>> statistics;  // by column
  std::map<std::string, StatValue, std::less<>> key;                // partition-key values
};

struct ManifestSnapshot {
  catalog::DatasetId dataset_id;
  int64_t version = 0;
  // Ordered by start time, then id.
  std::vector<std::shared_ptr<const PartitionEntry>> partitions;
};

class ManifestCache {
 public:
  // Keeps at most `max_snapshots` snapshots (least recently used ones go first).
  explicit ManifestCache(catalog::ManifestRepository& manifests, size_t max_snapshots = 256)
      : manifests_(manifests), max_snapshots_(max_snapshots) {}

  // The live partitions of `dataset` at `version` (which must be committed: <= the dataset's
  // current version; version 0 is the empty manifest before the first commit). Errors are the
  // catalog's (kUnavailable when PostgreSQL is down, kNotFound for a version not committed).
  common::Result<std::shared_ptr<const ManifestSnapshot>> Get(const catalog::DatasetId& dataset,
                                                              int64_t version);

  // Snapshots built from scratch and by catching up from an older one; for tests and metrics.
  int64_t full_loads() const;
  int64_t incremental_loads() const;

 private:
  using Key = std::pair<std::string, int64_t>;  // dataset id, version
  void InsertLocked(const Key& key, std::shared_ptr<const ManifestSnapshot> snapshot);

  catalog::ManifestRepository& manifests_;
  const size_t max_snapshots_;
  mutable std::mutex mu_;
  struct Slot {
    std::shared_ptr<const ManifestSnapshot> snapshot;
    std::list<Key>::iterator lru;
  };
  std::map<Key, Slot> snapshots_;  // guarded by mu_
  std::list<Key> lru_;             // guarded by mu_; front = least recently used
  int64_t full_loads_ = 0;         // guarded by mu_
  int64_t incremental_loads_ = 0;  // guarded by mu_
};

// Decodes a partition's column_statistics_json and partition_key_json (partition/ decoders).
// Malformed documents decode to nothing (the partition is then never pruned by them).
std::shared_ptr<const PartitionEntry> DecodePartition(catalog::Partition partition);

}  // namespace timestore::query
