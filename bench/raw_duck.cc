#include "bench/raw_duck.h"

#include <utility>

#include "bench/tsbs_queries.h"
#include "duck/sql_quoting.h"

namespace timestore::bench {

common::Result<RawDuck> RawDuck::Open(const std::vector<std::string>& files,
                                      const std::string& format) {
  TS_ASSIGN_OR_RETURN(duck::Database db, duck::Database::Open(":memory:"));
  TS_ASSIGN_OR_RETURN(duck::Connection conn, duck::Connection::Open(db));
  std::string source;
  if (format == "parquet") {
    std::vector<std::string> quoted;
    quoted.reserve(files.size());
    for (const std::string& f : files) quoted.push_back(duck::QuoteLiteral(f));
    // Without hive_partitioning=false DuckDB would add a column per "name=value" directory of
    // the object keys (such as window=...), which the dataset's view does not have.
    source = "read_parquet([" + Join(quoted, ", ") + "], hive_partitioning = false)";
  } else if (format == "duckdb") {
    std::vector<std::string> scans;
    for (size_t i = 0; i < files.size(); ++i) {
      const std::string alias = duck::QuoteIdent("p" + std::to_string(i));
      TS_RETURN_IF_ERROR(
          conn.Execute("ATTACH " + duck::QuoteLiteral(files[i]) + " AS " + alias + " (READ_ONLY)"));
      scans.push_back("SELECT * FROM " + alias + ".records");
    }
    source = "(" + Join(scans, " UNION ALL ") + ")";
  } else {
    return common::InvalidArgument("unsupported partition format '" + format + "'");
  }
  return RawDuck(std::move(db), std::move(conn), std::move(source));
}

common::Result<RawDuck> RawDuck::OpenFloor(const std::vector<std::string>& files,
                                           const std::string& format) {
  TS_ASSIGN_OR_RETURN(RawDuck files_view, Open(files, format));
  TS_RETURN_IF_ERROR(files_view.conn_.Execute("CREATE TABLE floor_rows AS SELECT * FROM " +
                                              files_view.source_ + " ORDER BY \"timestamp\""));
  files_view.source_ = "floor_rows";
  return files_view;
}

std::string RawDuck::Rewrite(const std::string& sql) const {
  std::string out = sql;
  for (size_t at = out.find(kTsbsSqlTable); at != std::string::npos;
       at = out.find(kTsbsSqlTable, at + source_.size())) {
    out.replace(at, kTsbsSqlTable.size(), source_);
  }
  return out;
}

}  // namespace timestore::bench
