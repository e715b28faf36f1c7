// duck::Type: the column types the duck wrappers read and write, so that nothing above duck/ needs
// DuckDB's own type ids. Each value names the getter that reads it (see ResultChunk); types without
// a getter map to kOther and should be cast in SQL (`x::VARCHAR`, `x::BIGINT`). Plain values;
// thread-safe.
#pragma once

#include <string_view>

namespace timestore::duck {

enum class Type {
  kBoolean,    // GetBool
  kTinyint,    // GetInt64 (the signed and small unsigned integers below all fit in int64)
  kSmallint,   // GetInt64
  kInteger,    // GetInt64
  kBigint,     // GetInt64
  kUtinyint,   // GetInt64
  kUsmallint,  // GetInt64
  kUinteger,   // GetInt64
  kUbigint,    // GetDouble (may not fit in int64; cast to BIGINT in SQL for exact values)
  kHugeint,    // GetDouble (what sum() of integers returns; cast to BIGINT in SQL for exact values)
  kFloat,      // GetDouble
  kDouble,     // GetDouble
  kDecimal,    // GetDouble (a literal such as 1.5 is a DECIMAL)
  kVarchar,    // GetString (UTF-8)
  kBlob,       // GetString (raw bytes)
  kDate,       // GetDateDays: days since 1970-01-01
  kTimestamp,  // GetTimestampMicros: microseconds since 1970-01-01 00:00:00, no time zone
  kTimestampTz,  // GetTimestampMicros: microseconds since the epoch, UTC
  kOther,        // anything else (intervals, lists, structs, timestamps in s/ms/ns ...)
};

// The SQL name of `type` ("BIGINT", "TIMESTAMP WITH TIME ZONE"); "OTHER" for kOther.
std::string_view TypeName(Type type);

}  // namespace timestore::duck
