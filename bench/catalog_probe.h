// CatalogProbe: reads what the timestore catalog says was committed for a dataset, straight from
// PostgreSQL (libpq), so that the benchmark counts committed rows rather than rows sent. Owns one
// connection; move-only; one thread at a time. The bench reads catalog tables by name on purpose:
// it checks the server from outside instead of trusting its answers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

struct pg_conn;

namespace timestore::bench {

struct DatasetSnapshot {
  int64_t version = 0;          // newest row of dataset_versions
  int64_t total_rows = 0;       // its total_rows
  int64_t total_bytes = 0;      // its total_bytes
  int64_t live_partitions = 0;  // dataset_partitions with removed_in_version IS NULL
  std::string formats;          // their distinct formats, e.g. "parquet" or "duckdb+parquet"
};

class CatalogProbe {
 public:
  // Connects to `url` (a libpq URI); `schema` is the catalog schema (TIMESTORE_PG_SCHEMA).
  static common::Result<CatalogProbe> Connect(const std::string& url, std::string schema);

  // The dataset's newest version and live partitions. kNotFound when no dataset has that slug or
  // it has no version yet; kUnavailable for connection or query failures.
  common::Result<DatasetSnapshot> GetDatasetSnapshot(std::string_view slug);

  // The object keys of the dataset's live partitions, by start time (then key); none for an
  // unknown slug. kUnavailable for connection or query failures.
  common::Result<std::vector<std::string>> ListLiveObjectKeys(std::string_view slug);

 private:
  struct ConnCloser {
    void operator()(pg_conn* conn) const;
  };
  CatalogProbe(std::unique_ptr<pg_conn, ConnCloser> conn, std::string quoted_schema)
      : conn_(std::move(conn)), quoted_schema_(std::move(quoted_schema)) {}

  std::unique_ptr<pg_conn, ConnCloser> conn_;
  std::string quoted_schema_;  // already an SQL identifier
};

}  // namespace timestore::bench
