#include "partition/partition_writer.h"

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/random_id.h"
#include "duck/appender.h"
#include "duck/connection.h"
#include "duck/data_chunk.h"
#include "duck/database.h"
#include "duck/sql_quoting.h"
#include "partition/duckdb_file.h"
#include "partition/file_format.h"
#include "partition/scan_sql.h"
#include "partition/staging_file.h"
#include "storage/posix_file.h"
#include "storage/sha256_hasher.h"

namespace timestore::partition {
namespace {

using catalog::ColumnType;
using catalog::WriteFormat;
using common::Result;
using common::Status;
using duck::QuoteIdent;
using duck::QuoteLiteral;

// Min/max of one column, built while the rows are copied into DuckDB. Only values that count are
// folded in: non-NULL, and finite for doubles.
struct ColumnStats {
  bool has_value = false;
  int64_t min_int = 0;  // kTimestamp, kInteger, kBoolean (0/1)
  int64_t max_int = 0;
  double min_double = 0;
  double max_double = 0;
  std::string_view min_string;  // views into the RowBatch's arena
  std::string_view max_string;

  void AddInt(int64_t v) {
    if (!has_value) {
      min_int = max_int = v;
      has_value = true;
    } else {
      min_int = std::min(min_int, v);
      max_int = std::max(max_int, v);
    }
  }
  void AddDouble(double v) {
    if (!std::isfinite(v)) return;
    if (!has_value) {
      min_double = max_double = v;
      has_value = true;
    } else {
      min_double = std::min(min_double, v);
      max_double = std::max(max_double, v);
    }
  }
  // std::string_view compares with char_traits<char>, i.e. as unsigned bytes (memcmp).
  void AddString(std::string_view v) {
    if (!has_value) {
      min_string = max_string = v;
      has_value = true;
    } else {
      if (v < min_string) min_string = v;
      if (v > max_string) max_string = v;
    }
  }
};

// Copies rows [first, first + count) of `column`, in the order given by `order` (null: batch
// order), into column `col` of `chunk`, and folds them into `stats`.
void FillColumn(const ColumnBuffer& column, const size_t* order, size_t first, size_t count,
                size_t col, duck::DataChunk& chunk, ColumnStats& stats) {
  for (size_t r = 0; r < count; ++r) {
    const size_t src = order != nullptr ? order[first + r] : first + r;
    if (column.IsNull(src)) {
      chunk.SetNull(col, r);
      continue;
    }
    switch (column.type()) {
      case ColumnType::kTimestamp: {
        const int64_t v = column.Int64At(src);
        chunk.SetTimestampMicros(col, r, v);
        stats.AddInt(v);
        break;
      }
      case ColumnType::kInteger: {
        const int64_t v = column.Int64At(src);
        chunk.SetInt64(col, r, v);
        stats.AddInt(v);
        break;
      }
      case ColumnType::kDouble: {
        const double v = column.DoubleAt(src);
        chunk.SetDouble(col, r, v);
        stats.AddDouble(v);
        break;
      }
      case ColumnType::kBoolean: {
        const bool v = column.BoolAt(src);
        chunk.SetBool(col, r, v);
        stats.AddInt(v ? 1 : 0);
        break;
      }
      case ColumnType::kString: {
        const std::string_view v = column.StringAt(src);
        chunk.SetString(col, r, v);
        stats.AddString(v);
        break;
      }
    }
  }
}

// DuckDB's catalog of a connection's temporary tables.
constexpr std::string_view kTempCatalog = "temp";

// Creates table `catalog`.main.records on `conn` (a temporary table in kTempCatalog) and appends
// all rows in `order` (null: batch order) through 2048-row data chunks, filling `stats` (one per
// column) on the way.
Status CreateAndFillTable(duck::Connection& conn, std::string_view catalog, const RowBatch& rows,
                          const size_t* order, std::vector<ColumnStats>& stats) {
  std::string ddl = catalog == kTempCatalog ? "CREATE TEMP TABLE " : "CREATE TABLE ";
  ddl += QuoteIdent(catalog) + ".main." + QuoteIdent(kTableName) + " " + ColumnListDdl(rows.schema);
  TS_RETURN_IF_ERROR(conn.Execute(ddl));

  TS_ASSIGN_OR_RETURN(duck::Appender appender,
                      duck::Appender::Create(conn, catalog, "main", kTableName));
  std::vector<duck::Type> types;
  types.reserve(rows.schema.size());
  for (const auto& def : rows.schema) types.push_back(DuckType(def.type));
  TS_ASSIGN_OR_RETURN(duck::DataChunk chunk, duck::DataChunk::Create(std::move(types)));

  const size_t row_count = rows.row_count();
  for (size_t first = 0; first < row_count; first += chunk.capacity()) {
    const size_t count = std::min(chunk.capacity(), row_count - first);
    for (size_t col = 0; col < rows.columns.size(); ++col) {
      FillColumn(rows.columns[col], order, first, count, col, chunk, stats[col]);
    }
    chunk.SetSize(count);
    Status appended = appender.AppendChunk(chunk);
    if (!appended.ok()) {
      (void)appender.Close();  // the appender is unusable; its error is the one above
      return appended;
    }
    chunk.Reset();
  }
  return appender.Close();
}

// A DuckDB database file: attached under a unique alias, filled, checkpointed and detached again,
// also on failure, so that the shared instance keeps nothing open.
Status WriteDuckdbFile(duck::Connection& conn, const RowBatch& rows, const size_t* order,
                       const std::string& file, std::vector<ColumnStats>& stats) {
  const std::string alias = "partition_" + common::RandomHex(8);
  return WriteDuckdbDatabase(conn, file, alias, "",
                             [&] { return CreateAndFillTable(conn, alias, rows, order, stats); });
}

// A Parquet file: the rows go to a temporary table of this connection (gone when it closes), then
// COPY writes the file.
Status WriteParquetFile(duck::Connection& conn, const RowBatch& rows, const size_t* order,
                        const std::string& file, std::vector<ColumnStats>& stats) {
  TS_RETURN_IF_ERROR(CreateAndFillTable(conn, kTempCatalog, rows, order, stats));
  return conn.Execute("COPY " + QuoteIdent(kTempCatalog) + ".main." + QuoteIdent(kTableName) +
                      " TO " + QuoteLiteral(file) + " " + ParquetCopyOptions());
}

struct FileDigest {
  int64_t size_bytes = 0;
  std::string sha256_hex;
};

// Reads `file` once to compute its SHA-256 and size, then fsyncs it.
Result<FileDigest> HashAndSync(const std::string& file) {
  TS_ASSIGN_OR_RETURN(storage::PosixFile f, storage::PosixFile::Open(file, O_RDONLY));
  storage::Sha256Hasher hasher;
  FileDigest digest;
  std::vector<char> buffer(size_t{1} << 20);
  while (true) {
    TS_ASSIGN_OR_RETURN(size_t n, f.Read(buffer.data(), buffer.size()));
    if (n == 0) break;
    hasher.Update(std::string_view(buffer.data(), n));
    digest.size_bytes += static_cast<int64_t>(n);
  }
  TS_RETURN_IF_ERROR(f.Sync());
  TS_RETURN_IF_ERROR(f.Close());
  digest.sha256_hex = hasher.FinishHex();
  return digest;
}

// The statistics of `rows` from what FillColumn folded into `stats`, in schema order.
ColumnStatisticsList Statistics(const RowBatch& rows, const std::vector<ColumnStats>& stats) {
  ColumnStatisticsList out;
  out.reserve(rows.schema.size());
  for (size_t col = 0; col < rows.schema.size(); ++col) {
    const ColumnStats& s = stats[col];
    ColumnStatistics c;
    c.null_count = static_cast<int64_t>(rows.columns[col].null_count());
    if (s.has_value) {
      switch (rows.schema[col].type) {
        case ColumnType::kTimestamp:
          c.min = JsonScalar::Timestamp(s.min_int);
          c.max = JsonScalar::Timestamp(s.max_int);
          break;
        case ColumnType::kInteger:
          c.min = JsonScalar::Integer(s.min_int);
          c.max = JsonScalar::Integer(s.max_int);
          break;
        case ColumnType::kBoolean:
          c.min = JsonScalar::Boolean(s.min_int != 0);
          c.max = JsonScalar::Boolean(s.max_int != 0);
          break;
        case ColumnType::kDouble:
          c.min = JsonScalar::Double(s.min_double);
          c.max = JsonScalar::Double(s.max_double);
          break;
        case ColumnType::kString:
          c.min = JsonScalar::String(s.min_string);
          c.max = JsonScalar::String(s.max_string);
          break;
      }
    }
    out.emplace_back(rows.schema[col].name, std::move(c));
  }
  return out;
}

void AssertWellFormed(const RowBatch& rows) {
  assert(rows.columns.size() == rows.schema.size());
  for (size_t col = 0; col < rows.columns.size(); ++col) {
    assert(rows.columns[col].type() == rows.schema[col].type);
    assert(rows.columns[col].size() == rows.row_count());
  }
  (void)rows;
}

}  // namespace

Result<PartitionWriter> PartitionWriter::Create() {
  duck::DatabaseOptions options;
  // DuckDB work runs on the calling thread only: writes already run in parallel on the callers'
  // threads, and small files gain nothing from a worker pool.
  options.threads = 1;
  TS_ASSIGN_OR_RETURN(duck::Database db, duck::Database::Open(":memory:", options));
  return PartitionWriter(std::move(db));
}

Result<WrittenPartitionFile> PartitionWriter::Write(const RowBatch& rows,
                                                    std::string_view timestamp_column,
                                                    WriteFormat format,
                                                    const std::string& path) const {
  AssertWellFormed(rows);
  if (path.empty()) return common::InvalidArgument("partition file path is empty");
  if (rows.row_count() == 0) return common::InvalidArgument("a partition file needs rows");
  const int ts_index = rows.ColumnIndex(timestamp_column);
  if (ts_index < 0) {
    return common::InvalidArgument("timestamp column '" + std::string(timestamp_column) +
                                   "' is not in the schema");
  }
  const ColumnBuffer& ts = rows.columns[static_cast<size_t>(ts_index)];
  if (ts.type() != ColumnType::kTimestamp) {
    return common::InvalidArgument("column '" + std::string(timestamp_column) +
                                   "' is not a timestamp column");
  }
  if (ts.null_count() != 0) {
    return common::InvalidArgument("timestamp column '" + std::string(timestamp_column) + "' has " +
                                   std::to_string(ts.null_count()) + " NULL values");
  }
  struct stat existing;
  if (::lstat(path.c_str(), &existing) == 0) {
    return common::AlreadyExists("partition file '" + path + "' already exists");
  }

  // Stable sort by time; batches usually arrive in order, so check first.
  const size_t row_count = rows.row_count();
  std::vector<size_t> order;
  for (size_t i = 1; i < row_count; ++i) {
    if (ts.Int64At(i) < ts.Int64At(i - 1)) {
      order.resize(row_count);
      std::iota(order.begin(), order.end(), size_t{0});
      std::stable_sort(order.begin(), order.end(),
                       [&ts](size_t a, size_t b) { return ts.Int64At(a) < ts.Int64At(b); });
      break;
    }
  }
  const size_t* order_ptr = order.empty() ? nullptr : order.data();

  const std::string temp = path + ".tmp-" + common::RandomHex(8);
  StagingFile remove_temp(temp);
  std::vector<ColumnStats> stats(rows.columns.size());
  {
    TS_ASSIGN_OR_RETURN(duck::Connection conn, duck::Connection::Open(db_));
    switch (format) {
      case WriteFormat::kDuckdb:
        TS_RETURN_IF_ERROR(WriteDuckdbFile(conn, rows, order_ptr, temp, stats));
        break;
      case WriteFormat::kParquet:
        TS_RETURN_IF_ERROR(WriteParquetFile(conn, rows, order_ptr, temp, stats));
        break;
    }
  }  // closing the connection drops its temporary table
  TS_ASSIGN_OR_RETURN(FileDigest digest, HashAndSync(temp));
  if (const int err = storage::RenameNoReplace(temp, path); err != 0) {
    return err == EEXIST ? common::AlreadyExists("'" + path + "' already exists")
                         : storage::ErrnoStatus(err, "cannot publish", path);
  }
  remove_temp.Release();
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  if (Status synced = storage::SyncDirectory(dir); !synced.ok()) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);  // not durable, and nothing references it yet
    return synced;
  }

  WrittenPartitionFile out;
  out.path = path;
  out.size_bytes = digest.size_bytes;
  out.sha256_hex = std::move(digest.sha256_hex);
  out.stats.row_count = static_cast<int64_t>(row_count);
  const ColumnStats& ts_stats = stats[static_cast<size_t>(ts_index)];
  out.stats.min_time = ts_stats.min_int;
  out.stats.max_time = ts_stats.max_int;
  out.stats.column_statistics = Statistics(rows, stats);
  return out;
}

Result<WrittenPartitionFile> WritePartitionFile(const RowBatch& rows,
                                                std::string_view timestamp_column,
                                                WriteFormat format, const std::string& path) {
  TS_ASSIGN_OR_RETURN(PartitionWriter writer, PartitionWriter::Create());
  return writer.Write(rows, timestamp_column, format, path);
}

}  // namespace timestore::partition
