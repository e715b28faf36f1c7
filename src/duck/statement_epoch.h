// StatementEpoch (duck-internal): counts the statements started on one DuckDB connection. DuckDB
// ends an open streaming result when the same connection starts another statement, and then reports
// a plain end of data; a streaming QueryResult remembers the epoch it started in and reports the
// truncation instead. Shared (shared_ptr) by a Connection and the statements, results and appenders
// made from it, all of which follow the connection's one-thread-at-a-time rule, so the counter
// needs no synchronisation.
#pragma once

#include <cstdint>

namespace timestore::duck {

struct StatementEpoch {
  uint64_t value = 0;  // incremented before every call that may run a statement on the connection
};

}  // namespace timestore::duck
