#include "duck/connection.h"

#include <cassert>
#include <string>
#include <utility>

#include <duckdb.h>

#include "duck/error_mapping.h"
#include "duck/statement_epoch.h"

namespace timestore::duck {

using common::Result;
using common::Status;

namespace {

// DuckDB takes NUL-terminated SQL; an embedded NUL would cut the statement short without an error.
Result<std::string> SqlText(std::string_view sql) {
  if (sql.find('\0') != std::string_view::npos) {
    return common::InvalidArgument("SQL text contains a NUL byte");
  }
  return std::string(sql);
}

}  // namespace

Result<Connection> Connection::Open(const Database& db) {
  assert(db.handle_ != nullptr && "Connection::Open on a moved-from Database");
  duckdb_connection handle = nullptr;
  if (duckdb_connect(db.handle_, &handle) == DuckDBError) {
    return common::Internal("duckdb_connect failed for database '" + db.path() + "'");
  }
  return Connection(handle, std::make_shared<StatementEpoch>());
}

Connection::Connection(_duckdb_connection* handle, std::shared_ptr<StatementEpoch> epoch)
    : handle_(handle), epoch_(std::move(epoch)) {}

Connection::Connection(Connection&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)), epoch_(std::move(other.epoch_)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    Reset();
    handle_ = std::exchange(other.handle_, nullptr);
    epoch_ = std::move(other.epoch_);
  }
  return *this;
}

Connection::~Connection() { Reset(); }

void Connection::Reset() {
  if (handle_ != nullptr) {
    duckdb_connection handle = handle_;
    duckdb_disconnect(&handle);
    handle_ = nullptr;
  }
}

Result<QueryResult> Connection::Query(std::string_view sql) {
  assert(handle_ != nullptr && "Query on a moved-from Connection");
  TS_ASSIGN_OR_RETURN(std::string text, SqlText(sql));
  return QueryResult::RunQuery(handle_, text, epoch_);
}

Status Connection::Execute(std::string_view sql) { return Query(sql).status(); }

Result<QueryResult> Connection::QueryStreaming(std::string_view sql) {
  // The prepared statement may go before its result: the result holds what it needs.
  TS_ASSIGN_OR_RETURN(PreparedStatement statement, Prepare(sql));
  return statement.ExecuteStreaming();
}

Result<PreparedStatement> Connection::Prepare(std::string_view sql) {
  assert(handle_ != nullptr && "Prepare on a moved-from Connection");
  TS_ASSIGN_OR_RETURN(std::string text, SqlText(sql));
  ++epoch_->value;
  duckdb_prepared_statement statement = nullptr;
  const duckdb_state rc = duckdb_prepare(handle_, text.c_str(), &statement);
  // Adopt first: the statement is destroyed (duckdb_destroy_prepare) also when preparing failed.
  PreparedStatement prepared(statement, epoch_);
  if (rc == DuckDBError) {
    const char* error = duckdb_prepare_error(statement);
    return StatusFromDuckDbError(0, error != nullptr ? error : "duckdb_prepare failed");
  }
  return prepared;
}

void Connection::Interrupt() {
  if (handle_ != nullptr) duckdb_interrupt(handle_);
}

QueryProgress Connection::Progress() const {
  if (handle_ == nullptr) return {};
  const duckdb_query_progress_type p = duckdb_query_progress(handle_);
  return {p.percentage, p.rows_processed, p.total_rows_to_process};
}

}  // namespace timestore::duck
