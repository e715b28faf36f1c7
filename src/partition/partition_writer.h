// Partition writer: turns a RowBatch into one new, immutable partition file on the local file
// system - a DuckDB database file or a Parquet file - and reports what the catalog records about
// it (size, SHA-256, row count, time range, per-column statistics). PartitionWriter says who owns
// what and which threads may call it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "catalog/types.h"
#include "common/status.h"
#include "common/time.h"
#include "duck/database.h"
#include "partition/column_statistics.h"
#include "partition/row_batch.h"

namespace timestore::partition {

struct PartitionFileStats {
  int64_t row_count = 0;
  common::UnixMicros min_time = 0;  // over the timestamp column, inclusive
  common::UnixMicros max_time = 0;
  // Every column in schema order; EncodeColumnStatistics gives the catalog's JSON form.
  ColumnStatisticsList column_statistics;
};

struct WrittenPartitionFile {
  std::string path;
  int64_t size_bytes = 0;
  std::string sha256_hex;  // 64 lowercase hex digits of the file's bytes
  PartitionFileStats stats;
};

// Writes partition files. It owns one in-memory DuckDB instance and reuses it for every file,
// because starting an instance (~8 ms) costs more than writing a small file. Thread-safe: Write may
// run on many threads at once (each call uses its own connection, and DuckDB work runs on the
// calling thread). Create one per process and share it; movable, not copyable.
class PartitionWriter {
 public:
  // Starts the DuckDB instance. kInternal when DuckDB cannot start.
  static common::Result<PartitionWriter> Create();

  // Writes `rows` to a new file at `path` in `format` and returns its description. The rows are
  // written stably sorted by `timestamp_column`. Columns keep the schema's names and order, typed
  // timestamp -> TIMESTAMP (UTC microseconds, no zone), string -> VARCHAR, double -> DOUBLE,
  // integer -> BIGINT, boolean -> BOOLEAN:
  //   kDuckdb:  a self-contained DuckDB database file (checkpointed, no .wal) holding one table
  //             kTableName (file_format.h); open it with ATTACH ... (READ_ONLY).
  //   kParquet: a Parquet file, ZSTD-compressed, row groups of kParquetRowGroupRows rows
  //           (file_format.h).
  // The file is complete and fsync'ed (with its directory entry) before this returns, and appears
  // at `path` only then: it is written under a temporary name `<path>.tmp-<random>` in the same
  // directory and renamed without replacing anything. A crash can leave such temporary files (and
  // their `.wal`) behind for the orphan sweeper; after an error return nothing is left.
  // Errors:
  //   kAlreadyExists    `path` exists (it is left untouched), also when it appears meanwhile;
  //   kInvalidArgument  no rows; `timestamp_column` missing, not a timestamp or holding a NULL; a
  //                     schema DuckDB refuses (two names that differ only in case - DuckDB
  //                     identifiers are case-insensitive - or an empty name); a string that is
  //                     not UTF-8;
  //   file system errors as storage::ErrnoStatus codes them (kResourceExhausted for a full disk,
  //   kUnavailable for EIO/EACCES, ...); DuckDB's own I/O errors, such as a missing directory, are
  //   kInternal.
  // Precondition (asserted): `rows` is well-formed (one buffer per schema column, equal lengths,
  // buffer types matching the schema).
  common::Result<WrittenPartitionFile> Write(const RowBatch& rows,
                                             std::string_view timestamp_column,
                                             catalog::WriteFormat format,
                                             const std::string& path) const;

 private:
  explicit PartitionWriter(duck::Database db) : db_(std::move(db)) {}

  duck::Database db_;  // in-memory; holds no tables between calls
};

// One-shot PartitionWriter::Write on a writer of its own (pays the instance start every call);
// for tools and tests. Errors as for Write.
common::Result<WrittenPartitionFile> WritePartitionFile(const RowBatch& rows,
                                                        std::string_view timestamp_column,
                                                        catalog::WriteFormat format,
                                                        const std::string& path);

}  // namespace timestore::partition
