#include "duck/appender.h"

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

Status AppenderError(duckdb_appender appender) {
  duckdb_error_data error = duckdb_appender_error_data(appender);
  Status status = duckdb_error_data_has_error(error)
                      ? StatusFromDuckDbError(static_cast<int>(duckdb_error_data_error_type(error)),
                                              duckdb_error_data_message(error))
                      : common::Internal("DuckDB appender failed without an error message");
  duckdb_destroy_error_data(&error);
  return status;
}

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

Status ClosedError() { return common::FailedPrecondition("the appender is closed"); }

}  // namespace

Result<Appender> Appender::Create(Connection& connection, std::string_view schema,
                                  std::string_view table) {
  return Create(connection, "", schema, table);
}

Result<Appender> Appender::Create(Connection& connection, std::string_view catalog,
                                  std::string_view schema, std::string_view table) {
  assert(connection.handle_ != nullptr && "Appender::Create on a moved-from Connection");
  if (HasNul(catalog) || HasNul(schema) || HasNul(table)) {
    return common::InvalidArgument("appender table name contains a NUL byte");
  }
  const std::string catalog_name(catalog);
  const std::string schema_name(schema);
  const std::string table_name(table);
  duckdb_appender handle = nullptr;
  const duckdb_state rc = duckdb_appender_create_ext(
      connection.handle_, catalog_name.empty() ? nullptr : catalog_name.c_str(),
      schema_name.empty() ? nullptr : schema_name.c_str(), table_name.c_str(), &handle);
  // Adopt first: the appender is destroyed also when creating it failed (it holds the error).
  Appender appender(handle, connection.epoch_);
  if (rc == DuckDBError) {
    Status status = handle != nullptr ? AppenderError(handle)
                                      : common::Internal("duckdb_appender_create_ext failed");
    appender.closed_ = true;  // nothing to flush
    return status;
  }
  return appender;
}

Appender::Appender(_duckdb_appender* handle, std::shared_ptr<StatementEpoch> epoch)
    : handle_(handle), epoch_(std::move(epoch)) {}

Appender::Appender(Appender&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)),
      epoch_(std::move(other.epoch_)),
      closed_(other.closed_),
      close_status_(std::move(other.close_status_)) {}

Appender& Appender::operator=(Appender&& other) noexcept {
  if (this != &other) {
    Destroy();
    handle_ = std::exchange(other.handle_, nullptr);
    epoch_ = std::move(other.epoch_);
    closed_ = other.closed_;
    close_status_ = std::move(other.close_status_);
  }
  return *this;
}

Appender::~Appender() { Destroy(); }

void Appender::Destroy() {
  if (handle_ == nullptr) return;
  if (!closed_) ++epoch_->value;  // duckdb_appender_destroy flushes what is buffered
  duckdb_appender handle = handle_;
  // Flushes an appender that was not closed; the C API reports a failure only as DuckDBError, and a
  // destructor has nobody to tell. Close() is the way to see it.
  (void)duckdb_appender_destroy(&handle);
  handle_ = nullptr;
}

Status Appender::Error() { return AppenderError(handle_); }

Status Appender::Check(int duckdb_state_value) {
  if (static_cast<duckdb_state>(duckdb_state_value) == DuckDBSuccess) return Status::Ok();
  return Error();
}

size_t Appender::column_count() const {
  assert(handle_ != nullptr);
  return duckdb_appender_column_count(handle_);
}

Status Appender::AppendBool(bool value) {
  if (closed_) return ClosedError();
  return Check(duckdb_append_bool(handle_, value));
}

Status Appender::AppendInt64(int64_t value) {
  if (closed_) return ClosedError();
  return Check(duckdb_append_int64(handle_, value));
}

Status Appender::AppendDouble(double value) {
  if (closed_) return ClosedError();
  return Check(duckdb_append_double(handle_, value));
}

Status Appender::AppendString(std::string_view value) {
  if (closed_) return ClosedError();
  return Check(duckdb_append_varchar_length(handle_, value.data(), value.size()));
}

Status Appender::AppendBlob(std::string_view bytes) {
  if (closed_) return ClosedError();
  return Check(duckdb_append_blob(handle_, bytes.data(), bytes.size()));
}

Status Appender::AppendTimestampMicros(int64_t micros) {
  if (closed_) return ClosedError();
  return Check(duckdb_append_timestamp(handle_, duckdb_timestamp{micros}));
}

Status Appender::AppendNull() {
  if (closed_) return ClosedError();
  return Check(duckdb_append_null(handle_));
}

Status Appender::EndRow() {
  if (closed_) return ClosedError();
  ++epoch_->value;  // a full buffer is flushed here
  return Check(duckdb_appender_end_row(handle_));
}

Status Appender::AppendChunk(const DataChunk& chunk) {
  if (closed_) return ClosedError();
  assert(chunk.handle_ != nullptr && "AppendChunk of a moved-from DataChunk");
  ++epoch_->value;  // a full buffer is flushed here
  return Check(duckdb_append_data_chunk(handle_, chunk.handle_));
}

Status Appender::Flush() {
  if (closed_) return ClosedError();
  ++epoch_->value;
  return Check(duckdb_appender_flush(handle_));
}

Status Appender::Close() {
  if (closed_) return close_status_;
  assert(handle_ != nullptr && "Close on a moved-from Appender");
  ++epoch_->value;
  close_status_ = Check(duckdb_appender_close(handle_));
  closed_ = true;
  return close_status_;
}

}  // namespace timestore::duck
