// How request-validation messages name a JSON value: its type ("string", "number", ...) and a short
// rendering of it, so every 400 reads the same ("rows[3].v: expected double, got string \"x\"").
// Pure functions over a parsed simdjson DOM element; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include <simdjson.h>

#include "common/status.h"

namespace timestore::common {

// Caller text repeated in a message is cut to this many bytes (then "...").
inline constexpr size_t kMaxQuotedBytes = 64;

// "array", "object", "number", "string", "boolean" or "null".
std::string_view JsonTypeName(simdjson::dom::element_type type);

// "string \"abc\"", "number 12.5", "boolean true", "null", "object", "array"; strings are cut to
// kMaxQuotedBytes.
std::string DescribeJson(simdjson::dom::element value);

// kInvalidArgument "<where>: expected <what>, got <DescribeJson(got)>".
Status ExpectedJson(std::string_view where, std::string_view what, simdjson::dom::element got);

}  // namespace timestore::common
