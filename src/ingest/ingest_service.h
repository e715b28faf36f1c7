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
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <simdjson.h>

#include "catalog/catalog.h"
#include "common/status.h"
#include "ingest/partition_writer.h"
#include "observability/logger.h"
#include "observability/metrics.h"
#include "storage/object_store_registry.h"
#include "storage/partition_cache.h"

namespace timestore::ingest {

struct IngestOptions {
  // A group-commit leader waits this long for more requests before writing. 0 writes at once: the
  // requests that arrive during a write still share the next one, and a lone client pays no wait.
  std::chrono::milliseconds group_commit_window{0};
  size_t max_rows_per_request = 1'000'000;  // more: 413
  size_t max_rows_per_commit = 500'000;     // a group commit takes at most this many rows
  // Group commits of one dataset that may write files at the same time (their catalog commits still
  // serialize on the dataset row). More overlap file writing with decoding; fewer share more.
  int max_concurrent_flushes = 2;
  // Back-pressure: with more than `max_small_partitions` live partitions below
  // `small_partition_bytes` a dataset refuses ingest with 503 + Retry-After until compaction
  // catches up. 0 disables the check.
  int64_t small_partition_bytes = 20ll << 20;
  int64_t max_small_partitions = 5000;
  catalog::WriteFormat default_write_format = catalog::WriteFormat::kParquet;
  // Testing only: "after_put" or "after_commit" kills the process (SIGKILL) at that point.
  std::string fault_injection_point;
};

struct IngestCall {
  std::string_view slug;
  std::string_view raw_body;    // for the content hash
  simdjson::dom::element body;  // the parsed body; valid during the call
  std::optional<std::string> idempotency_header;
  std::optional<std::string> actor;
};

struct IngestAnswer {
  int http_status = 201;  // 201 committed now, 200 replay of an earlier answer
  std::string body;       // JSON
  bool replayed = false;
};

class IngestService {
 public:
  // `cache` (optional) receives a copy of every file published to a remote store (write-through),
  // so this node's first read of a fresh partition does not download it. `cache` and `metrics`
  // must outlive the service.
  IngestService(catalog::Catalog& catalog, storage::ObjectStoreRegistry& stores,
                IngestOptions options, storage::PartitionCache* cache = nullptr,
                observability::MetricsRegistry* metrics = nullptr);
  ~IngestService();
  IngestService(const IngestService&) = delete;
  IngestService& operator=(const IngestService&) = delete;

  // Errors: kInvalidArgument (400) naming the field; kPayloadTooLarge (413); kConflict (409) for a
  // column type change, an archived dataset or a reused idempotency key with another body;
  // kNotFound for an unknown storage target; kUnavailable (503, retry later) for back-pressure or a
  // dependency that is down.
  common::Result<IngestAnswer> Ingest(const IngestCall& call);

  // The manifest of `slug` at `version` (default: current) as JSON: the version summary and its
  // live partitions. kNotFound for an unknown dataset or version.
  common::Result<std::string> ManifestJson(std::string_view slug, std::optional<int64_t> version);
  // The same, addressing the dataset by id or slug (the admin route's parameter).
  common::Result<std::string> ManifestJsonByIdOrSlug(std::string_view id_or_slug,
                                                     std::optional<int64_t> version);

  struct PendingWrite;

 private:
  struct CommitQueue;
  common::Result<IngestAnswer> Submit(std::unique_ptr<PendingWrite> write);
  // Writes, publishes and commits `writes` as one version; sets each one's answer.
  void Flush(std::vector<PendingWrite*> writes);
  common::Result<std::string> ManifestJsonOf(const catalog::Dataset& dataset,
                                             std::optional<int64_t> version);

  catalog::Catalog& catalog_;
  storage::ObjectStoreRegistry& stores_;
  storage::PartitionCache* const cache_;
  const IngestOptions options_;
  observability::Logger logger_;
  // One DuckDB instance reused for every file (starting one costs more than a small file).
  common::Result<PartitionWriter> writer_;
  observability::Counter* rows_committed_ = nullptr;
  observability::Counter* commits_ = nullptr;
  observability::Counter* files_written_ = nullptr;
  observability::Histogram* flush_seconds_ = nullptr;

  std::mutex queues_mu_;
  std::map<std::string, std::unique_ptr<CommitQueue>> queues_;  // by dataset id
};

}  // namespace timestore::ingest
