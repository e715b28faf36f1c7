// ColumnStatistics: what a partition file records about each of its columns (min, max, NULL
// count), and the one encoder and decoder of the catalog's `column_statistics_json`:
//   {"<column>":{"min":..,"max":..,"nullCount":N},...}
// for every column in schema order. min/max are left out when the column has no value (all
// NULL, or for doubles only NaN/infinities). Timestamps are ISO-8601 strings
// (common::FormatIso8601), doubles and integers numbers, strings strings (compared byte-wise, i.e.
// by code point), booleans true/false. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "partition/json_scalar.h"

namespace timestore::partition {

struct ColumnStatistics {
  std::optional<JsonScalar> min, max;  // both or neither; absent without a comparable value
  int64_t null_count = 0;

  friend bool operator==(const ColumnStatistics&, const ColumnStatistics&) = default;
};

// Statistics of a file's columns, in schema order.
using ColumnStatisticsList = std::vector<std::pair<std::string, ColumnStatistics>>;

// The stored JSON form of `columns`.
std::string EncodeColumnStatistics(const ColumnStatisticsList& columns);

// Reads a stored `column_statistics_json`, in document order. A member that is not an object is
// skipped, as is a min or max that is not a scalar; a malformed document decodes to nothing (the
// partition is then never pruned by statistics).
ColumnStatisticsList DecodeColumnStatistics(std::string_view json);

}  // namespace timestore::partition
