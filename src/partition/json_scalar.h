// JsonScalar: one scalar of the partition metadata the catalog stores as JSON (a column
// statistic's min or max, a partition-key value), kept both as its JSON text, byte-exact as
// stored, and as the typed reading the planner compares. Plain value; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"

namespace timestore::partition {

struct JsonScalar {
  enum class Kind { kString, kNumber, kBoolean };
  Kind kind = Kind::kString;
  std::string json;      // the value as compact JSON: "\"eu\"", "3", "1.5", "true"
  std::string text;      // kString: the string itself; otherwise the same as `json`
  double number = 0;     // kNumber
  bool boolean = false;  // kBoolean
  std::optional<common::UnixMicros> micros;  // kString holding an ISO-8601 instant

  // Typed values as the partition writer records them: a timestamp as its ISO-8601 string
  // (common::FormatIso8601), numbers and booleans as JSON numbers and literals. Precondition for
  // Double: `v` is finite.
  static JsonScalar String(std::string_view v);
  static JsonScalar Timestamp(common::UnixMicros v);
  static JsonScalar Integer(int64_t v);
  static JsonScalar Double(double v);
  static JsonScalar Boolean(bool v);

  // Reads one JSON string, number or boolean; nothing for anything else (null, objects, arrays,
  // malformed text).
  static std::optional<JsonScalar> Parse(std::string_view json);

  friend bool operator==(const JsonScalar& a, const JsonScalar& b) { return a.json == b.json; }
};

}  // namespace timestore::partition
