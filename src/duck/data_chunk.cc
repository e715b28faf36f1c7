#include "duck/data_chunk.h"

#include <cassert>
#include <string>
#include <utility>

#include <duckdb.h>

#include "duck/type_mapping.h"

namespace timestore::duck {

using common::Result;

Result<DataChunk> DataChunk::Create(std::vector<Type> column_types) {
  if (column_types.empty()) return common::InvalidArgument("a DataChunk needs at least one column");
  std::vector<duckdb_logical_type> logical;
  logical.reserve(column_types.size());
  for (Type type : column_types) {
    const auto id = static_cast<duckdb_type>(DuckDbTypeIdForChunkColumn(type));
    if (id == DUCKDB_TYPE_INVALID) {
      for (duckdb_logical_type& t : logical) duckdb_destroy_logical_type(&t);
      return common::InvalidArgument("a DataChunk cannot hold a " + std::string(TypeName(type)) +
                                     " column");
    }
    logical.push_back(duckdb_create_logical_type(id));
  }
  duckdb_data_chunk handle = duckdb_create_data_chunk(logical.data(), logical.size());
  for (duckdb_logical_type& t : logical) duckdb_destroy_logical_type(&t);
  if (handle == nullptr) return common::Internal("duckdb_create_data_chunk failed");

  std::vector<Column> columns;
  columns.reserve(column_types.size());
  for (size_t i = 0; i < column_types.size(); ++i) {
    columns.push_back({column_types[i], duckdb_data_chunk_get_vector(handle, i), nullptr, nullptr});
  }
  DataChunk chunk(handle, std::move(columns), duckdb_vector_size());
  chunk.RefreshPointers();
  return chunk;
}

DataChunk::DataChunk(_duckdb_data_chunk* handle, std::vector<Column> columns, size_t capacity)
    : handle_(handle), columns_(std::move(columns)), capacity_(capacity) {}

DataChunk::DataChunk(DataChunk&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)),
      columns_(std::move(other.columns_)),
      capacity_(std::exchange(other.capacity_, 0)) {}

DataChunk& DataChunk::operator=(DataChunk&& other) noexcept {
  if (this != &other) {
    Destroy();
    handle_ = std::exchange(other.handle_, nullptr);
    columns_ = std::move(other.columns_);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

DataChunk::~DataChunk() { Destroy(); }

void DataChunk::Destroy() {
  if (handle_ != nullptr) {
    duckdb_data_chunk handle = handle_;
    duckdb_destroy_data_chunk(&handle);
    handle_ = nullptr;
  }
}

void DataChunk::RefreshPointers() {
  for (Column& column : columns_) {
    column.values = duckdb_vector_get_data(column.vector);
    column.validity = nullptr;
  }
}

size_t DataChunk::size() const {
  assert(handle_ != nullptr);
  return duckdb_data_chunk_get_size(handle_);
}

DataChunk::Column& DataChunk::At(size_t col, size_t row) {
  assert(handle_ != nullptr && "DataChunk used after move");
  assert(col < columns_.size());
  assert(row < capacity_);
  Column& column = columns_[col];
  if (column.validity != nullptr) {
    column.validity[row / 64] |= uint64_t{1} << (row % 64);  // a value overwrites an earlier NULL
  }
  return column;
}

void DataChunk::SetBool(size_t col, size_t row, bool value) {
  Column& c = At(col, row);
  assert(c.type == Type::kBoolean);
  static_cast<bool*>(c.values)[row] = value;
}

void DataChunk::SetInt64(size_t col, size_t row, int64_t value) {
  Column& c = At(col, row);
  assert(c.type == Type::kBigint);
  static_cast<int64_t*>(c.values)[row] = value;
}

void DataChunk::SetDouble(size_t col, size_t row, double value) {
  Column& c = At(col, row);
  assert(c.type == Type::kDouble);
  static_cast<double*>(c.values)[row] = value;
}

void DataChunk::SetString(size_t col, size_t row, std::string_view value) {
  Column& c = At(col, row);
  assert(c.type == Type::kVarchar || c.type == Type::kBlob);
  // Copies the bytes into the vector's own string heap; long strings (> 12 bytes) are not inlined.
  duckdb_vector_assign_string_element_len(c.vector, row, value.data(), value.size());
}

void DataChunk::SetTimestampMicros(size_t col, size_t row, int64_t micros) {
  Column& c = At(col, row);
  assert(c.type == Type::kTimestamp || c.type == Type::kTimestampTz);
  static_cast<duckdb_timestamp*>(c.values)[row] = duckdb_timestamp{micros};
}

void DataChunk::SetNull(size_t col, size_t row) {
  Column& c = At(col, row);
  if (c.validity == nullptr) {
    duckdb_vector_ensure_validity_writable(c.vector);
    c.validity = duckdb_vector_get_validity(c.vector);
  }
  duckdb_validity_set_row_invalid(c.validity, row);
}

void DataChunk::SetSize(size_t rows) {
  assert(handle_ != nullptr);
  assert(rows <= capacity_);
  duckdb_data_chunk_set_size(handle_, rows);
}

void DataChunk::Reset() {
  assert(handle_ != nullptr);
  duckdb_data_chunk_reset(handle_);
  RefreshPointers();  // DuckDB may hand out new value and validity buffers after a reset
}

}  // namespace timestore::duck
