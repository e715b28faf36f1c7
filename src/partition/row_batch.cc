#include "partition/row_batch.h"

#include <cassert>

namespace timestore::partition {

using catalog::ColumnType;

void ColumnBuffer::Reserve(size_t rows) {
  valid_.reserve(rows);
  switch (type_) {
    case ColumnType::kDouble:
      doubles_.reserve(rows);
      break;
    case ColumnType::kString:
      offsets_.reserve(rows + 1);
      break;
    default:
      ints_.reserve(rows);
  }
}

void ColumnBuffer::AppendNull() {
  valid_.push_back(0);
  ++null_count_;
  switch (type_) {
    case ColumnType::kDouble:
      doubles_.push_back(0);
      break;
    case ColumnType::kString:
      if (offsets_.empty()) offsets_.push_back(0);
      offsets_.push_back(static_cast<uint32_t>(arena_.size()));
      break;
    default:
      ints_.push_back(0);
  }
}

void ColumnBuffer::AppendInt64(int64_t v) {
  assert(type_ == ColumnType::kTimestamp || type_ == ColumnType::kInteger);
  valid_.push_back(1);
  ints_.push_back(v);
}

void ColumnBuffer::AppendDouble(double v) {
  assert(type_ == ColumnType::kDouble);
  valid_.push_back(1);
  doubles_.push_back(v);
}

void ColumnBuffer::AppendBool(bool v) {
  assert(type_ == ColumnType::kBoolean);
  valid_.push_back(1);
  ints_.push_back(v ? 1 : 0);
}

void ColumnBuffer::AppendString(std::string_view v) {
  assert(type_ == ColumnType::kString);
  valid_.push_back(1);
  if (offsets_.empty()) offsets_.push_back(0);
  arena_.append(v);
  offsets_.push_back(static_cast<uint32_t>(arena_.size()));
}

void ColumnBuffer::AppendFrom(const ColumnBuffer& other, size_t row) {
  assert(other.type_ == type_);
  if (other.IsNull(row)) {
    AppendNull();
    return;
  }
  switch (type_) {
    case ColumnType::kDouble:
      AppendDouble(other.DoubleAt(row));
      break;
    case ColumnType::kString:
      AppendString(other.StringAt(row));
      break;
    case ColumnType::kBoolean:
      AppendBool(other.BoolAt(row));
      break;
    default:
      AppendInt64(other.Int64At(row));
  }
}

void ColumnBuffer::Truncate(size_t new_size) {
  while (valid_.size() > new_size) {
    if (valid_.back() == 0) --null_count_;
    valid_.pop_back();
  }
  switch (type_) {
    case ColumnType::kDouble:
      doubles_.resize(new_size);
      break;
    case ColumnType::kString:
      if (!offsets_.empty()) {
        offsets_.resize(new_size + 1);
        arena_.resize(offsets_.back());
      }
      break;
    default:
      ints_.resize(new_size);
  }
}

RowBatch RowBatch::Empty(const std::vector<catalog::ColumnDef>& schema) {
  RowBatch b;
  b.schema = schema;
  b.columns.reserve(schema.size());
  for (const auto& c : schema) b.columns.emplace_back(c.type);
  return b;
}

int RowBatch::ColumnIndex(std::string_view name) const {
  for (size_t i = 0; i < schema.size(); ++i) {
    if (schema[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

void RowBatch::AppendRowFrom(const RowBatch& other, size_t row) {
  assert(other.schema == schema);
  for (size_t c = 0; c < columns.size(); ++c) columns[c].AppendFrom(other.columns[c], row);
}

}  // namespace timestore::partition
