#include "duck/type_mapping.h"

#include <duckdb.h>

namespace timestore::duck {

Type TypeFromDuckDbTypeId(int duckdb_type_id) {
  switch (static_cast<duckdb_type>(duckdb_type_id)) {
    case DUCKDB_TYPE_BOOLEAN:
      return Type::kBoolean;
    case DUCKDB_TYPE_TINYINT:
      return Type::kTinyint;
    case DUCKDB_TYPE_SMALLINT:
      return Type::kSmallint;
    case DUCKDB_TYPE_INTEGER:
      return Type::kInteger;
    case DUCKDB_TYPE_BIGINT:
      return Type::kBigint;
    case DUCKDB_TYPE_UTINYINT:
      return Type::kUtinyint;
    case DUCKDB_TYPE_USMALLINT:
      return Type::kUsmallint;
    case DUCKDB_TYPE_UINTEGER:
      return Type::kUinteger;
    case DUCKDB_TYPE_UBIGINT:
      return Type::kUbigint;
    case DUCKDB_TYPE_HUGEINT:
      return Type::kHugeint;
    case DUCKDB_TYPE_FLOAT:
      return Type::kFloat;
    case DUCKDB_TYPE_DOUBLE:
      return Type::kDouble;
    case DUCKDB_TYPE_DECIMAL:
      return Type::kDecimal;
    case DUCKDB_TYPE_VARCHAR:
      return Type::kVarchar;
    case DUCKDB_TYPE_BLOB:
      return Type::kBlob;
    case DUCKDB_TYPE_DATE:
      return Type::kDate;
    case DUCKDB_TYPE_TIMESTAMP:
      return Type::kTimestamp;
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return Type::kTimestampTz;
    default:
      return Type::kOther;
  }
}

int DuckDbTypeIdForChunkColumn(Type type) {
  switch (type) {
    case Type::kBoolean:
      return DUCKDB_TYPE_BOOLEAN;
    case Type::kBigint:
      return DUCKDB_TYPE_BIGINT;
    case Type::kDouble:
      return DUCKDB_TYPE_DOUBLE;
    case Type::kVarchar:
      return DUCKDB_TYPE_VARCHAR;
    case Type::kBlob:
      return DUCKDB_TYPE_BLOB;
    case Type::kTimestamp:
      return DUCKDB_TYPE_TIMESTAMP;
    case Type::kTimestampTz:
      return DUCKDB_TYPE_TIMESTAMP_TZ;
    default:
      return DUCKDB_TYPE_INVALID;
  }
}

}  // namespace timestore::duck
