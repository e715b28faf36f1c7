// RowBatch: validated rows held column by column, the form in which ingest moves data from a
// decoded request to a partition file. Values are stored densely per type; NULLs are tracked by a
// validity vector. Strings live in one arena per column (no allocation per value). Not thread-safe;
// movable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/types.h"

namespace timestore::partition {

// One column's values. The accessor matching the column type must be used: Int64At for kTimestamp
// (microseconds since the epoch, UTC) and kInteger, DoubleAt for kDouble, BoolAt for kBoolean,
// StringAt for kString. Reading a NULL row returns a zero value; check IsNull first.
class ColumnBuffer {
 public:
  explicit ColumnBuffer(catalog::ColumnType type) : type_(type) {}

  catalog::ColumnType type() const { return type_; }
  size_t size() const { return valid_.size(); }
  void Reserve(size_t rows);

  void AppendNull();
  void AppendInt64(int64_t v);
  void AppendDouble(double v);
  void AppendBool(bool v);
  void AppendString(std::string_view v);
  // Appends row `row` of `other`, which has the same type.
  void AppendFrom(const ColumnBuffer& other, size_t row);
  // Drops rows from `new_size` on (used to undo a partly decoded row).
  void Truncate(size_t new_size);

  bool IsNull(size_t row) const { return valid_[row] == 0; }
  int64_t Int64At(size_t row) const { return ints_[row]; }
  double DoubleAt(size_t row) const { return doubles_[row]; }
  bool BoolAt(size_t row) const { return ints_[row] != 0; }
  std::string_view StringAt(size_t row) const {
    return std::string_view(arena_).substr(offsets_[row], offsets_[row + 1] - offsets_[row]);
  }
  size_t null_count() const { return null_count_; }

 private:
  catalog::ColumnType type_;
  std::vector<uint8_t> valid_;     // 1 = value present, one per row
  std::vector<int64_t> ints_;      // kTimestamp, kInteger, kBoolean (0/1); one per row
  std::vector<double> doubles_;    // kDouble; one per row
  std::vector<uint32_t> offsets_;  // kString: row i is arena_[offsets_[i], offsets_[i+1])
  std::string arena_;
  size_t null_count_ = 0;
};

// Rows of one schema: `schema[i]` describes `columns[i]`; every column has row_count() rows.
struct RowBatch {
  std::vector<catalog::ColumnDef> schema;
  std::vector<ColumnBuffer> columns;

  // An empty batch with one buffer per column of `schema`.
  static RowBatch Empty(const std::vector<catalog::ColumnDef>& schema);
  size_t row_count() const { return columns.empty() ? 0 : columns.front().size(); }
  // Index of column `name`, or -1.
  int ColumnIndex(std::string_view name) const;
  // Appends row `row` of `other`, whose schema must equal this one's.
  void AppendRowFrom(const RowBatch& other, size_t row);
};

}  // namespace timestore::partition
