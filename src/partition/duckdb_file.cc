#include "partition/duckdb_file.h"

#include <unistd.h>

#include "duck/sql_quoting.h"

namespace timestore::partition {

common::Status WriteDuckdbDatabase(duck::Connection& conn, const std::string& path,
                                   const std::string& alias, std::string_view attach_options,
                                   const std::function<common::Status()>& fill) {
  std::string attach = "ATTACH " + duck::QuoteLiteral(path) + " AS " + duck::QuoteIdent(alias);
  if (!attach_options.empty()) attach += " " + std::string(attach_options);
  TS_RETURN_IF_ERROR(conn.Execute(attach));
  common::Status written = fill();
  if (written.ok()) written = conn.Execute("CHECKPOINT " + duck::QuoteIdent(alias));
  const common::Status detached = conn.Execute("DETACH " + duck::QuoteIdent(alias));
  TS_RETURN_IF_ERROR(written);
  TS_RETURN_IF_ERROR(detached);
  const std::string wal = path + ".wal";
  if (::access(wal.c_str(), F_OK) == 0) {
    return common::Internal("DuckDB left a write-ahead log next to '" + path + "'");
  }
  return common::Status::Ok();
}

}  // namespace timestore::partition
