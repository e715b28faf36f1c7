// RawDuck: the raw baseline of the query benchmarks - one in-memory DuckDB instance in this
// process (default threads, opened once, warm) over the partition files of the dataset, running
// the benchmark's SQL with the dataset's view (kTsbsSqlTable) replaced by the files. Move-only;
// one thread at a time.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "duck/connection.h"
#include "duck/database.h"
#include "duck/query_result.h"

namespace timestore::bench {

class RawDuck {
 public:
  // `files` are the partition files' paths; `format` their fileFormat ("parquet" or "duckdb").
  // kInvalidArgument for another format; DuckDB's errors (a file it cannot attach).
  static common::Result<RawDuck> Open(const std::vector<std::string>& files,
                                      const std::string& format);

  // The engine floor: the same rows loaded once into a DuckDB table of this process's in-memory
  // instance, in time order (as a DuckDB user would hold them, and as ../shared/peerbench's floor
  // does): the fastest layout DuckDB has for these queries, with no file format in the way.
  static common::Result<RawDuck> OpenFloor(const std::vector<std::string>& files,
                                           const std::string& format);

  // `sql` with every kTsbsSqlTable replaced by the files (or the floor's table).
  std::string Rewrite(const std::string& sql) const;

  // Runs SQL that Rewrite returned; a materialized result.
  common::Result<duck::QueryResult> Run(const std::string& rewritten_sql) {
    return conn_.Query(rewritten_sql);
  }

 private:
  RawDuck(duck::Database db, duck::Connection conn, std::string source)
      : db_(std::move(db)), conn_(std::move(conn)), source_(std::move(source)) {}

  duck::Database db_;
  duck::Connection conn_;
  std::string source_;  // the SQL table expression over the files
};

}  // namespace timestore::bench
