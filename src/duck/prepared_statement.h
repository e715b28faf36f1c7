// PreparedStatement: one parsed and planned statement with `?`/`$n` parameters, owner of a
// duckdb_prepared_statement. Bind values by 1-based index, then Execute; bindings stay until
// replaced or cleared, so the statement can run many times. Move-only. It belongs to the session of
// the Connection that prepared it: use it on that connection's thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "duck/query_result.h"
#include "duck/type.h"

struct _duckdb_prepared_statement;  // NOLINT(bugprone-reserved-identifier): DuckDB's name

namespace timestore::duck {

struct StatementEpoch;

class PreparedStatement {
 public:
  PreparedStatement(PreparedStatement&& other) noexcept;
  PreparedStatement& operator=(PreparedStatement&& other) noexcept;
  PreparedStatement(const PreparedStatement&) = delete;
  PreparedStatement& operator=(const PreparedStatement&) = delete;
  ~PreparedStatement();

  size_t parameter_count() const { return parameter_count_; }

  // The result columns the statement will produce, known once it is prepared (for statements
  // whose result shape DuckDB knows before running them). Precondition (asserted): col <
  // column_count().
  size_t column_count() const;
  std::string column_name(size_t col) const;
  Type column_type(size_t col) const;

  // Binds parameter `index` (1-based). An index outside 1..parameter_count() is kInvalidArgument
  // and leaves the other bindings alone. The value is cast to the parameter's type when the
  // statement runs (a failing cast is then a kInvalidArgument from Execute).
  common::Status BindNull(size_t index);
  common::Status BindBool(size_t index, bool value);
  common::Status BindInt64(size_t index, int64_t value);
  common::Status BindDouble(size_t index, double value);
  // `value` must be UTF-8 (kInvalidArgument otherwise).
  common::Status BindString(size_t index, std::string_view value);
  common::Status BindBlob(size_t index, std::string_view bytes);
  // A TIMESTAMP (no zone): microseconds since 1970-01-01, negative before. Casting it to TIMESTAMP
  // WITH TIME ZONE interprets it in the session time zone (DatabaseOptions::time_zone, UTC by
  // default).
  common::Status BindTimestampMicros(size_t index, int64_t micros);
  // A TIMESTAMP WITH TIME ZONE: microseconds since the epoch, UTC; use it for TIMESTAMPTZ
  // parameters.
  common::Status BindTimestampTzMicros(size_t index, int64_t micros);
  // Removes every binding.
  common::Status ClearBindings();

  // Runs the statement with the current bindings and materializes the result. A parameter left
  // unbound is kInvalidArgument; other errors as for Connection::Query.
  common::Result<QueryResult> Execute();
  // As Execute, but the result is streamed (see Connection::QueryStreaming).
  common::Result<QueryResult> ExecuteStreaming();

 private:
  friend class Connection;
  PreparedStatement(_duckdb_prepared_statement* handle, std::shared_ptr<StatementEpoch> epoch);
  void Reset();
  common::Status CheckIndex(size_t index) const;

  _duckdb_prepared_statement* handle_ = nullptr;  // null only in a moved-from statement
  std::shared_ptr<StatementEpoch> epoch_;
  size_t parameter_count_ = 0;
};

}  // namespace timestore::duck
