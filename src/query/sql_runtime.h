// SqlRuntime: `POST /sql/read` and `GET /sql/schema` (DESIGN.md read path, step 5). Caller SQL runs
// in sandboxes: DuckDB instances of their own (never the query engine's), each locked down at
// creation (no external access outside the partition directories, configuration locked) and used
// by one request at a time. Before it runs, a statement must pass CheckReadOnlySql (one SELECT
// over timestore."<slug>" views and timestore_runtime.* tables only), and only the views of the
// datasets the caller may read exist while it runs. Views are (re)defined per request from the
// current manifest, so every statement reads one committed version of each dataset. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "common/status.h"
#include "observability/logger.h"
#include "query/dataset_reader.h"
#include "query/deadline_watchdog.h"
#include "query/row_encoder.h"
#include "query/sql_answer.h"
#include "query/sql_last_values.h"
#include "query/sql_sandbox.h"

namespace timestore::query {

struct SqlRuntimeOptions {
  std::chrono::milliseconds timeout{30'000};  // TIMESTORE_SQL_TIMEOUT_MS
  int64_t max_length = 10'000;                // TIMESTORE_SQL_MAX_LENGTH, characters
  int64_t max_rows = 10'000;                  // TIMESTORE_SQL_MAX_ROWS
  std::string memory_limit = "1GB";           // per sandbox
  int sandboxes = 2;                          // statements that run at once
  int threads = 0;                            // DuckDB threads per sandbox; 0 = one per core
  // Directories that partition files may live in (local storage roots, the partition cache);
  // a sandbox may read files only there. More are added (by re-creating sandboxes) when a
  // storage target appears later.
  std::vector<std::string> allowed_directories;
};

// A statement parameter (`?` / `$n`), as JSON gave it.
using SqlParam = std::variant<std::monostate, bool, int64_t, double, std::string>;

struct SqlReadRequest {
  std::string sql;
  std::vector<SqlParam> params;
  // The datasets the caller may read, by slug; nothing = every dataset (no access control).
  std::optional<std::set<std::string>> readable;
};

class SqlRuntime {
 public:
  SqlRuntime(DatasetReader& reader, catalog::Catalog& catalog, SqlRuntimeOptions options);
  ~SqlRuntime();
  SqlRuntime(const SqlRuntime&) = delete;
  SqlRuntime& operator=(const SqlRuntime&) = delete;

  // Runs one statement. kPayloadTooLarge for SQL longer than max_length; kInvalidArgument for a
  // statement the sandbox refuses, a table that does not exist (or that the caller may not read:
  // it is reported exactly like a missing one), a wrong parameter count, or DuckDB's error for the
  // caller's SQL; kDeadlineExceeded when it ran past the timeout (it is stopped);
  // kUnavailable when every sandbox stayed busy until the timeout or the catalog is down.
  common::Result<SqlAnswer> Read(const SqlReadRequest& request);

  // {"fetchedAt","tables":[{"name":"timestore.\"cpu\"","description","partitionKeys"?,
  // "columns":[{"name","type","nullable","description"}]}],"warnings":[]} for the readable
  // datasets (nothing = all).
  common::Result<std::string> SchemaJson(const std::optional<std::set<std::string>>& readable);

 private:
  // Defines exactly the views of the statement's datasets (the caller may read each) in the lease's
  // sandbox, dropping any other, and pins their files into `pins`. Widens the pool and starts
  // over in a fresh sandbox when a partition lives outside the sandbox's directories.
  // What each view reads goes to `inputs` (by slug).
  common::Status DefineViews(SqlSandboxPool::Lease& sandbox, const GuardedStatement& guarded,
                             const std::optional<std::set<std::string>>& readable,
                             std::vector<storage::CachedFile>& pins,
                             std::map<std::string, ViewInputs>& inputs);
  // Defines timestore."<slug>" in `sandbox` for `dataset` at its current version; pins files.
  // kFailedPrecondition with the file's path when it lies outside the sandbox's directories.
  // `equality_columns` (the statement's): a string column among them is read from series copies.
  common::Status DefineView(SqlSandbox& sandbox, const catalog::Dataset& dataset,
                            const std::vector<std::string>& equality_columns,
                            std::vector<storage::CachedFile>& pins, ViewInputs& inputs);
  // Attached DuckDB files no view reads that stay attached (the least recently read beyond go):
  // statements switching between a partition's time-ordered and series copies keep both open and
  // warm, while replaced or evicted files do not stay open (their disk space held) for long.
  static constexpr size_t kMaxIdleAttachments = 16;
  static common::Status DetachUnused(SqlSandbox& sandbox);
  common::Status FillRuntimeTables(SqlSandbox& sandbox, const std::vector<std::string>& tables,
                                   const std::optional<std::set<std::string>>& readable);
  common::Result<std::vector<catalog::Dataset>> ListDatasets(
      const std::optional<std::set<std::string>>& readable);

  DatasetReader& reader_;
  catalog::Catalog& catalog_;
  const SqlRuntimeOptions options_;
  observability::Logger logger_;
  DeadlineWatchdog watchdog_;
  SqlSandboxPool sandboxes_;
};

}  // namespace timestore::query
