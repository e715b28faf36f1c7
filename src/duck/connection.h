// Connection: one session on a Database (its own transaction state and settings), owner of a
// duckdb_connection. Move-only. Used by one thread at a time - the thread that runs a statement
// waits for it - except Interrupt and Progress, which another thread may call while a statement
// runs (for example a deadline timer); the Connection must not be moved or destroyed meanwhile.
// Statements, results and appenders made from a Connection share its session: use them on the same
// thread as the Connection.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "common/status.h"
#include "duck/database.h"
#include "duck/prepared_statement.h"
#include "duck/query_result.h"

struct _duckdb_connection;  // NOLINT(bugprone-reserved-identifier): DuckDB's name

namespace timestore::duck {

struct StatementEpoch;

// How far the running statement is. DuckDB tracks it only after `SET enable_progress_bar = true` on
// the connection (a session setting, which duckdb_config refuses at open), not for every operator,
// and only from the thread running the statement, between its tasks: while worker threads do all
// the work it may stay unreported. Best effort, for display.
struct QueryProgress {
  double percentage = -1;  // 0..100; -1 when nothing runs or progress is not tracked
  uint64_t rows_processed = 0;
  uint64_t total_rows_to_process = 0;
};

class Connection {
 public:
  // Opens a connection to `db`. The connection keeps the database instance alive.
  static common::Result<Connection> Open(const Database& db);

  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();  // rolls back an open transaction

  // Runs `sql` and returns its materialized result. `sql` may hold several statements separated by
  // ';' (all run, the last one's result is returned). Errors carry DuckDB's message, coded by
  // StatusFromDuckDbError: a syntax error or a missing table is kInvalidArgument, an interrupted
  // query kDeadlineExceeded, a constraint violation kConflict. SQL containing a NUL byte is
  // kInvalidArgument (DuckDB would silently run only the text before it).
  common::Result<QueryResult> Query(std::string_view sql);

  // Query for statements whose rows are not needed (DDL, INSERT, SET ...).
  common::Status Execute(std::string_view sql);

  // Runs one statement and returns a streaming result, produced as it is read
  // (QueryResult::FetchChunk), so a large result never sits in memory whole. Until it has been read
  // to the end, run nothing else on this connection (see FetchChunk).
  common::Result<QueryResult> QueryStreaming(std::string_view sql);

  // Prepares one statement with `?` or `$1` parameters. Errors as for Query.
  common::Result<PreparedStatement> Prepare(std::string_view sql);

  // Asks the statement running on this connection to stop; it then fails with kDeadlineExceeded
  // ("INTERRUPT Error: Interrupted!"). Thread-safe. Has no effect when nothing runs: an interrupt
  // that comes before the statement starts is lost, so a deadline timer should keep interrupting
  // until the statement has returned.
  void Interrupt();

  // Progress of the running statement. Thread-safe like Interrupt.
  QueryProgress Progress() const;

 private:
  Connection(_duckdb_connection* handle, std::shared_ptr<StatementEpoch> epoch);
  void Reset();

  _duckdb_connection* handle_ = nullptr;  // null only in a moved-from Connection
  std::shared_ptr<StatementEpoch> epoch_;
  friend class Appender;
};

}  // namespace timestore::duck
