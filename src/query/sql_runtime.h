// SqlRuntime: `POST /sql/read` and `GET /sql/schema` (DESIGN.md read path, step 5). Caller SQL runs
// in sandboxes: DuckDB instances of their own (never the query engine's), each locked down at
// creation (no external access outside the partition directories, configuration locked) and used
// by one request at a time. Before it runs, a statement must pass CheckReadOnlySql (one SELECT
// over timestore."<slug>" views and timestore_runtime.* tables only), and only the views of the
// datasets the caller may read exist while it runs. Views are (re)defined per request from the
// current manifest, so every statement reads one committed version of each dataset. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "common/status.h"
#include "duck/connection.h"
#include "duck/database.h"
#include "observability/logger.h"
#include "query/dataset_reader.h"
#include "query/deadline_watchdog.h"
#include "query/row_encoder.h"

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

// A finished statement's rows (at most max_rows), materialized: SQL answers are capped.
struct SqlAnswer {
  std::string execution_id;
  RowEncoder encoder{{}, {}};
  std::vector<std::string> type_names;  // DuckDB type names of the columns ("BIGINT", ...)
  std::vector<duck::ResultChunk> chunks;
  int64_t row_count = 0;
  bool truncated = false;
  std::vector<std::string> warnings;
  double elapsed_ms = 0;
  std::vector<std::string> datasets;  // the slugs of the dataset views the statement read, sorted

  // The original's shapes: kJson {"executionId","columns":[{"name","type"}],"rows":[..],
  // "truncated","warnings","statistics":{"rowCount","elapsedMs"}}; kCsv a header and records;
  // kTable an aligned text table ending in "(N rows)".
  std::string Render(OutputFormat format) const;
  // Rows of each chunk that belong to the answer (row_count may end inside a chunk).
  std::vector<size_t> RowCounts() const;
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
  struct Sandbox;
  class SandboxLease;
  common::Result<std::unique_ptr<Sandbox>> CreateSandbox(const std::set<std::string>& dirs);
  common::Result<SandboxLease> AcquireSandbox(std::chrono::steady_clock::time_point deadline);
  void ReturnSandbox(std::unique_ptr<Sandbox> sandbox);
  // Defines timestore."<slug>" in `sandbox` for `dataset` at its current version; pins files.
  common::Status DefineView(Sandbox& sandbox, const catalog::Dataset& dataset,
                            std::vector<storage::CachedFile>& pins);
  common::Status FillRuntimeTables(Sandbox& sandbox, const std::vector<std::string>& tables,
                                   const std::optional<std::set<std::string>>& readable);
  common::Result<std::vector<catalog::Dataset>> ListDatasets(
      const std::optional<std::set<std::string>>& readable);

  DatasetReader& reader_;
  catalog::Catalog& catalog_;
  const SqlRuntimeOptions options_;
  observability::Logger logger_;
  DeadlineWatchdog watchdog_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Sandbox>> idle_;  // guarded by mu_
  int created_ = 0;                             // guarded by mu_; sandboxes in existence
  std::set<std::string> directories_;           // guarded by mu_; allowed in new sandboxes
};

}  // namespace timestore::query
