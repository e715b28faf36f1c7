// IngestService: rows in, durable partition files and one committed manifest version out
// (DESIGN.md write path, invariants 1-4 and 6). It validates the request, creates the dataset on
// first ingest, evolves the schema additively, and hands the decoded rows to the dataset's group
// commit: requests that meet in the queue share partition files and one version commit, and each is
// answered only after that commit. Every request carries an idempotency key (its own, or its body's
// SHA-256), recorded in the same transaction, so a retry returns the first answer and writes
// nothing. Thread-safe; Ingest blocks the calling (worker) thread until the answer is known.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <simdjson.h>

#include "catalog/catalog.h"
#include "common/status.h"
#include "observability/logger.h"
#include "observability/metrics.h"
#include "partition/fault_points.h"
#include "partition/partition_writer.h"
#include "partition/store_resolver.h"
#include "storage/partition_cache.h"

namespace timestore::ingest {

struct IngestRequest;  // ingest/ingest_request.h

struct IngestOptions {
  // A group-commit leader waits this long for more requests before writing. 0 writes at once: the
  // requests that arrive during a write still share the next one, and a lone client pays no wait.
  std::chrono::milliseconds group_commit_window{0};
  size_t max_rows_per_request = 1'000'000;  // more: kPayloadTooLarge
  size_t max_rows_per_commit = 500'000;     // a group commit takes at most this many rows
  // Group commits of one dataset that may write files at the same time (their catalog commits still
  // serialize on the dataset row). More overlap file writing with decoding; fewer share more.
  int max_concurrent_flushes = 2;
  // Back-pressure: with more than `max_small_partitions` live partitions below
  // `small_partition_bytes` a dataset refuses ingest with kUnavailable until compaction catches
  // up. 0 disables the check.
  int64_t small_partition_bytes = 20ll << 20;
  int64_t max_small_partitions = 5000;
  catalog::WriteFormat default_write_format = catalog::WriteFormat::kParquet;
  // Testing only: crash seams (after each file is published, after the commit).
  partition::FaultPoints faults;
};

// What one committed ingest request did: the content of its answer, before encoding.
struct IngestOutcome {
  std::string mode = "inline";
  catalog::Dataset dataset;  // current_version is the committed version
  catalog::StorageTarget storage_target;
  catalog::DatasetVersion version;  // the committed version's summary
  int64_t rows_ingested = 0;
  std::vector<catalog::Partition> partitions;  // the files holding this request's rows
};

// Encodes an outcome as the answer stored with the request's idempotency key. Called inside the
// commit's transaction; a replay returns the bytes it produced, unchanged.
using IngestEncoder = std::function<std::string(const IngestOutcome&)>;

struct IngestCall {
  std::string_view slug;
  std::string_view raw_body;    // for the content hash
  simdjson::dom::element body;  // the parsed body; valid during the call
  std::optional<std::string> idempotency_header;
  std::optional<std::string> actor;
  IngestEncoder encode;  // required
};

struct IngestResult {
  catalog::DatasetId dataset_id;
  bool replayed = false;  // the key was committed before: `answer` is the stored first answer
  std::optional<IngestOutcome> outcome;  // set when committed by this call
  std::optional<int64_t> version;        // the version the request committed (also on replay)
  std::string answer;                    // the encoded answer
};

// A dataset's manifest at one version: the version summary and its live partitions.
struct Manifest {
  catalog::Dataset dataset;
  int64_t version = 0;
  std::optional<catalog::DatasetVersion> summary;  // absent for version 0 (nothing committed)
  std::vector<catalog::Partition> partitions;
};

class IngestService {
 public:
  // `cache` (optional) receives a copy of every file published to a remote store (write-through),
  // so this node's first read of a fresh partition does not download it. `stores`, `cache` and
  // `metrics` must outlive the service.
  IngestService(catalog::Catalog& catalog, partition::StoreResolver& stores, IngestOptions options,
                storage::PartitionCache* cache = nullptr,
                observability::MetricsRegistry* metrics = nullptr);
  ~IngestService();
  IngestService(const IngestService&) = delete;
  IngestService& operator=(const IngestService&) = delete;

  // Errors: kInvalidArgument naming the field; kPayloadTooLarge; kConflict for a column type
  // change, an archived dataset or a reused idempotency key with another body; kNotFound for an
  // unknown storage target; kUnavailable (retry later) for back-pressure or a dependency that is
  // down.
  common::Result<IngestResult> Ingest(const IngestCall& call);

  // The manifest of `slug` at `version` (default: current). kNotFound for an unknown dataset or
  // version.
  common::Result<Manifest> GetManifest(std::string_view slug, std::optional<int64_t> version);
  // The same, addressing the dataset by id or slug (the admin route's parameter).
  common::Result<Manifest> GetManifestByIdOrSlug(std::string_view id_or_slug,
                                                 std::optional<int64_t> version);

  struct PendingWrite;

 private:
  struct CommitQueue;
  struct PreparedRows;
  struct FileGroup;
  using FileGroups = std::map<std::tuple<int, std::string, std::string, int64_t>, FileGroup>;

  // Refuses ingest into `dataset` (archived, back-pressure) or answers a replay of `key`.
  common::Result<std::optional<IngestResult>> CheckAdmission(const catalog::Dataset& dataset,
                                                             const std::string& key,
                                                             const std::string& request_hash);
  // Validates the rows against the dataset's schema, creating the dataset and extending the schema
  // as the request needs (retried when another writer changes them meanwhile).
  common::Result<PreparedRows> PrepareRows(std::string_view slug, const IngestRequest& request,
                                           std::optional<catalog::Dataset> found);
  common::Result<catalog::StorageTarget> ChooseTarget(const IngestRequest& request,
                                                      const catalog::Dataset& dataset);
  common::Result<IngestResult> Submit(std::unique_ptr<PendingWrite> write);
  // Groups the rows of `writes` by (schema version, target, partition key, window): one file each.
  static FileGroups GroupRows(const std::vector<PendingWrite*>& writes, int64_t window);
  // Writes, publishes and commits `writes` as one version; sets each one's result.
  void Flush(std::vector<PendingWrite*> writes);
  // Writes and publishes every group's file; fills each group's partition.
  common::Status WriteFiles(FileGroups& groups, int64_t window);
  common::Status PublishFile(FileGroup& group, const std::string& id, int64_t window_start,
                             int64_t window);
  // Commits `groups` as one version; kAlreadyExists when some request's key was taken meanwhile.
  common::Status Commit(const std::vector<PendingWrite*>& writes, const FileGroups& groups);
  common::Result<Manifest> ManifestOf(catalog::Dataset dataset, std::optional<int64_t> version);

  catalog::Catalog& catalog_;
  partition::StoreResolver& stores_;
  storage::PartitionCache* const cache_;
  const IngestOptions options_;
  observability::Logger logger_;
  // One DuckDB instance reused for every file (starting one costs more than a small file).
  common::Result<partition::PartitionWriter> writer_;
  observability::Counter* rows_committed_ = nullptr;
  observability::Counter* commits_ = nullptr;
  observability::Counter* files_written_ = nullptr;
  observability::Histogram* flush_seconds_ = nullptr;

  std::mutex queues_mu_;
  std::map<std::string, std::unique_ptr<CommitQueue>> queues_;  // by dataset id
};

}  // namespace timestore::ingest
