// NativeCopies: DuckDB-native copies of Parquet partitions, for reading. Partition files stay
// Parquet on the storage target (an open format other engines read); a query reads a Parquet file
// about twice as slowly as the same rows in a DuckDB table (decompression and decoding of every
// page it touches, per query). So a Parquet partition of at least `min_rows` rows is decoded once,
// in the background, into a DuckDB database file holding one table `records` with the partition's
// columns and rows in the file's order, and the read paths scan that file instead (kept attached).
//
// Series copies: a query that selects a few values of a string column (a host, a sensor: `=` or
// IN) reads a copy whose rows are sorted by that column and then time, in row groups of
// kSeriesRowGroupRows rows, so that DuckDB skips every row group of other series by its statistics
// and the query reads about the same rows however many series the dataset holds. Such a copy is
// made for a column the first time a query selects by it (the time-ordered copy answers
// meanwhile), so only columns that queries use cost disk. Both orders hold the same rows: which one
// a query reads changes its speed, never its answer.
//
// Copies live in the PartitionCache (store id "native", key "<partition id>.duckdb", or
// "<partition id>.by-<hex of the column name>.duckdb" for a series copy), so they share
// its byte budget, LRU eviction and pinning, and survive restarts. A partition is immutable and its
// id is never reused (invariants 1, 2), so a copy is never stale and needs no invalidation across
// nodes; a node without a copy reads the Parquet file, which gives the same rows.
//
// Thread-safe. One background thread decodes, one partition at a time, on its own DuckDB instance
// (1 thread, bounded memory, the thread at nice 10), so decoding never takes a query's connection
// and yields the CPU to queries.
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

// Rows per row group of a series copy: small enough that one series of a day-long partition spans
// a row group or two, big enough that a full scan stays cheap.
inline constexpr int64_t kSeriesRowGroupRows = 16'384;

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
  // cache stays pinned until then). Never fails: a failed decode is logged and counted, and the
  // partition is read as Parquet from then on.
  //
  // With `series`, the copy sorted by that column (a string column of `columns`) and then by
  // `timestamp_column` is asked for instead; while it is not ready the time-ordered copy (or
  // nothing) is returned, as without `series`.
  struct Series {
    std::string column;
    std::string timestamp_column;
  };
  std::optional<storage::CachedFile> Find(const catalog::Partition& partition,
                                          const std::vector<catalog::ColumnDef>& columns,
                                          const std::string& parquet_path,
                                          const std::optional<Series>& series = std::nullopt);

  // Waits until no decode is queued or running; for tests and benchmarks.
  void WaitIdle();

  // Decodes done and failed since start.
  int64_t decoded() const;
  int64_t failed() const;

  static constexpr const char* kStoreId = "native";

 private:
  struct Job {
    std::string key;  // the cache key of the copy
    std::string partition_id;
    std::optional<Series> series;
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
  std::deque<Job> queue_;  // guarded by mu_
  // Queues the decode of `key` once; a Parquet file held in the cache stays pinned until then.
  void Queue(std::string key, const catalog::Partition& partition,
             const std::vector<catalog::ColumnDef>& columns, const std::string& parquet_path,
             const std::optional<Series>& series);

  std::set<std::string> known_;  // guarded by mu_; queued or decoding, by cache key
  // Copies whose decode failed; not tried again by this process (partitions are immutable, so a
  // failure is the file's; the Parquet file keeps answering). Guarded by mu_.
  std::set<std::string> failed_keys_;
  bool busy_ = false;            // guarded by mu_; a decode is running
  int64_t decoded_ = 0;          // guarded by mu_
  int64_t failed_ = 0;           // guarded by mu_
  std::jthread worker_;          // last: stops (and joins) before the members above go
};

}  // namespace timestore::query
