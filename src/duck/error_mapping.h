// The one mapping from DuckDB errors to timestore Status codes. Every failed DuckDB call in duck/
// builds its Status here, and the Status keeps DuckDB's message text unchanged. Stateless and
// thread-safe.
#pragma once

#include <string_view>

#include "common/status.h"

namespace timestore::duck {

// Returns the (non-OK) Status for a DuckDB error. `error_type` is DuckDB's duckdb_error_type value
// (an int so that this header stays free of duckdb.h). Pass 0 (DUCKDB_ERROR_INVALID) when the
// failed call reported only a message (duckdb_open_ext, duckdb_prepare): the type is then read from
// the prefix that DuckDB puts on every message ("Catalog Error: ..."). The mapping:
//   parser, syntax, binder, catalog, conversion, out of range, invalid input, not implemented,
//   missing extension and other errors in the statement itself             -> kInvalidArgument
//   interrupt (Connection::Interrupt, usually on a deadline)               -> kDeadlineExceeded
//   permission (enable_external_access, allowed_directories)               -> kPermissionDenied
//   constraint, transaction conflict, dependency                           -> kConflict
//   out of memory (memory_limit)                                           -> kResourceExhausted
//   file lock held by another process, network, HTTP                       -> kUnavailable
//   IO, internal, fatal and anything else                                  -> kInternal
common::Status StatusFromDuckDbError(int error_type, std::string_view message);

}  // namespace timestore::duck
