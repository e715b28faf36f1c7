// Appender: fast bulk insert into one table, owner of a duckdb_appender. Rows are buffered and
// written when DuckDB flushes them: on Flush, on Close, when the buffer fills, and - with the error
// lost - in the destructor. Errors found at a flush (a PRIMARY KEY violation, a string that is not
// UTF-8) come back from Flush or Close, and after one the appender's buffered rows are dropped and
// it accepts no more.
//
// ALWAYS call Close() and check its Status. Destroying an appender that was not closed still
// flushes (duckdb_appender_destroy does), so the rows appended before an early return are written
// anyway, and a flush error is lost. For all-or-nothing loads append inside a transaction (BEGIN
// ... COMMIT on the same connection) and roll back when an append or Close fails.
//
// Move-only. It belongs to the session of its Connection: use it on that connection's thread only.
// Its flushes end a streaming result open on the same connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "common/status.h"
#include "duck/connection.h"
#include "duck/data_chunk.h"

struct _duckdb_appender;  // NOLINT(bugprone-reserved-identifier): DuckDB's name

namespace timestore::duck {

struct StatementEpoch;

class Appender {
 public:
  // Opens an appender on `schema`.`table` (an empty schema means the default one) of the
  // connection's default database. A missing table is kInvalidArgument with DuckDB's message.
  static common::Result<Appender> Create(Connection& connection, std::string_view schema,
                                         std::string_view table);
  // The same, for a table in the attached database `catalog` (empty: the default database).
  static common::Result<Appender> Create(Connection& connection, std::string_view catalog,
                                         std::string_view schema, std::string_view table);

  Appender(Appender&& other) noexcept;
  Appender& operator=(Appender&& other) noexcept;
  Appender(const Appender&) = delete;
  Appender& operator=(const Appender&) = delete;
  // Flushes and destroys (duckdb_appender_destroy) an appender that was not closed; the flush
  // error, if any, is lost. See the header comment.
  ~Appender();

  size_t column_count() const;

  // Row by row: one Append call per column, in table order, then EndRow. Each value is cast to its
  // column's type (a failing cast is kInvalidArgument). TimestampMicros is stored as given both in
  // TIMESTAMP and in TIMESTAMP WITH TIME ZONE columns. After Close: kFailedPrecondition.
  common::Status AppendBool(bool value);
  common::Status AppendInt64(int64_t value);
  common::Status AppendDouble(double value);
  common::Status AppendString(std::string_view value);  // VARCHAR: must be UTF-8 (checked at flush)
  common::Status AppendBlob(std::string_view bytes);
  common::Status AppendTimestampMicros(int64_t micros);
  common::Status AppendNull();
  // Finishes the row; kInvalidArgument when it lacks columns. May flush (see the header comment).
  common::Status EndRow();

  // Appends chunk.size() rows of `chunk` (its columns in table order; cast like row values). The
  // chunk is copied: Reset and refill it afterwards. May flush.
  common::Status AppendChunk(const DataChunk& chunk);

  // Writes the buffered rows to the table. Errors (kConflict for a constraint violation,
  // kInvalidArgument for bad data) drop all buffered rows and leave the appender unusable.
  common::Status Flush();

  // Flushes and closes; returns the flush error. Calling it again returns the first call's Status.
  [[nodiscard]] common::Status Close();

 private:
  Appender(_duckdb_appender* handle, std::shared_ptr<StatementEpoch> epoch);
  void Destroy();
  common::Status Check(int duckdb_state_value);  // OK, or the appender's error
  common::Status Error();

  _duckdb_appender* handle_ = nullptr;  // null only in a moved-from appender
  std::shared_ptr<StatementEpoch> epoch_;
  bool closed_ = false;
  common::Status close_status_;  // what Close returned, once closed_
};

}  // namespace timestore::duck
