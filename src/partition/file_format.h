// The partition file format: what every writer and reader of partition files agrees on - the
// table a DuckDB file holds, the Parquet layout, the file extension and how catalog column types
// map to DuckDB types - and the object keys files are published under. Pure functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "catalog/types.h"
#include "common/time.h"
#include "duck/type.h"
#include "partition/partition_key.h"

namespace timestore::partition {

// The name of the one table in a DuckDB partition file.
inline constexpr std::string_view kTableName = "records";

// Rows per Parquet row group (DuckDB's default): big enough for good compression and few footer
// entries, small enough that a reader can skip a row group by its min/max.
inline constexpr int64_t kParquetRowGroupRows = 122'880;

// "duckdb" or "parquet".
std::string_view FileExtension(catalog::WriteFormat format);

// The DuckDB type a column of `type` is stored as: timestamp -> TIMESTAMP (UTC microseconds, no
// zone), string -> VARCHAR, double -> DOUBLE, integer -> BIGINT, boolean -> BOOLEAN.
duck::Type DuckType(catalog::ColumnType type);
// Its SQL name ("TIMESTAMP", "VARCHAR", ...).
std::string_view SqlTypeName(catalog::ColumnType type);

// A fresh partition id, "part-<random>"; never reused (invariant 1).
std::string NewPartitionId();

// "<id>.<extension>": the file's name in a staging directory and the last object-key segment.
std::string FileName(std::string_view partition_id, catalog::WriteFormat format);

// The object key of a partition file:
// `<slug>/<key>=<value>/.../window=<YYYYMMDDTHHMMSSZ>/<id>.<ext>` (storage::CompactTimeSegment of
// the window start).
common::ObjectKey PartitionObjectKey(std::string_view dataset_slug, const PartitionKey& key,
                                     common::UnixMicros window_start, std::string_view partition_id,
                                     catalog::WriteFormat format);

}  // namespace timestore::partition
