// ResultChunk: a read-only batch of up to 2048 rows of a QueryResult, stored column by column as
// DuckDB produced it (values plus a validity mask per column). A cheap copyable handle: copies
// share the memory, which - together with the DuckDB result it may point into - lives until the
// last copy is gone, even after the QueryResult itself is destroyed. Immutable, so const methods
// may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "duck/type.h"

struct _duckdb_data_chunk;  // NOLINT(bugprone-reserved-identifier): DuckDB's name

namespace timestore::duck {

class ResultChunk {
 public:
  size_t row_count() const;
  size_t column_count() const;
  Type column_type(size_t col) const;

  // Whether the cell is SQL NULL. Precondition (asserted): col < column_count(), row < row_count().
  bool IsNull(size_t col, size_t row) const;

  // Typed reads. Preconditions (asserted): col and row in range, and the column has a type the
  // getter reads (listed at duck::Type). The value of a NULL cell is unspecified: check IsNull
  // first.
  bool GetBool(size_t col, size_t row) const;
  int64_t GetInt64(size_t col, size_t row) const;
  double GetDouble(size_t col, size_t row) const;  // also integers, HUGEINT and DECIMAL (rounded)
  // VARCHAR text or BLOB bytes; the view stays valid while any copy of this chunk lives.
  std::string_view GetString(size_t col, size_t row) const;
  int32_t GetDateDays(size_t col, size_t row) const;
  // TIMESTAMP or TIMESTAMP WITH TIME ZONE as microseconds since the epoch (negative before 1970).
  int64_t GetTimestampMicros(size_t col, size_t row) const;

 private:
  friend class QueryResult;
  struct Data;
  // Takes ownership of `chunk`; `owner` keeps whatever the chunk points into alive.
  static ResultChunk Adopt(_duckdb_data_chunk* chunk, std::shared_ptr<const void> owner);
  explicit ResultChunk(std::shared_ptr<const Data> data) : data_(std::move(data)) {}

  std::shared_ptr<const Data> data_;  // never null
};

}  // namespace timestore::duck
