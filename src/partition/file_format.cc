#include "partition/file_format.h"

#include <cassert>

#include "common/random_id.h"
#include "storage/object_key_segment.h"

namespace timestore::partition {

using catalog::ColumnType;

std::string_view FileExtension(catalog::WriteFormat format) {
  return format == catalog::WriteFormat::kDuckdb ? "duckdb" : "parquet";
}

duck::Type DuckType(ColumnType type) {
  switch (type) {
    case ColumnType::kTimestamp:
      return duck::Type::kTimestamp;
    case ColumnType::kString:
      return duck::Type::kVarchar;
    case ColumnType::kDouble:
      return duck::Type::kDouble;
    case ColumnType::kInteger:
      return duck::Type::kBigint;
    case ColumnType::kBoolean:
      return duck::Type::kBoolean;
  }
  assert(false && "unknown ColumnType");
  return duck::Type::kVarchar;
}

std::string_view SqlTypeName(ColumnType type) { return duck::TypeName(DuckType(type)); }

std::string NewPartitionId() { return common::RandomId("part-"); }

std::string FileName(std::string_view partition_id, catalog::WriteFormat format) {
  return std::string(partition_id) + "." + std::string(FileExtension(format));
}

common::ObjectKey PartitionObjectKey(std::string_view dataset_slug, const PartitionKey& key,
                                     common::UnixMicros window_start, std::string_view partition_id,
                                     catalog::WriteFormat format) {
  return common::ObjectKey(std::string(dataset_slug) + "/" + key.PathSegments() +
                           "window=" + storage::CompactTimeSegment(window_start) + "/" +
                           FileName(partition_id, format));
}

}  // namespace timestore::partition
