// ManifestRepository: the versioned manifest of each dataset (DESIGN.md invariants 2-4). Commit()
// publishes one new version in one PostgreSQL transaction: partitions removed and added, the
// version row with its totals, the idempotency record and a NOTIFY for other processes' caches.
// Readers list the live partitions of any committed version. Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "catalog/dataset_cache.h"
#include "catalog/pg_pool.h"
#include "catalog/types.h"
#include "common/status.h"

namespace timestore::catalog {

struct CommitResult {
  DatasetVersion version;
  std::vector<Partition> added;
};

struct VersionCommit {
  DatasetId dataset_id;
  // When set, the commit succeeds only if the dataset is still at this version (else kConflict).
  // When unset, the commit follows whatever version is current (safe for commits that only add).
  std::optional<int64_t> expected_version;
  VersionKind kind = VersionKind::kIngest;
  std::optional<std::string> actor;
  std::optional<int> schema_version;
  std::vector<NewPartition> add;
  // Each must be live at commit time; if any was removed meanwhile the commit fails with kConflict
  // and changes nothing (the file-level conflict check of compaction).
  std::vector<PartitionId> remove;
  std::string details_json = "{}";

  // Exactly-once: when set, the key is recorded in the same transaction. If the key was already
  // used the commit changes nothing and fails with kAlreadyExists; the caller returns the stored
  // answer.
  struct Idempotency {
    std::string key;
    std::optional<std::string> request_hash;
    int status_code = 201;
    // Builds the answer to store from what was committed (runs inside the transaction).
    std::function<std::string(const CommitResult&)> build_response;
  };
  std::vector<Idempotency> idempotency;
};

struct TimeRange {
  UnixMicros start = 0;  // inclusive
  UnixMicros end = 0;    // exclusive
};

class ManifestRepository {
 public:
  // `cache` (optional, must outlive this): every commit invalidates the dataset's entry there.
  explicit ManifestRepository(PgPool& pool, DatasetCache* cache = nullptr)
      : pool_(pool), cache_(cache) {}

  // Commits one new version; see VersionCommit for the conflict rules. kNotFound for an unknown
  // dataset; kInvalidArgument for a commit that adds and removes nothing.
  common::Result<CommitResult> Commit(const VersionCommit& commit);

  // The partitions live at `version` (default: the current one) whose observed time span overlaps
  // `range`, ordered by start time. kNotFound when the version does not exist yet.
  common::Result<std::vector<Partition>> ListLivePartitions(const DatasetId& id,
                                                            std::optional<int64_t> version,
                                                            std::optional<TimeRange> range);
  // The partitions whose membership changed between versions `after` (exclusive) and `up_to`
  // (inclusive): added in that span (and possibly removed again) or removed in it. Applied to the
  // live set at `after`, they give the live set at `up_to`: drop every returned partition removed
  // at or before `up_to`, add the others. Lets a reader's manifest cache catch up in one query
  // instead of re-reading the whole manifest. Precondition: 0 <= after <= up_to.
  common::Result<std::vector<Partition>> ListPartitionChanges(const DatasetId& id, int64_t after,
                                                              int64_t up_to);
  // kNotFound when absent.
  common::Result<DatasetVersion> GetVersion(const DatasetId& id, int64_t version);
  // Newest first; at most `limit` versions older than `before` (when set).
  common::Result<std::vector<DatasetVersion>> ListVersions(const DatasetId& id, int limit,
                                                           std::optional<int64_t> before);

  common::Result<std::optional<IngestionBatch>> FindIngestionBatch(const DatasetId& id,
                                                                   const std::string& key);
  // Live partitions of the dataset at its current version smaller than `max_bytes` (the files that
  // compaction has yet to merge; ingest back-pressure counts them).
  common::Result<int64_t> CountSmallLivePartitions(const DatasetId& id, int64_t max_bytes);

  // Records an answer that did not come from a commit. kAlreadyExists when the key was used.
  common::Status RecordIngestionBatch(const IngestionBatch& batch);

 private:
  PgPool& pool_;
  DatasetCache* const cache_;
};

}  // namespace timestore::catalog
