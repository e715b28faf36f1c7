// NativeCopies: DuckDB-native copies of Parquet partitions, for reading. Partition files stay
// Parquet on the storage target (an open format other engines read); a query reads a Parquet file
// about twice as slowly as the same rows in a DuckDB table (decompression and decoding of every
// page it touches, per query). So a Parquet partition of at least `min_rows` rows is decoded once,
// in the background, into a DuckDB database file holding one table `records` with the partition's
// columns and rows in the file's order, and the read paths scan that file instead (kept attached).
//
// Copies live in the PartitionCache (store id "native", key "<partition id>.duckdb"), so they share
// its byte budget, LRU eviction and pinning, and survive restarts. A partition is immutable and its
// id is never reused (invariants 1, 2), so a copy is never stale and needs no invalidation across
// nodes; a node without a copy reads the Parquet file, which gives the same rows.
//
// Thread-safe. One background thread decodes, one partition at a time, on its own DuckDB instance
// (1 thread, bounded memory), so decoding never takes a query's connection.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "catalog/types.h"
#include "common/status.h"
#include "observability/logger.h"
#include "observability/metrics.h"
#include "storage/partition_cache.h"

namespace timestore::query {

struct NativeCopiesOptions {
  bool enabled = true;        // TIMESTORE_QUERY_NATIVE_COPIES
  int64_t min_rows = 50'000;  // TIMESTORE_QUERY_NATIVE_MIN_ROWS: smaller partitions are read as is
  std::string memory_limit = "256MB";  // of the decoding DuckDB instance
  size_t max_queued = 1024;            // decodes waiting; more requests are dropped (asked again)
};

class NativeCopies {
 public:
  // `cache` must outlive this. `metrics` (optional) too.
  NativeCopies(storage::PartitionCache& cache, NativeCopiesOptions options,
               observability::MetricsRegistry* metrics = nullptr);
  // Stops the decoder (a decode in progress finishes first).
  ~NativeCopies();
  NativeCopies(const NativeCopies&) = delete;
  NativeCopies& operator=(const NativeCopies&) = delete;

  // A pinned native copy of `partition` (`columns`: its schema version's), whose Parquet file is
  // readable at `parquet_path` now, when one is ready. Otherwise nothing, and - for a Parquet
  // partition of at least min_rows rows - its decode is queued once (a Parquet file held in the
  // cache stays pinned until then). Never fails: a failed decode is logged, counted, and asked for
  // again by a later read.
  std::optional<storage::CachedFile> Find(const catalog::Partition& partition,
                                          const std::vector<catalog::ColumnDef>& columns,
                                          const std::string& parquet_path);

  // Waits until no decode is queued or running; for tests and benchmarks.
  void WaitIdle();

  // Decodes done and failed since start.
  int64_t decoded() const;
  int64_t failed() const;

  static constexpr const char* kStoreId = "native";

 private:
  struct Job {
    std::string partition_id;
    int64_t row_count = 0;
    std::vector<catalog::ColumnDef> columns;
    std::string parquet_path;
    std::optional<storage::CachedFile> pin;  // the Parquet file, when it came from the cache
  };
  void Run(const std::stop_token& stop);
  void Finish(const Job& job, const common::Status& status);
  common::Status Decode(const Job& job);

  storage::PartitionCache& cache_;
  const NativeCopiesOptions options_;
  observability::Logger logger_;
  observability::Counter* decoded_metric_ = nullptr;
  observability::Counter* failed_metric_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<Job> queue_;        // guarded by mu_
  std::set<std::string> known_;  // guarded by mu_; queued or decoding, by partition id
  bool busy_ = false;            // guarded by mu_; a decode is running
  int64_t decoded_ = 0;          // guarded by mu_
  int64_t failed_ = 0;           // guarded by mu_
  std::jthread worker_;          // last: stops (and joins) before the members above go
};

}  // namespace timestore::query
