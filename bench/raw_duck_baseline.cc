#include "bench/raw_duck_baseline.h"

#include <chrono>
#include <filesystem>
#include <system_error>

#include "duck/appender.h"
#include "duck/connection.h"
#include "duck/data_chunk.h"
#include "duck/database.h"

namespace timestore::bench {

namespace {

std::string CreateTableSql() {
  std::string sql = "CREATE TABLE cpu (\"timestamp\" TIMESTAMP";
  for (std::string_view tag : kTsbsTagNames) sql.append(", ").append(tag).append(" VARCHAR");
  for (std::string_view field : kTsbsFieldNames) sql.append(", ").append(field).append(" DOUBLE");
  sql.append(")");
  return sql;
}

uint64_t FileSize(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<uint64_t>(size);
}

}  // namespace

common::Result<RawBaselineResult> RunRawDuckBaseline(const std::vector<TsbsRow>& rows,
                                                     const std::vector<TsbsHost>& hosts,
                                                     const std::string& path) {
  if (std::filesystem::exists(path)) return common::AlreadyExists(path + " exists");
  RawBaselineResult result;
  {
    TS_ASSIGN_OR_RETURN(duck::Database db, duck::Database::Open(path));
    TS_ASSIGN_OR_RETURN(duck::Connection conn, duck::Connection::Open(db));
    TS_RETURN_IF_ERROR(conn.Execute(CreateTableSql()));

    std::vector<duck::Type> types = {duck::Type::kTimestamp};
    types.insert(types.end(), kTsbsTagCount, duck::Type::kVarchar);
    types.insert(types.end(), kTsbsFieldCount, duck::Type::kDouble);
    TS_ASSIGN_OR_RETURN(duck::DataChunk chunk, duck::DataChunk::Create(types));

    const auto start = std::chrono::steady_clock::now();
    TS_ASSIGN_OR_RETURN(duck::Appender appender, duck::Appender::Create(conn, "", "cpu"));
    size_t filled = 0;
    for (const TsbsRow& row : rows) {
      chunk.SetTimestampMicros(0, filled, row.timestamp_micros);
      const TsbsHost& host = hosts[row.host];
      for (size_t t = 0; t < kTsbsTagCount; ++t) chunk.SetString(1 + t, filled, host.tags[t]);
      for (size_t f = 0; f < kTsbsFieldCount; ++f) {
        chunk.SetDouble(1 + kTsbsTagCount + f, filled, row.fields[f]);
      }
      if (++filled == chunk.capacity()) {
        chunk.SetSize(filled);
        TS_RETURN_IF_ERROR(appender.AppendChunk(chunk));
        chunk.Reset();
        filled = 0;
      }
    }
    if (filled > 0) {
      chunk.SetSize(filled);
      TS_RETURN_IF_ERROR(appender.AppendChunk(chunk));
    }
    TS_RETURN_IF_ERROR(appender.Close());
    TS_RETURN_IF_ERROR(conn.Execute("CHECKPOINT"));
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    TS_ASSIGN_OR_RETURN(duck::QueryResult count, conn.Query("SELECT count(*) FROM cpu"));
    result.rows = static_cast<uint64_t>(count.GetInt64(0, 0));
  }
  result.file_bytes = FileSize(path) + FileSize(path + ".wal");
  return result;
}

}  // namespace timestore::bench
