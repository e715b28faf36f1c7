// Time values: timestore keeps instants as microseconds since the Unix epoch (UTC) in an int64_t,
// the resolution of DuckDB TIMESTAMP and PostgreSQL timestamptz.
#pragma once

#include <cstdint>
#include <string>

namespace timestore::common {

using UnixMicros = int64_t;

// "2024-01-01T00:00:10.000Z" (milliseconds) or with 6 fractional digits when the instant has
// sub-millisecond precision. Valid for years 0001..9999.
std::string FormatIso8601(UnixMicros t);

// The current time from the system clock.
UnixMicros NowMicros();

}  // namespace timestore::common
