#include "duck/prepared_statement.h"

#include <cassert>
#include <string>
#include <utility>

#include <duckdb.h>

#include "duck/statement_epoch.h"
#include "duck/type_mapping.h"

namespace timestore::duck {

using common::Result;
using common::Status;

namespace {

// The C API's bind functions fail without a message. After CheckIndex the remaining cause is a
// value DuckDB refuses to turn into a SQL value (e.g. a string that is not UTF-8).
Status BindStatus(duckdb_state rc, size_t index, std::string_view what) {
  if (rc == DuckDBSuccess) return Status::Ok();
  return common::InvalidArgument("DuckDB refused " + std::string(what) + " for parameter " +
                                 std::to_string(index));
}

}  // namespace

PreparedStatement::PreparedStatement(_duckdb_prepared_statement* handle,
                                     std::shared_ptr<StatementEpoch> epoch)
    : handle_(handle), epoch_(std::move(epoch)), parameter_count_(duckdb_nparams(handle)) {}

size_t PreparedStatement::column_count() const {
  assert(handle_ != nullptr);
  return duckdb_prepared_statement_column_count(handle_);
}

std::string PreparedStatement::column_name(size_t col) const {
  assert(col < column_count());
  const char* name = duckdb_prepared_statement_column_name(handle_, col);
  std::string out = name != nullptr ? name : "";
  duckdb_free(const_cast<char*>(name));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  return out;
}

Type PreparedStatement::column_type(size_t col) const {
  assert(col < column_count());
  return TypeFromDuckDbTypeId(duckdb_prepared_statement_column_type(handle_, col));
}

PreparedStatement::PreparedStatement(PreparedStatement&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)),
      epoch_(std::move(other.epoch_)),
      parameter_count_(std::exchange(other.parameter_count_, 0)) {}

PreparedStatement& PreparedStatement::operator=(PreparedStatement&& other) noexcept {
  if (this != &other) {
    Reset();
    handle_ = std::exchange(other.handle_, nullptr);
    epoch_ = std::move(other.epoch_);
    parameter_count_ = std::exchange(other.parameter_count_, 0);
  }
  return *this;
}

PreparedStatement::~PreparedStatement() { Reset(); }

void PreparedStatement::Reset() {
  if (handle_ != nullptr) {
    duckdb_prepared_statement handle = handle_;
    duckdb_destroy_prepare(&handle);
    handle_ = nullptr;
  }
}

// DuckDB reports a bad index only as DuckDBError, without a message; checking first gives one.
Status PreparedStatement::CheckIndex(size_t index) const {
  assert(handle_ != nullptr && "Bind on a moved-from PreparedStatement");
  if (index == 0 || index > parameter_count_) {
    return common::InvalidArgument(
        "parameter index " + std::to_string(index) + " is out of range: the statement has " +
        std::to_string(parameter_count_) + " parameter(s), numbered from 1");
  }
  return Status::Ok();
}

Status PreparedStatement::BindNull(size_t index) {
  TS_RETURN_IF_ERROR(CheckIndex(index));
  return BindStatus(duckdb_bind_null(handle_, index), index, "NULL");
}

Status PreparedStatement::BindBool(size_t index, bool value) {
  TS_RETURN_IF_ERROR(CheckIndex(index));
  return BindStatus(duckdb_bind_boolean(handle_, index, value), index, "a BOOLEAN");
}

Status PreparedStatement::BindInt64(size_t index, int64_t value) {
  TS_RETURN_IF_ERROR(CheckIndex(index));
  return BindStatus(duckdb_bind_int64(handle_, index, value), index, "a BIGINT");
}

Status PreparedStatement::BindDouble(size_t index, double value) {
  TS_RETURN_IF_ERROR(CheckIndex(index));
  return BindStatus(duckdb_bind_double(handle_, index, value), index, "a DOUBLE");
}

Status PreparedStatement::BindString(size_t index, std::string_view value) {
  TS_RETURN_IF_ERROR(CheckIndex(index));
  return BindStatus(duckdb_bind_varchar_length(handle_, index, value.data(), value.size()), index,
                    "a VARCHAR (is it valid UTF-8?)");
}

Status PreparedStatement::BindBlob(size_t index, std::string_view bytes) {
  TS_RETURN_IF_ERROR(CheckIndex(index));
  return BindStatus(duckdb_bind_blob(handle_, index, bytes.data(), bytes.size()), index, "a BLOB");
}

Status PreparedStatement::BindTimestampMicros(size_t index, int64_t micros) {
  TS_RETURN_IF_ERROR(CheckIndex(index));
  return BindStatus(duckdb_bind_timestamp(handle_, index, duckdb_timestamp{micros}), index,
                    "a TIMESTAMP");
}

Status PreparedStatement::BindTimestampTzMicros(size_t index, int64_t micros) {
  TS_RETURN_IF_ERROR(CheckIndex(index));
  return BindStatus(duckdb_bind_timestamp_tz(handle_, index, duckdb_timestamp{micros}), index,
                    "a TIMESTAMP WITH TIME ZONE");
}

Status PreparedStatement::ClearBindings() {
  assert(handle_ != nullptr && "ClearBindings on a moved-from PreparedStatement");
  if (duckdb_clear_bindings(handle_) == DuckDBError) {
    return common::Internal("duckdb_clear_bindings failed");
  }
  return Status::Ok();
}

Result<QueryResult> PreparedStatement::Execute() {
  assert(handle_ != nullptr && "Execute on a moved-from PreparedStatement");
  return QueryResult::RunPrepared(handle_, /*streaming=*/false, epoch_);
}

Result<QueryResult> PreparedStatement::ExecuteStreaming() {
  assert(handle_ != nullptr && "ExecuteStreaming on a moved-from PreparedStatement");
  return QueryResult::RunPrepared(handle_, /*streaming=*/true, epoch_);
}

}  // namespace timestore::duck
