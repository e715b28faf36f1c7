#include "duck/result_chunk.h"

#include <cassert>
#include <vector>

#include <duckdb.h>

#include "duck/type_mapping.h"

namespace timestore::duck {

struct ResultChunk::Data {
  struct Column {
    Type type = Type::kOther;
    duckdb_type storage =
        DUCKDB_TYPE_INVALID;     // the C type of the values (for DECIMAL: its integer)
    double decimal_divisor = 1;  // 10^scale for DECIMAL
    const void* values = nullptr;
    const uint64_t* validity = nullptr;  // null when every row is valid
  };

  Data(duckdb_data_chunk c, std::shared_ptr<const void> o) : chunk(c), owner(std::move(o)) {}
  ~Data() { duckdb_destroy_data_chunk(&chunk); }
  Data(const Data&) = delete;
  Data& operator=(const Data&) = delete;

  const Column& At(size_t col, size_t row) const {
    assert(col < columns.size());
    assert(row < rows);
    (void)row;
    return columns[col];
  }

  duckdb_data_chunk chunk;
  std::shared_ptr<const void> owner;  // released after `chunk` is destroyed
  size_t rows = 0;
  std::vector<Column> columns;
};

ResultChunk ResultChunk::Adopt(_duckdb_data_chunk* chunk, std::shared_ptr<const void> owner) {
  auto data = std::make_shared<Data>(chunk, std::move(owner));
  data->rows = duckdb_data_chunk_get_size(chunk);
  const idx_t n = duckdb_data_chunk_get_column_count(chunk);
  data->columns.resize(n);
  for (idx_t i = 0; i < n; ++i) {
    duckdb_vector vector = duckdb_data_chunk_get_vector(chunk, i);
    duckdb_logical_type logical = duckdb_vector_get_column_type(vector);
    const duckdb_type id = duckdb_get_type_id(logical);
    Data::Column& column = data->columns[i];
    column.type = TypeFromDuckDbTypeId(id);
    column.storage = id;
    if (id == DUCKDB_TYPE_DECIMAL) {
      column.storage = duckdb_decimal_internal_type(logical);
      for (uint8_t s = duckdb_decimal_scale(logical); s > 0; --s) column.decimal_divisor *= 10;
    }
    duckdb_destroy_logical_type(&logical);
    column.values = duckdb_vector_get_data(vector);
    column.validity = duckdb_vector_get_validity(vector);
  }
  return ResultChunk(std::move(data));
}

size_t ResultChunk::row_count() const { return data_->rows; }

size_t ResultChunk::column_count() const { return data_->columns.size(); }

Type ResultChunk::column_type(size_t col) const {
  assert(col < data_->columns.size());
  return data_->columns[col].type;
}

bool ResultChunk::IsNull(size_t col, size_t row) const {
  const Data::Column& c = data_->At(col, row);
  return c.validity != nullptr && ((c.validity[row / 64] >> (row % 64)) & 1) == 0;
}

bool ResultChunk::GetBool(size_t col, size_t row) const {
  const Data::Column& c = data_->At(col, row);
  assert(c.type == Type::kBoolean);
  return static_cast<const bool*>(c.values)[row];
}

int64_t ResultChunk::GetInt64(size_t col, size_t row) const {
  const Data::Column& c = data_->At(col, row);
  switch (c.type) {
    case Type::kTinyint:
      return static_cast<const int8_t*>(c.values)[row];
    case Type::kSmallint:
      return static_cast<const int16_t*>(c.values)[row];
    case Type::kInteger:
      return static_cast<const int32_t*>(c.values)[row];
    case Type::kBigint:
      return static_cast<const int64_t*>(c.values)[row];
    case Type::kUtinyint:
      return static_cast<const uint8_t*>(c.values)[row];
    case Type::kUsmallint:
      return static_cast<const uint16_t*>(c.values)[row];
    case Type::kUinteger:
      return static_cast<const uint32_t*>(c.values)[row];
    default:
      assert(false && "GetInt64 on a column that is not a (small enough) integer");
      return 0;
  }
}

double ResultChunk::GetDouble(size_t col, size_t row) const {
  const Data::Column& c = data_->At(col, row);
  switch (c.type) {
    case Type::kFloat:
      return static_cast<const float*>(c.values)[row];
    case Type::kDouble:
      return static_cast<const double*>(c.values)[row];
    case Type::kUbigint:
      return static_cast<double>(static_cast<const uint64_t*>(c.values)[row]);
    case Type::kHugeint:
      return duckdb_hugeint_to_double(static_cast<const duckdb_hugeint*>(c.values)[row]);
    case Type::kDecimal: {
      double unscaled = 0;
      switch (c.storage) {
        case DUCKDB_TYPE_SMALLINT:
          unscaled = static_cast<const int16_t*>(c.values)[row];
          break;
        case DUCKDB_TYPE_INTEGER:
          unscaled = static_cast<const int32_t*>(c.values)[row];
          break;
        case DUCKDB_TYPE_BIGINT:
          unscaled = static_cast<double>(static_cast<const int64_t*>(c.values)[row]);
          break;
        case DUCKDB_TYPE_HUGEINT:
          unscaled = duckdb_hugeint_to_double(static_cast<const duckdb_hugeint*>(c.values)[row]);
          break;
        default:
          assert(false && "unexpected DECIMAL storage type");
          break;
      }
      return unscaled / c.decimal_divisor;
    }
    default:
      return static_cast<double>(GetInt64(col, row));
  }
}

std::string_view ResultChunk::GetString(size_t col, size_t row) const {
  const Data::Column& c = data_->At(col, row);
  assert(c.type == Type::kVarchar || c.type == Type::kBlob);
  // duckdb_string_t: up to 12 bytes are stored inline, longer strings point elsewhere (documented
  // layout).
  const duckdb_string_t& s = static_cast<const duckdb_string_t*>(c.values)[row];
  const uint32_t length = s.value.inlined.length;
  const char* bytes =
      length <= sizeof(s.value.inlined.inlined) ? s.value.inlined.inlined : s.value.pointer.ptr;
  return {bytes, length};
}

int32_t ResultChunk::GetDateDays(size_t col, size_t row) const {
  const Data::Column& c = data_->At(col, row);
  assert(c.type == Type::kDate);
  return static_cast<const duckdb_date*>(c.values)[row].days;
}

int64_t ResultChunk::GetTimestampMicros(size_t col, size_t row) const {
  const Data::Column& c = data_->At(col, row);
  assert(c.type == Type::kTimestamp || c.type == Type::kTimestampTz);
  return static_cast<const duckdb_timestamp*>(c.values)[row].micros;
}

}  // namespace timestore::duck
