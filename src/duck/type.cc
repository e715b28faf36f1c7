#include "duck/type.h"

namespace timestore::duck {

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kBoolean:
      return "BOOLEAN";
    case Type::kTinyint:
      return "TINYINT";
    case Type::kSmallint:
      return "SMALLINT";
    case Type::kInteger:
      return "INTEGER";
    case Type::kBigint:
      return "BIGINT";
    case Type::kUtinyint:
      return "UTINYINT";
    case Type::kUsmallint:
      return "USMALLINT";
    case Type::kUinteger:
      return "UINTEGER";
    case Type::kUbigint:
      return "UBIGINT";
    case Type::kHugeint:
      return "HUGEINT";
    case Type::kFloat:
      return "FLOAT";
    case Type::kDouble:
      return "DOUBLE";
    case Type::kDecimal:
      return "DECIMAL";
    case Type::kVarchar:
      return "VARCHAR";
    case Type::kBlob:
      return "BLOB";
    case Type::kDate:
      return "DATE";
    case Type::kTimestamp:
      return "TIMESTAMP";
    case Type::kTimestampTz:
      return "TIMESTAMP WITH TIME ZONE";
    case Type::kOther:
      return "OTHER";
  }
  return "OTHER";
}

}  // namespace timestore::duck
