// SweepRepository: what the sweeper asks the catalog. Which removed partitions' files may be
// deleted (their removing version is older than a cut-off and the file is not marked deleted yet),
// marking them deleted, and which object keys nothing references (no partition row, live or
// removed, and no export row). Thread-safe; every call borrows a connection from the pool, which
// must outlive the repository.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/pg_pool.h"
#include "catalog/types.h"
#include "common/status.h"

namespace timestore::catalog {

class SweepRepository {
 public:
  explicit SweepRepository(PgPool& pool) : pool_(pool) {}

  // At most `limit` (>= 1) partitions of `dataset` (every dataset when unset) that were removed by
  // a version created before `cutoff` and whose file_deleted_at is unset, oldest removal first.
  common::Result<std::vector<Partition>> ListSweepable(const std::optional<DatasetId>& dataset,
                                                       UnixMicros cutoff, int limit);
  // Sets file_deleted_at = `at` on those of `ids` that are removed and not marked yet; returns how
  // many it marked (ids already marked, live or unknown are left alone).
  common::Result<int64_t> MarkFilesDeleted(const std::vector<PartitionId>& ids, UnixMicros at);
  // The keys among `keys` that no dataset_partitions row (live or removed) and no dataset_exports
  // row references on `target`, in the order given.
  common::Result<std::vector<std::string>> FindUnreferencedKeys(
      const StorageTargetId& target, const std::vector<std::string>& keys);

 private:
  PgPool& pool_;
};

}  // namespace timestore::catalog
