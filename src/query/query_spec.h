// QuerySpec: a validated `POST /datasets/{slug}/query` request - everything the planner and the SQL
// builder need, already checked against the dataset's schema, so that nothing downstream can fail
// because of the caller's input. ParseQueryRequest turns the JSON body into one (or a precise 400).
// Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <simdjson.h>

#include "catalog/types.h"
#include "common/status.h"
#include "common/time.h"

namespace timestore::query {

// The type a predicate compares as. Columns get theirs from the schema (an explicit "type" must
// agree); partition-key values from the predicate's "type" (default: string).
enum class ValueType { kString, kNumber, kTimestamp, kBoolean };
std::string_view ValueTypeName(ValueType type);  // "string", "number", "timestamp", "boolean"

// One comparable value. Numbers are doubles (JSON numbers); timestamps microseconds since the
// epoch (parsed from ISO-8601 strings); strings compare byte-wise.
using Value = std::variant<std::string, double, common::UnixMicros, bool>;

// A conjunction of comparisons on one column or partition-key value: every set member must hold.
// string and boolean: eq, in; number and timestamp: eq, in, gt, gte, lt, lte.
struct Predicate {
  std::string name;  // column or partition-key name
  ValueType type = ValueType::kString;
  std::optional<Value> eq;
  std::optional<std::vector<Value>> in;  // non-empty when set; at most 10,000 values
  std::optional<Value> gt, gte, lt, lte;
};

enum class AggregateFn {
  kAvg,
  kMin,
  kMax,
  kSum,
  kMedian,
  kCount,
  kCountDistinct,
  kPercentile,  // discrete: the smallest value with cumulative share >= p (quantile_disc)
  kFirst,       // value at the earliest timestamp of the bucket
  kLast,        // value at the latest timestamp of the bucket
  kStddev,      // sample standard deviation
};
// The request's name for `fn` ("avg", "count_distinct", ...).
std::string_view AggregateFnName(AggregateFn fn);

struct Aggregation {
  AggregateFn fn = AggregateFn::kCount;
  std::optional<std::string> column;  // absent only for count (= count of rows)
  double percentile = 0;              // kPercentile only, 0..1
  std::string alias;                  // given, or the original's default ("max_usage_user", ...)
};

enum class IntervalUnit { kSecond, kMinute, kHour, kDay, kWeek, kMonth };

// Gap filling: which value a bucket with no rows (per groupBy series) gets.
enum class FillMode {
  kNone,      // such buckets are absent from the answer
  kNull,      // present, aggregations null
  kPrevious,  // the series' previous non-null value (null before the first one)
  kLinear,    // interpolated in time between the neighbouring non-null values (null at edges)
  kValue,     // a constant (fill_value)
};

struct Downsample {
  IntervalUnit unit = IntervalUnit::kMinute;
  int64_t size = 1;                       // >= 1
  std::vector<Aggregation> aggregations;  // non-empty; aliases unique
  std::vector<std::string> group_by;      // columns, each once
  FillMode fill = FillMode::kNone;
  double fill_value = 0;  // kValue only
};

enum class SortOrder { kAsc, kDesc };

struct QuerySpec {
  common::UnixMicros start = 0;  // inclusive
  common::UnixMicros end = 0;    // exclusive; > start
  std::string timestamp_column;  // a timestamp column of the schema
  // Raw mode projection in the caller's order; empty means every column of the schema.
  std::vector<std::string> columns;
  std::vector<Predicate> partition_key_filters;
  std::vector<Predicate> column_filters;
  std::optional<Downsample> downsample;
  SortOrder order = SortOrder::kAsc;
  int64_t limit = 0;         // >= 1; the default limit when the caller gave none
  bool limit_given = false;  // whether the caller asked for `limit`
  std::optional<int64_t> as_of_version;
};

struct QueryLimits {
  int64_t default_limit = 10'000;  // rows when the request names no limit
  int64_t max_limit = 1'000'000;   // the largest limit a request may ask for
  // Buckets x series a fill mode may produce. ParseQueryRequest can only count the buckets of one
  // series (ceil((end - start) / interval) + 1); multiplying by the series is the executor's job.
  int64_t max_fill_buckets = 1'000'000;
};

// Validates `body` against `columns` (the dataset's current schema: a superset of every earlier
// version, since schemas only grow) and `default_timestamp_column`. kInvalidArgument naming the
// field ("timeRange.end: must be after timeRange.start", "downsample.aggregations[1].fn: unknown
// aggregation 'mode'", "filters.columns.host: unknown column") for anything wrong.
common::Result<QuerySpec> ParseQueryRequest(simdjson::dom::element body,
                                            const std::vector<catalog::ColumnDef>& columns,
                                            std::string_view default_timestamp_column,
                                            const QueryLimits& limits);

// The columns the answer has, in order: raw mode the projection; downsampled the timestamp column
// (bucket start), the groupBy columns, then the aggregation aliases.
std::vector<std::string> AnswerColumns(const QuerySpec& spec,
                                       const std::vector<catalog::ColumnDef>& schema);

std::string_view IntervalUnitName(IntervalUnit unit);  // "minute", ...
// The length of one unit in microseconds; nothing for months (which vary).
std::optional<int64_t> IntervalUnitMicros(IntervalUnit unit);

}  // namespace timestore::query
