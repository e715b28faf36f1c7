// duck-internal: conversions between duck::Type and DuckDB's duckdb_type ids (passed as int so that
// this header stays free of duckdb.h). Stateless and thread-safe.
#pragma once

#include "duck/type.h"

namespace timestore::duck {

// The duck::Type of a column whose DuckDB type id is `duckdb_type_id`; kOther when duck has no
// getter.
Type TypeFromDuckDbTypeId(int duckdb_type_id);

// The DuckDB type id a DataChunk column of `type` is created with; DUCKDB_TYPE_INVALID (0) for
// types a DataChunk cannot hold.
int DuckDbTypeIdForChunkColumn(Type type);

}  // namespace timestore::duck
