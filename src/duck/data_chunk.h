// DataChunk: a batch of up to capacity() (2048) rows built column by column for
// Appender::AppendChunk, the fastest way to load rows. Owner of a duckdb_data_chunk; setters write
// straight into DuckDB's vector memory. Move-only and reusable: fill rows, SetSize, append, Reset,
// repeat. One thread at a time.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "duck/type.h"

struct _duckdb_data_chunk;  // NOLINT(bugprone-reserved-identifier): DuckDB's name
struct _duckdb_vector;      // NOLINT(bugprone-reserved-identifier): DuckDB's name

namespace timestore::duck {

class DataChunk {
 public:
  // Creates an empty chunk whose columns have `column_types`: kBoolean, kBigint, kDouble, kVarchar,
  // kBlob, kTimestamp or kTimestampTz (anything else, or no column, is kInvalidArgument). The
  // appender casts a column to the table's type, so e.g. kBigint also feeds INTEGER columns.
  static common::Result<DataChunk> Create(std::vector<Type> column_types);

  DataChunk(DataChunk&& other) noexcept;
  DataChunk& operator=(DataChunk&& other) noexcept;
  DataChunk(const DataChunk&) = delete;
  DataChunk& operator=(const DataChunk&) = delete;
  ~DataChunk();

  size_t column_count() const { return columns_.size(); }
  Type column_type(size_t col) const {  // precondition (asserted): col < column_count()
    assert(col < columns_.size());
    return columns_[col].type;
  }
  size_t capacity() const { return capacity_; }  // duckdb_vector_size(), 2048
  size_t size() const;                           // rows that will be appended

  // Cell setters. Preconditions (asserted): col < column_count(), row < capacity(), and the
  // column's type matches the setter: SetBool kBoolean, SetInt64 kBigint, SetDouble kDouble,
  // SetString kVarchar (UTF-8: DuckDB rejects other bytes when the rows are flushed) or kBlob (any
  // bytes), SetTimestampMicros kTimestamp or kTimestampTz (microseconds since the epoch; stored as
  // given). Every cell of rows [0, size()) must be set, to a value or to NULL, before the chunk is
  // appended.
  void SetBool(size_t col, size_t row, bool value);
  void SetInt64(size_t col, size_t row, int64_t value);
  void SetDouble(size_t col, size_t row, double value);
  void SetString(size_t col, size_t row, std::string_view value);
  void SetTimestampMicros(size_t col, size_t row, int64_t micros);
  void SetNull(size_t col, size_t row);

  // Sets how many rows (from row 0) the chunk holds. Precondition (asserted): rows <= capacity().
  void SetSize(size_t rows);
  // Back to 0 rows, all valid, values unspecified; keeps the columns and memory for reuse.
  void Reset();

 private:
  friend class Appender;
  struct Column {
    Type type;
    _duckdb_vector* vector;  // owned by the chunk
    void* values;            // the vector's value array; refreshed by Reset
    uint64_t* validity;      // null until the first SetNull (all rows valid); refreshed by Reset
  };
  DataChunk(_duckdb_data_chunk* handle, std::vector<Column> columns, size_t capacity);
  Column& At(size_t col, size_t row);
  void RefreshPointers();
  void Destroy();

  _duckdb_data_chunk* handle_ = nullptr;  // null only in a moved-from chunk
  std::vector<Column> columns_;
  size_t capacity_ = 0;
};

}  // namespace timestore::duck
