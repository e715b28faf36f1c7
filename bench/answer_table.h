// Query answers as comparable tables: a raw DuckDB result or a JSON answer (the query API's or
// /sql/read's) read into rows of cells, put in a canonical order and compared with a tolerance for
// numbers. The benchmarks use it to prove that every way of running a query answers the same.
// Pure functions; thread-compatible (a simdjson parser is used by one thread at a time).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <simdjson.h>

#include "common/status.h"
#include "duck/query_result.h"

namespace timestore::bench {

struct Micros {
  int64_t value;
  friend bool operator==(Micros a, Micros b) { return a.value == b.value; }
  friend bool operator<(Micros a, Micros b) { return a.value < b.value; }
};
using Cell = std::variant<std::monostate, double, Micros, std::string>;

struct Table {
  std::vector<std::string> columns;
  std::vector<bool> is_timestamp;  // per column
  std::vector<std::vector<Cell>> rows;
};

// Reads a materialized raw DuckDB result.
Table TableFromDuck(const duck::QueryResult& result);

// What a JSON answer says besides its rows.
struct AnswerMeta {
  bool truncated = true;
  std::optional<int64_t> partitions_total, partitions_scanned, partitions_pruned;
  // Remote partitions: found in the server's partition cache, or downloaded by this query.
  std::optional<int64_t> partitions_from_cache, partitions_fetched;
  std::optional<double> elapsed_ms;  // statistics.elapsedMs: the server's own time
};

// The integer member `key` of `obj`, when it has one.
std::optional<int64_t> FindInt(simdjson::dom::object obj, std::string_view key);

// Reads a JSON answer `{"columns":[..],"rows":[{..},..],"truncated":..,"statistics":{..}}` into
// the shape of `reference` (the raw answer): each of its columns is looked up by name in every
// row object, and timestamp columns are parsed from ISO-8601. Columns of the answer outside
// `reference` must be listed in `ignored`. kInternal saying what does not fit.
common::Result<Table> TableFromJson(std::string_view body, const Table& reference,
                                    const std::vector<std::string_view>& ignored,
                                    simdjson::dom::parser& parser, AnswerMeta* meta);

// Rows in a canonical order (lexicographic by cell), so that answers whose order is not fully
// determined (raw rows with equal timestamps) compare. Every query's leading columns are a unique
// key (bucket and group, or timestamp and hostname), so tiny differences in aggregated numbers
// never reorder rows.
void SortRows(Table* t);

// Empty when `actual` holds the same rows as `expected` (both sorted; numbers equal within 1e-9
// relative); otherwise what differs, with the first differing rows.
std::string Compare(const Table& expected, const Table& actual);

// Reads the JSON answer `body` like `expected` (sorted), requires "truncated":false and compares
// it. Empty when it matches; otherwise what is wrong. `*meta` is filled as far as the body could
// be read; `*actual`, when given, receives the sorted table.
std::string CheckAnswer(std::string_view body, const Table& expected,
                        const std::vector<std::string_view>& ignored, simdjson::dom::parser& parser,
                        AnswerMeta* meta, Table* actual = nullptr);

}  // namespace timestore::bench
