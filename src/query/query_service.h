// QueryService: `POST /datasets/{slug}/query` (DESIGN.md read path). It validates the request
// against the dataset's schema, picks a manifest version (current, or asOfVersion), prunes
// partitions, makes their files local, and runs one DuckDB statement over them. The answer is a
// QueryStream that the caller writes out in the format it wants, so large results stream instead of
// sitting in memory. Thread-safe; Query blocks the calling (worker) thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "common/status.h"
#include "duck/query_result.h"
#include "observability/logger.h"
#include "observability/metrics.h"
#include "query/dataset_reader.h"
#include "query/query_engine.h"
#include "query/query_planner.h"
#include "query/row_encoder.h"

namespace timestore::query {

struct QueryServiceOptions {
  QueryLimits limits;
  std::chrono::milliseconds timeout{30'000};  // TIMESTORE_QUERY_TIMEOUT_MS: planning to last row
};

struct QueryStatistics {
  int64_t partitions_total = 0;
  int64_t partitions_scanned = 0;
  int64_t partitions_pruned = 0;
  int64_t pruned_by_time = 0;
  int64_t pruned_by_key = 0;
  int64_t pruned_by_statistics = 0;
  int64_t partitions_local = 0;
  int64_t partitions_from_cache = 0;
  int64_t partitions_fetched = 0;
  int64_t partitions_native = 0;  // of those scanned, read from a native copy (NativeCopies)
};

// The answer to one query, ready to be written out once. Holds the DuckDB connection, the pinned
// files and the running statement until destroyed. Not thread-safe (one writer).
class QueryStream {
 public:
  ~QueryStream();
  QueryStream(const QueryStream&) = delete;
  QueryStream& operator=(const QueryStream&) = delete;

  // Writes the whole answer through `write` (called with pieces of about 64 KiB):
  //   kJson:   {"mode":..,"columns":[..],"rows":[{..},..],"truncated":..,"warnings":[..],
  //             "version":N,"statistics":{..}}
  //   kNdjson: one JSON object per row and line;  kCsv: a header record, then one record per row.
  // Errors: the first error of `write` (the client went away), kDeadlineExceeded when the query
  // ran past its timeout, DuckDB's errors while producing later rows.
  common::Status WriteTo(OutputFormat format,
                         const std::function<common::Status(std::string_view)>& write);

  const std::vector<std::string>& columns() const { return encoder_.names(); }
  const char* mode() const { return downsampled_ ? "downsampled" : "raw"; }
  int64_t version() const { return version_; }
  const QueryStatistics& statistics() const { return statistics_; }
  // Rows written by WriteTo so far, and whether the default limit cut the answer short (known once
  // WriteTo has returned; a limit the caller gave never truncates, it is the answer's size).
  int64_t rows_written() const { return rows_written_; }
  bool truncated() const { return truncated_; }

 private:
  friend class QueryService;
  QueryStream() = default;

  // Execution state, in destruction order (last member destroyed first): the result before the
  // statement's connection lease, the watchdog guard before the lease, pins last.
  ResolvedFiles files_;
  std::vector<QueryEngine::Attachment> attachments_;
  std::optional<QueryEngine::Lease> lease_;
  DeadlineWatchdog::Guard deadline_;
  std::optional<duck::QueryResult> result_;  // absent when no partition had to be read
  std::optional<duck::ResultChunk> first_chunk_;

  RowEncoder encoder_{{}, {}};
  bool downsampled_ = false;
  int64_t version_ = 0;
  int64_t limit_ = 0;
  QueryStatistics statistics_;
  std::chrono::steady_clock::time_point started_;
  int64_t rows_written_ = 0;
  bool truncated_ = false;
  bool written_ = false;
  observability::Histogram* duration_ = nullptr;  // observed when WriteTo ends; may be null
};

class QueryService {
 public:
  // `engine`, `reader` and `metrics` (optional) must outlive the service.
  QueryService(QueryEngine& engine, DatasetReader& reader, QueryServiceOptions options,
               observability::MetricsRegistry* metrics = nullptr);

  // Plans and starts the query, and reads its first rows, so that every failure a caller can cause
  // is reported here, before anything is written: kNotFound for an unknown dataset,
  // kInvalidArgument naming the field for a bad request (also an asOfVersion that was never
  // committed), kDeadlineExceeded past the timeout, kUnavailable when the catalog or a store is
  // down or every connection is busy.
  common::Result<std::unique_ptr<QueryStream>> Query(std::string_view slug,
                                                     simdjson::dom::element body);
  // The same over `dataset` as the caller already read it from the catalog in this request (its
  // current version is the one the query answers by default); no catalog read for the dataset.
  common::Result<std::unique_ptr<QueryStream>> Query(const catalog::Dataset& dataset,
                                                     simdjson::dom::element body);

 private:
  // Adds a plan's partition counts to the metrics.
  void CountPartitions(const QueryStatistics& stats) const;

  QueryEngine& engine_;
  DatasetReader& reader_;
  const QueryServiceOptions options_;
  observability::Logger logger_;
  struct Metrics {
    observability::Counter* scanned = nullptr;
    observability::Counter* pruned_by_time = nullptr;
    observability::Counter* pruned_by_key = nullptr;
    observability::Counter* pruned_by_statistics = nullptr;
    observability::Histogram* duration = nullptr;
  };
  Metrics metrics_;
};

}  // namespace timestore::query
