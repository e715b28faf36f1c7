// Time values: timestore keeps instants as microseconds since the Unix epoch (UTC) in an int64_t,
// the resolution of DuckDB TIMESTAMP and PostgreSQL timestamptz.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace timestore::common {

using UnixMicros = int64_t;

// "2024-01-01T00:00:10.000Z" (milliseconds) or with 6 fractional digits when the instant has
// sub-millisecond precision. Valid for years 0001..9999.
std::string FormatIso8601(UnixMicros t);
// Appends FormatIso8601(t) to `out` without allocating (for large answers).
void AppendIso8601(std::string& out, UnixMicros t);

// Parses an ISO-8601 / RFC 3339 instant with a mandatory zone: "2024-01-01T00:00:10Z",
// "2024-01-01T01:00:10.123456+01:00", "...+0100". 'T' may be 't' or a space; up to 9 fractional
// digits are accepted, digits beyond microseconds are truncated. Calendar fields are validated
// (month, day of month with leap years, 23:59:59 at most). Nothing when the text is not such a
// time.
std::optional<UnixMicros> ParseIso8601(std::string_view text);

// The current time from the system clock.
UnixMicros NowMicros();

}  // namespace timestore::common
