// QuerySql: the DuckDB statement that answers a QuerySpec over a set of partition files (DESIGN.md
// read path, step 3). Partitions of one schema version and format are read by one scan (Parquet
// files through one read_parquet over the list; DuckDB files through their attachments), each scan
// projects only the columns the query needs (absent ones as typed NULLs, so schema versions union
// by name) and carries the time range and column filters, so that DuckDB pushes them into the scan
// and skips row groups by their statistics. Time bucketing, aggregation, gap filling, order and
// limit follow. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/types.h"
#include "partition/scan_sql.h"
#include "query/query_spec.h"

namespace timestore::query {

// One partition file as the query reads it (a Parquet path, or a DuckDB file's read-only
// attachment).
using SourceFile = partition::ScanFile;

struct QuerySql {
  std::string sql;
  // Values of the `$1`, `$2`, ... parameters, in order. String values are always parameters;
  // numbers, timestamps and booleans are written as SQL literals printed from their typed values
  // (never from the caller's text), so DuckDB can push them into the scans.
  std::vector<Value> params;
};

// The statement for `spec` over `files` (non-empty), returning at most `row_cap` rows in the order
// of AnswerColumns(spec, schema). `schema` is the dataset's current schema; `schema_versions` the
// columns of every schema version a file names.
// `single_bucket`, when set, is the start of the one bucket every row of the files falls in (see
// SingleBucketProbeSql): the bucket is then a constant instead of a per-row time_bucket.
QuerySql BuildQuerySql(const QuerySpec& spec, const std::vector<catalog::ColumnDef>& schema,
                       const std::map<int, std::vector<catalog::ColumnDef>>& schema_versions,
                       const std::vector<SourceFile>& files, int64_t row_cap,
                       std::optional<common::UnixMicros> single_bucket = std::nullopt);

// The start of the bucket holding `t`, as DuckDB's time_bucket computes it for `downsample`'s
// interval (fixed widths count from its default origin, Monday 2000-01-03 00:00 UTC); nothing for
// months, whose buckets only DuckDB's calendar arithmetic places (see SingleBucketProbeSql).
std::optional<common::UnixMicros> FixedBucketStart(const Downsample& downsample,
                                                   common::UnixMicros t);

// A statement answering one row: the bucket starts (epoch microseconds) of instants `first` and
// `last` under `downsample`'s interval. Equal starts mean every instant between them falls in one
// bucket.
std::string SingleBucketProbeSql(const Downsample& downsample, common::UnixMicros first,
                                 common::UnixMicros last);

// A SELECT of every column of `schema` over all `files` (absent columns as typed NULLs), for the
// SQL runtime's dataset views; with no files, no rows. Precondition: `schema` is not empty.
std::string DatasetViewSql(const std::vector<catalog::ColumnDef>& schema,
                           const std::map<int, std::vector<catalog::ColumnDef>>& schema_versions,
                           const std::vector<SourceFile>& files);

// "TIMESTAMP '2024-01-01 00:00:00.000000'".
std::string TimestampLiteral(common::UnixMicros micros);

}  // namespace timestore::query
