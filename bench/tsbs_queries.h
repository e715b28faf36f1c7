// The TSBS cpu-only query types of BENCH.md and their seeded random instances, each as a query API
// request body and as SQL over the dataset's /sql/read view. Shared by query_bench and
// s3_query_bench so both run the very same queries. Pure functions and a deterministic generator;
// thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bench/tsbs_data.h"
#include "common/status.h"

namespace timestore::bench {

// The dataset every benchmark ingests and queries.
inline constexpr std::string_view kTsbsSlug = "cpu";
// The view /sql/read offers for the dataset; the raw baseline replaces it with the files.
inline constexpr std::string_view kTsbsSqlTable = "timestore.\"cpu\"";

enum class Shape {
  kSingleGroupby,        // max of `fields` per minute over `hosts` hosts, merged, `hours` window
  kCpuMaxAll,            // max of all fields per hour over `hosts` hosts, `hours` window
  kDoubleGroupby,        // avg of `fields` per hour per host, all hosts, `hours` window
  kHighCpu,              // rows with usage_user > 90 of `hosts` hosts (0 = all), `hours` window
  kLastpoint,            // the latest row of every host
  kGroupbyOrderbyLimit,  // max(usage_user) per minute before a random end, newest 5
};

struct QueryType {
  std::string_view name;
  Shape shape;
  uint32_t fields = 1;  // the first `fields` of kTsbsFieldNames
  uint32_t hosts = 0;   // random hosts; 0 = all hosts
  uint32_t hours = 0;   // window length
};

// All 12 types, in BENCH.md's order.
std::span<const QueryType> AllQueryTypes();

// The types of a comma list of names; kInvalidArgument naming an unknown one.
common::Result<std::vector<const QueryType*>> ParseQueryTypes(std::string_view list);

// One random instance of a query type, in its forms.
struct QueryInstance {
  std::string api_body;  // POST /datasets/cpu/query
  std::string sql;  // over kTsbsSqlTable, for /sql/read and (with the table replaced) raw DuckDB
  std::string summary;  // hosts and window, for messages
};

// `count` instances of `type`, drawn the way TSBS does (random distinct hosts, a window start on
// the data's 10 s grid with the window inside the data). Deterministic for (scale, seed, type):
// the stream of each type is independent of which other types run. The API mapping of each type
// is explained in bench/README.md.
std::vector<QueryInstance> MakeInstances(const QueryType& type, const TsbsScale& scale,
                                         uint64_t seed, size_t count);

// The columns the API answers in addition to the SQL's, not compared: for lastpoint the bucket
// start (2000-01-01, DuckDB's month origin), which carries no information.
std::vector<std::string_view> ApiOnlyColumns(const QueryType& type);

// `parts` joined with `separator`.
std::string Join(const std::vector<std::string>& parts, std::string_view separator);

}  // namespace timestore::bench
