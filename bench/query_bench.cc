// query_bench: the end-to-end query benchmark of BENCH.md (TSBS cpu-only). It starts a throwaway
// PostgreSQL and a timestore server, ingests the TSBS dataset through the HTTP API, and runs seeded
// random instances of every TSBS query type three ways, interleaved: through POST
// /datasets/cpu/query, as SQL through POST /sql/read, and as the same SQL on raw DuckDB (the duck
// wrappers, in this process) over the very partition files the manifest lists. Every answer is
// compared with the raw one, so the tool is also an end-to-end test of the query API. See
// bench/README.md.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <simdjson.h>
#include <unistd.h>

#include "bench/bench_stats.h"
#include "bench/catalog_probe.h"
#include "bench/cleanup_registry.h"
#include "bench/http_client.h"
#include "bench/server_process.h"
#include "bench/throwaway_postgres.h"
#include "bench/tsbs_data.h"
#include "bench/tsbs_ingest.h"
#include "bench/work_dir.h"
#include "common/json_writer.h"
#include "common/status.h"
#include "common/time.h"
#include "duck/connection.h"
#include "duck/database.h"
#include "duck/query_result.h"
#include "duck/sql_quoting.h"

#ifndef TIMESTORE_BENCH_SERVER_BINARY
#error \
    "TIMESTORE_BENCH_SERVER_BINARY must name the timestore executable (set by bench/CMakeLists.txt)"
#endif
#ifndef TIMESTORE_BENCH_PG_TMP_SCRIPT
#error "TIMESTORE_BENCH_PG_TMP_SCRIPT must name scripts/pg_tmp.sh (set by bench/CMakeLists.txt)"
#endif

namespace timestore::bench {
namespace {

constexpr const char* kPgSchema = "timestore";
constexpr std::string_view kSlug = "cpu";
// The view /sql/read offers for the dataset; the raw baseline replaces it with the files.
constexpr std::string_view kSqlTable = "timestore.\"cpu\"";
constexpr int64_t kMinuteMicros = int64_t{60} * 1000000;
constexpr int64_t kHourMicros = 60 * kMinuteMicros;
// A limit no TSBS answer at the supported scales reaches (the server's default maximum), so that
// nothing is truncated; every answer is checked for "truncated":false anyway.
constexpr int64_t kNoTruncationLimit = 1'000'000;
// Relative tolerance of number comparisons: aggregates may be summed in another order.
constexpr double kRelativeTolerance = 1e-9;
// The target of the issue: the API's median within 1.3 x raw DuckDB's median + 2 ms.
constexpr double kTargetRatio = 1.3;
constexpr double kTargetSlackMs = 2;

const char* const kUsage = R"(usage: query_bench [options]
  --scale HOSTS,HOURS   TSBS scale (default 100,24 = 864,000 rows)
  --instances N         seeded random instances per query type (default 20)
  --seed N              seed of the query instances (default 20160102)
  --data-seed N         generator seed of the dataset (default 20160101)
  --types LIST          comma list of query types (default: all 12, see below)
  --format duckdb|parquet  partition format: TIMESTORE_WRITE_FORMAT for the server (default:
                        the server's default); the raw baseline reads the same files
  --server-env NAME=VALUE  one more environment variable for the server (repeatable)
  --clients N           concurrent ingest clients (default 4)
  --batch N             rows per ingest request (default 5000)
  --no-sql              skip POST /sql/read
  --keep                keep the temporary directory (server log, storage, PostgreSQL log)
  --server PATH         timestore binary (default: the one built with this benchmark)
query types: single-groupby-1-1-1 single-groupby-1-1-12 single-groupby-1-8-1
  single-groupby-5-1-1 single-groupby-5-8-1 cpu-max-all-8 double-groupby-1 double-groupby-all
  high-cpu-1 high-cpu-all lastpoint groupby-orderby-limit
)";

// ---------------------------------------------------------------------------------------------
// Query types

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

constexpr QueryType kQueryTypes[] = {
    {"single-groupby-1-1-1", Shape::kSingleGroupby, 1, 1, 1},
    {"single-groupby-1-1-12", Shape::kSingleGroupby, 1, 1, 12},
    {"single-groupby-1-8-1", Shape::kSingleGroupby, 1, 8, 1},
    {"single-groupby-5-1-1", Shape::kSingleGroupby, 5, 1, 1},
    {"single-groupby-5-8-1", Shape::kSingleGroupby, 5, 8, 1},
    {"cpu-max-all-8", Shape::kCpuMaxAll, 10, 8, 8},
    {"double-groupby-1", Shape::kDoubleGroupby, 1, 0, 12},
    {"double-groupby-all", Shape::kDoubleGroupby, 10, 0, 12},
    {"high-cpu-1", Shape::kHighCpu, 0, 1, 12},
    {"high-cpu-all", Shape::kHighCpu, 0, 0, 12},
    {"lastpoint", Shape::kLastpoint, 10, 0, 0},
    {"groupby-orderby-limit", Shape::kGroupbyOrderbyLimit, 1, 0, 0},
};

// One random instance of a query type, in its three forms.
struct QueryInstance {
  std::string api_body;  // POST /datasets/cpu/query
  std::string sql;       // over kSqlTable, for /sql/read and (with the table replaced) raw DuckDB
  std::string summary;   // hosts and window, for messages
};

struct Options {
  TsbsScale scale;
  size_t batch = 5000;
  int clients = 4;
  int instances = 20;
  uint64_t seed = 20160102;
  uint64_t data_seed = kTsbsDefaultSeed;
  std::vector<const QueryType*> types;
  std::string format;                   // "" = the server's default
  std::vector<std::string> server_env;  // "NAME=VALUE"
  bool sql = true;
  bool keep = false;
  std::string server_binary = TIMESTORE_BENCH_SERVER_BINARY;
};

common::Result<Options> ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&]() -> common::Result<std::string_view> {
      if (i + 1 >= argc) return common::InvalidArgument(std::string(arg) + " needs a value");
      return std::string_view(argv[++i]);
    };
    if (arg == "--scale") {
      TS_ASSIGN_OR_RETURN(std::string_view v, value());
      TS_ASSIGN_OR_RETURN(o.scale, ParseTsbsScale(v));
    } else if (arg == "--instances") {
      TS_ASSIGN_OR_RETURN(std::string_view v, value());
      if (!ParseNumber(v, &o.instances) || o.instances < 1 || o.instances > 100000) {
        return common::InvalidArgument("--instances: '" + std::string(v) +
                                       "' is not an integer from 1 to 100000");
      }
    } else if (arg == "--seed" || arg == "--data-seed") {
      TS_ASSIGN_OR_RETURN(std::string_view v, value());
      if (!ParseNumber(v, arg == "--seed" ? &o.seed : &o.data_seed)) {
        return common::InvalidArgument(std::string(arg) + ": '" + std::string(v) +
                                       "' is not an integer");
      }
    } else if (arg == "--types") {
      TS_ASSIGN_OR_RETURN(std::string_view v, value());
      while (!v.empty()) {
        const size_t comma = v.find(',');
        const std::string_view name = v.substr(0, comma);
        const auto* type = std::find_if(std::begin(kQueryTypes), std::end(kQueryTypes),
                                        [&](const QueryType& t) { return t.name == name; });
        if (type == std::end(kQueryTypes)) {
          return common::InvalidArgument("--types: unknown query type '" + std::string(name) + "'");
        }
        o.types.push_back(type);
        v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
      }
    } else if (arg == "--format") {
      TS_ASSIGN_OR_RETURN(std::string_view v, value());
      if (v != "duckdb" && v != "parquet") {
        return common::InvalidArgument("--format: '" + std::string(v) +
                                       "' is not duckdb or parquet");
      }
      o.format = v;
    } else if (arg == "--server-env") {
      TS_ASSIGN_OR_RETURN(std::string_view v, value());
      if (v.find('=') == std::string_view::npos || v.starts_with("=")) {
        return common::InvalidArgument("--server-env: '" + std::string(v) + "' is not NAME=VALUE");
      }
      o.server_env.emplace_back(v);
    } else if (arg == "--clients") {
      TS_ASSIGN_OR_RETURN(std::string_view v, value());
      if (!ParseNumber(v, &o.clients) || o.clients < 1 || o.clients > 999) {
        return common::InvalidArgument("--clients: '" + std::string(v) +
                                       "' is not an integer from 1 to 999");
      }
    } else if (arg == "--batch") {
      TS_ASSIGN_OR_RETURN(std::string_view v, value());
      if (!ParseNumber(v, &o.batch) || o.batch == 0) {
        return common::InvalidArgument("--batch: '" + std::string(v) + "' is not an integer >= 1");
      }
    } else if (arg == "--server") {
      TS_ASSIGN_OR_RETURN(std::string_view v, value());
      o.server_binary = v;
    } else if (arg == "--no-sql") {
      o.sql = false;
    } else if (arg == "--keep") {
      o.keep = true;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else {
      return common::InvalidArgument("unknown option '" + std::string(arg) + "'");
    }
  }
  if (o.types.empty()) {
    for (const QueryType& t : kQueryTypes) o.types.push_back(&t);
  }
  return o;
}

std::string IsoTimestamp(int64_t micros) {
  std::string s;
  AppendIsoTimestamp(micros, &s);
  return s;
}

// TIMESTAMP '2016-01-01 00:00:10' (whole seconds: every window starts on the 10 s grid).
std::string SqlTimestamp(int64_t micros) {
  std::string iso = IsoTimestamp(micros);  // 2016-01-01T00:00:10Z
  iso[10] = ' ';
  iso.pop_back();
  return "TIMESTAMP '" + iso + "'";
}

std::string HostName(uint32_t host) { return "host_" + std::to_string(host); }

// Draws instances the way TSBS does: `hosts` distinct random hosts, and a window of `hours`
// starting at a random point of the data's 10 s grid such that the window lies inside the data
// (at the data start when the data is shorter than the window). Deterministic for (seed, type).
class InstanceGenerator {
 public:
  InstanceGenerator(const TsbsScale& scale, uint64_t seed, size_t type_index)
      : scale_(scale), rng_(seed * 0x9e3779b97f4a7c15ULL + type_index) {}

  std::vector<uint32_t> Hosts(uint32_t n) {
    std::vector<uint32_t> all(scale_.hosts);
    for (uint32_t h = 0; h < scale_.hosts; ++h) all[h] = h;
    n = std::min(n, scale_.hosts);
    for (uint32_t i = 0; i < n; ++i) {  // partial Fisher-Yates
      const uint32_t j = i + static_cast<uint32_t>(rng_() % (scale_.hosts - i));
      std::swap(all[i], all[j]);
    }
    all.resize(n);
    return all;
  }

  // A start on the grid such that [start, start + window) fits the data when it can.
  int64_t WindowStart(int64_t window_micros) {
    const int64_t span = static_cast<int64_t>(scale_.timestamps()) * kTsbsIntervalMicros;
    if (window_micros >= span) return kTsbsStartMicros;
    const auto slots = static_cast<uint64_t>((span - window_micros) / kTsbsIntervalMicros) + 1;
    return kTsbsStartMicros + static_cast<int64_t>(rng_() % slots) * kTsbsIntervalMicros;
  }

  // A point on the grid after the first timestamp, up to just past the last one.
  int64_t EndPoint() {
    return kTsbsStartMicros +
           static_cast<int64_t>(1 + rng_() % scale_.timestamps()) * kTsbsIntervalMicros;
  }

 private:
  TsbsScale scale_;
  std::mt19937_64 rng_;
};

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : std::string(separator)) + p;
  return out;
}

// `aggregation`s of the first `fields` fields as API aggregation objects and as SQL select items.
void Aggregations(std::string_view fn, std::string_view sql_fn, uint32_t fields,
                  common::JsonWriter& w, std::vector<std::string>* sql_items) {
  for (uint32_t f = 0; f < fields; ++f) {
    const std::string field(kTsbsFieldNames[f]);
    const std::string alias = std::string(fn) + "_" + field;
    w.BeginObject().Key("fn").String(fn).Key("column").String(field);
    w.Key("alias").String(alias).EndObject();
    sql_items->push_back(std::string(sql_fn) + "(" + duck::QuoteIdent(field) + ") AS " +
                         duck::QuoteIdent(alias));
  }
}

std::string HostListSql(const std::vector<uint32_t>& hosts) {
  std::vector<std::string> names;
  names.reserve(hosts.size());
  for (uint32_t h : hosts) names.push_back(duck::QuoteLiteral(HostName(h)));
  return "hostname IN (" + Join(names, ", ") + ")";
}

void WriteHostFilter(common::JsonWriter& w, const std::vector<uint32_t>& hosts) {
  w.Key("hostname").BeginArray();
  for (uint32_t h : hosts) w.String(HostName(h));
  w.EndArray();
}

void WriteTimeRange(common::JsonWriter& w, int64_t start, int64_t end) {
  w.Key("timeRange").BeginObject().Key("start").String(IsoTimestamp(start));
  w.Key("end").String(IsoTimestamp(end)).EndObject();
}

std::string WindowSql(int64_t start, int64_t end) {
  return "\"timestamp\" >= " + SqlTimestamp(start) + " AND \"timestamp\" < " + SqlTimestamp(end);
}

std::string Summary(const std::vector<uint32_t>& hosts, int64_t start, int64_t end,
                    uint32_t all_hosts) {
  std::string s = "hosts ";
  if (hosts.size() == all_hosts) {
    s += "all";
  } else {
    std::vector<std::string> names;
    names.reserve(hosts.size());
    for (uint32_t h : hosts) names.push_back(HostName(h));
    s += Join(names, ",");
  }
  return s + ", [" + IsoTimestamp(start) + ", " + IsoTimestamp(end) + ")";
}

// The request and the SQL of one instance of `type`. The API mapping of each type is explained
// in bench/README.md.
QueryInstance MakeInstance(const QueryType& type, const TsbsScale& scale, InstanceGenerator& gen) {
  QueryInstance q;
  common::JsonWriter w;
  std::vector<std::string> items;  // SQL select items after the bucket (and group) columns
  const int64_t data_end =
      kTsbsStartMicros + static_cast<int64_t>(scale.timestamps()) * kTsbsIntervalMicros;
  const std::string table(kSqlTable);
  w.BeginObject();
  switch (type.shape) {
    case Shape::kSingleGroupby:
    case Shape::kCpuMaxAll: {
      const std::vector<uint32_t> hosts = gen.Hosts(type.hosts);
      const int64_t start = gen.WindowStart(type.hours * kHourMicros);
      const int64_t end = start + type.hours * kHourMicros;
      const bool per_minute = type.shape == Shape::kSingleGroupby;
      WriteTimeRange(w, start, end);
      w.Key("filters").BeginObject().Key("columns").BeginObject();
      WriteHostFilter(w, hosts);
      w.EndObject().EndObject();
      w.Key("downsample").BeginObject().Key("intervalUnit").String(per_minute ? "minute" : "hour");
      w.Key("intervalSize").Int(1).Key("aggregations").BeginArray();
      Aggregations("max", "max", type.fields, w, &items);
      w.EndArray().EndObject();
      w.Key("limit").Int(kNoTruncationLimit);
      q.sql = "SELECT date_trunc('" + std::string(per_minute ? "minute" : "hour") +
              "', \"timestamp\") AS \"timestamp\", " + Join(items, ", ") + " FROM " + table +
              " WHERE " + HostListSql(hosts) + " AND " + WindowSql(start, end) +
              " GROUP BY 1 ORDER BY 1";
      q.summary = Summary(hosts, start, end, scale.hosts);
      break;
    }
    case Shape::kDoubleGroupby: {
      const int64_t start = gen.WindowStart(type.hours * kHourMicros);
      const int64_t end = start + type.hours * kHourMicros;
      WriteTimeRange(w, start, end);
      w.Key("downsample").BeginObject().Key("intervalUnit").String("hour");
      w.Key("intervalSize").Int(1).Key("groupBy").BeginArray().String("hostname").EndArray();
      w.Key("aggregations").BeginArray();
      Aggregations("avg", "avg", type.fields, w, &items);
      w.EndArray().EndObject();
      w.Key("limit").Int(kNoTruncationLimit);
      q.sql = "SELECT date_trunc('hour', \"timestamp\") AS \"timestamp\", hostname, " +
              Join(items, ", ") + " FROM " + table + " WHERE " + WindowSql(start, end) +
              " GROUP BY 1, 2 ORDER BY 1, 2";
      q.summary = "hosts all, [" + IsoTimestamp(start) + ", " + IsoTimestamp(end) + ")";
      break;
    }
    case Shape::kHighCpu: {
      const std::vector<uint32_t> hosts = gen.Hosts(type.hosts == 0 ? scale.hosts : type.hosts);
      const int64_t start = gen.WindowStart(type.hours * kHourMicros);
      const int64_t end = start + type.hours * kHourMicros;
      WriteTimeRange(w, start, end);
      w.Key("filters").BeginObject().Key("columns").BeginObject();
      w.Key("usage_user").BeginObject().Key("type").String("number").Key("gt").Int(90);
      w.EndObject();
      if (type.hosts != 0) WriteHostFilter(w, hosts);
      w.EndObject().EndObject();
      w.Key("limit").Int(kNoTruncationLimit);
      q.sql = "SELECT * FROM " + table + " WHERE usage_user > 90 AND " +
              (type.hosts != 0 ? HostListSql(hosts) + " AND " : std::string()) +
              WindowSql(start, end) + " ORDER BY \"timestamp\"";
      q.summary = Summary(hosts, start, end, scale.hosts);
      break;
    }
    case Shape::kLastpoint: {
      // One bucket per host spanning all the data (100-year buckets from DuckDB's month origin,
      // 2000-01-01); last(timestamp) is the time of the row the other values come from.
      WriteTimeRange(w, kTsbsStartMicros, data_end);
      w.Key("downsample").BeginObject().Key("intervalUnit").String("month");
      w.Key("intervalSize").Int(1200).Key("groupBy").BeginArray().String("hostname").EndArray();
      w.Key("aggregations").BeginArray();
      w.BeginObject().Key("fn").String("last").Key("column").String("timestamp");
      w.Key("alias").String("last_timestamp").EndObject();
      items.emplace_back("max(\"timestamp\") AS \"last_timestamp\"");
      for (uint32_t f = 0; f < type.fields; ++f) {
        const std::string field(kTsbsFieldNames[f]);
        w.BeginObject().Key("fn").String("last").Key("column").String(field);
        w.Key("alias").String("last_" + field).EndObject();
        items.push_back("arg_max(" + duck::QuoteIdent(field) + ", \"timestamp\") AS " +
                        duck::QuoteIdent("last_" + field));
      }
      w.EndArray().EndObject();
      w.Key("limit").Int(kNoTruncationLimit);
      q.sql = "SELECT hostname, " + Join(items, ", ") + " FROM " + table +
              " GROUP BY hostname ORDER BY hostname";
      q.summary = "hosts all, all data";
      break;
    }
    case Shape::kGroupbyOrderbyLimit: {
      const int64_t end = gen.EndPoint();
      WriteTimeRange(w, kTsbsStartMicros, end);
      w.Key("downsample").BeginObject().Key("intervalUnit").String("minute");
      w.Key("intervalSize").Int(1).Key("aggregations").BeginArray();
      Aggregations("max", "max", 1, w, &items);
      w.EndArray().EndObject();
      w.Key("order").String("desc").Key("limit").Int(5);
      // TSBS's query has no lower bound; the API needs one, and the data start is one.
      q.sql = "SELECT date_trunc('minute', \"timestamp\") AS \"timestamp\", " + Join(items, ", ") +
              " FROM " + table + " WHERE \"timestamp\" < " + SqlTimestamp(end) +
              " GROUP BY 1 ORDER BY 1 DESC LIMIT 5";
      q.summary = "hosts all, before " + IsoTimestamp(end);
      break;
    }
  }
  w.EndObject();
  q.api_body = w.str();
  return q;
}

// The columns the API answers in addition to the SQL's, not compared: for lastpoint the bucket
// start (2000-01-01, DuckDB's month origin), which carries no information.
std::vector<std::string_view> ApiOnlyColumns(const QueryType& type) {
  if (type.shape == Shape::kLastpoint) return {"timestamp"};
  return {};
}

// ---------------------------------------------------------------------------------------------
// Answers, as comparable tables

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

std::string CellText(const Cell& c) {
  if (std::holds_alternative<std::monostate>(c)) return "null";
  if (const auto* d = std::get_if<double>(&c)) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", *d);
    return buf;
  }
  if (const auto* m = std::get_if<Micros>(&c)) return common::FormatIso8601(m->value);
  return "\"" + std::get<std::string>(c) + "\"";
}

std::string RowText(const Table& t, size_t r) {
  std::string s = "{";
  for (size_t c = 0; c < t.columns.size(); ++c) {
    s += (c ? ", " : "") + t.columns[c] + ": " + CellText(t.rows[r][c]);
  }
  return s + "}";
}

// Reads a materialized raw DuckDB result.
Table TableFromDuck(const duck::QueryResult& result) {
  Table t;
  for (size_t c = 0; c < result.column_count(); ++c) {
    t.columns.push_back(result.column_name(c));
    const duck::Type type = result.column_type(c);
    t.is_timestamp.push_back(type == duck::Type::kTimestamp || type == duck::Type::kTimestampTz);
  }
  for (const duck::ResultChunk& chunk : result.chunks()) {
    for (size_t r = 0; r < chunk.row_count(); ++r) {
      std::vector<Cell> row;
      row.reserve(t.columns.size());
      for (size_t c = 0; c < t.columns.size(); ++c) {
        if (chunk.IsNull(c, r)) {
          row.emplace_back();
          continue;
        }
        switch (chunk.column_type(c)) {
          case duck::Type::kTimestamp:
          case duck::Type::kTimestampTz:
            row.emplace_back(Micros{chunk.GetTimestampMicros(c, r)});
            break;
          case duck::Type::kVarchar:
          case duck::Type::kBlob:
            row.emplace_back(std::string(chunk.GetString(c, r)));
            break;
          case duck::Type::kBoolean:
            row.emplace_back(chunk.GetBool(c, r) ? 1.0 : 0.0);
            break;
          default:
            row.emplace_back(chunk.GetDouble(c, r));
            break;
        }
      }
      t.rows.push_back(std::move(row));
    }
  }
  return t;
}

// What a JSON answer (the query API's or /sql/read's) says besides its rows.
struct AnswerMeta {
  bool truncated = true;
  std::optional<int64_t> partitions_total, partitions_scanned, partitions_pruned;
  std::optional<double> elapsed_ms;  // statistics.elapsedMs: the server's own time
};

std::optional<int64_t> FindInt(simdjson::dom::object obj, std::string_view key) {
  int64_t v = 0;
  if (obj[key].get_int64().get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}

// Reads a JSON answer `{"columns":[..],"rows":[{..},..],"truncated":..,"statistics":{..}}` into
// the shape of `reference` (the raw answer): each of its columns is looked up by name in every
// row object, and timestamp columns are parsed from ISO-8601. Columns of the answer outside
// `reference` must be listed in `ignored`.
common::Result<Table> TableFromJson(std::string_view body, const Table& reference,
                                    const std::vector<std::string_view>& ignored,
                                    simdjson::dom::parser& parser, AnswerMeta* meta) {
  simdjson::dom::object root;
  if (parser.parse(body.data(), body.size()).get_object().get(root) != simdjson::SUCCESS) {
    return common::Internal("the answer is not a JSON object: " + std::string(body.substr(0, 300)));
  }
  bool truncated = true;
  if (root["truncated"].get_bool().get(truncated) != simdjson::SUCCESS) {
    return common::Internal("the answer has no \"truncated\" boolean");
  }
  meta->truncated = truncated;
  simdjson::dom::object stats;
  if (root["statistics"].get_object().get(stats) == simdjson::SUCCESS) {
    meta->partitions_total = FindInt(stats, "partitionsTotal");
    meta->partitions_scanned = FindInt(stats, "partitionsScanned");
    meta->partitions_pruned = FindInt(stats, "partitionsPruned");
    double elapsed = 0;
    if (stats["elapsedMs"].get_double().get(elapsed) == simdjson::SUCCESS) {
      meta->elapsed_ms = elapsed;
    }
  }
  // The answer's column names: strings (query API) or {"name":..,"type":..} (/sql/read).
  simdjson::dom::array columns;
  if (root["columns"].get_array().get(columns) != simdjson::SUCCESS) {
    return common::Internal("the answer has no \"columns\" array");
  }
  std::vector<std::string> names;
  for (simdjson::dom::element c : columns) {
    std::string_view name;
    if (c.get_string().get(name) != simdjson::SUCCESS &&
        c["name"].get_string().get(name) != simdjson::SUCCESS) {
      return common::Internal("a column of the answer has no name");
    }
    names.emplace_back(name);
  }
  for (const std::string& name : names) {
    const bool known = std::find(reference.columns.begin(), reference.columns.end(), name) !=
                           reference.columns.end() ||
                       std::find(ignored.begin(), ignored.end(), name) != ignored.end();
    if (!known) return common::Internal("unexpected column \"" + name + "\" in the answer");
  }
  if (names.size() != reference.columns.size() + ignored.size()) {
    return common::Internal("the answer has columns [" + Join(names, ", ") + "], expected [" +
                            Join(reference.columns, ", ") + "]");
  }
  simdjson::dom::array rows;
  if (root["rows"].get_array().get(rows) != simdjson::SUCCESS) {
    return common::Internal("the answer has no \"rows\" array");
  }
  Table t;
  t.columns = reference.columns;
  t.is_timestamp = reference.is_timestamp;
  t.rows.reserve(rows.size());
  for (simdjson::dom::element element : rows) {
    simdjson::dom::object row;
    if (element.get_object().get(row) != simdjson::SUCCESS) {
      return common::Internal("a row of the answer is not an object");
    }
    std::vector<Cell> cells;
    cells.reserve(t.columns.size());
    for (size_t c = 0; c < t.columns.size(); ++c) {
      simdjson::dom::element v;
      if (row[t.columns[c]].get(v) != simdjson::SUCCESS) {
        return common::Internal("a row lacks column \"" + t.columns[c] + "\"");
      }
      if (v.is_null()) {
        cells.emplace_back();
      } else if (v.is_number()) {
        cells.emplace_back(v.get_double().value_unsafe());
      } else if (v.is_bool()) {
        cells.emplace_back(v.get_bool().value_unsafe() ? 1.0 : 0.0);
      } else if (v.is_string()) {
        const std::string_view s = v.get_string().value_unsafe();
        if (t.is_timestamp[c]) {
          const std::optional<common::UnixMicros> micros = common::ParseIso8601(s);
          if (!micros) return common::Internal("not an ISO-8601 time: \"" + std::string(s) + "\"");
          cells.emplace_back(Micros{*micros});
        } else {
          cells.emplace_back(std::string(s));
        }
      } else {
        return common::Internal("column \"" + t.columns[c] + "\" holds a JSON array or object");
      }
    }
    t.rows.push_back(std::move(cells));
  }
  return t;
}

bool CellsEqual(const Cell& a, const Cell& b) {
  const auto* x = std::get_if<double>(&a);
  const auto* y = std::get_if<double>(&b);
  if (x != nullptr && y != nullptr) {
    return *x == *y ||
           std::abs(*x - *y) <= kRelativeTolerance * std::max(std::abs(*x), std::abs(*y));
  }
  return a == b;
}

// Rows in a canonical order (lexicographic by cell), so that answers whose order is not fully
// determined (raw rows with equal timestamps) compare. Every query's leading columns are a unique
// key (bucket and group, or timestamp and hostname), so tiny differences in aggregated numbers
// never reorder rows.
void SortRows(Table* t) { std::sort(t->rows.begin(), t->rows.end()); }

// Empty when `actual` holds the same rows as `expected` (both sorted); otherwise what differs.
std::string Compare(const Table& expected, const Table& actual) {
  if (expected.rows.size() != actual.rows.size()) {
    std::string s = std::to_string(actual.rows.size()) + " rows, expected " +
                    std::to_string(expected.rows.size());
    for (size_t r = 0; r < std::max(expected.rows.size(), actual.rows.size()) && r < 3; ++r) {
      if (r < expected.rows.size())
        s += "\n      expected[" + std::to_string(r) + "] " + RowText(expected, r);
      if (r < actual.rows.size())
        s += "\n      actual[" + std::to_string(r) + "]   " + RowText(actual, r);
    }
    return s;
  }
  for (size_t r = 0; r < expected.rows.size(); ++r) {
    for (size_t c = 0; c < expected.columns.size(); ++c) {
      if (!CellsEqual(expected.rows[r][c], actual.rows[r][c])) {
        return "row " + std::to_string(r) + " column " + expected.columns[c] + ": " +
               CellText(actual.rows[r][c]) + ", expected " + CellText(expected.rows[r][c]) +
               "\n      expected " + RowText(expected, r) + "\n      actual   " +
               RowText(actual, r);
      }
    }
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// The three ways

// The raw baseline: one in-memory DuckDB instance in this process (default threads, opened once,
// warm), reading the partition files of the dataset.
class RawDuck {
 public:
  // `files` are the partition files' paths; `format` their fileFormat ("parquet" or "duckdb").
  static common::Result<RawDuck> Open(const std::vector<std::string>& files,
                                      const std::string& format) {
    TS_ASSIGN_OR_RETURN(duck::Database db, duck::Database::Open(":memory:"));
    TS_ASSIGN_OR_RETURN(duck::Connection conn, duck::Connection::Open(db));
    std::string source;
    if (format == "parquet") {
      std::vector<std::string> quoted;
      quoted.reserve(files.size());
      for (const std::string& f : files) quoted.push_back(duck::QuoteLiteral(f));
      // Without hive_partitioning=false DuckDB would add a column per "name=value" directory of
      // the object keys (such as window=...), which the dataset's view does not have.
      source = "read_parquet([" + Join(quoted, ", ") + "], hive_partitioning = false)";
    } else if (format == "duckdb") {
      std::vector<std::string> scans;
      for (size_t i = 0; i < files.size(); ++i) {
        const std::string alias = duck::QuoteIdent("p" + std::to_string(i));
        TS_RETURN_IF_ERROR(conn.Execute("ATTACH " + duck::QuoteLiteral(files[i]) + " AS " + alias +
                                        " (READ_ONLY)"));
        scans.push_back("SELECT * FROM " + alias + ".records");
      }
      source = "(" + Join(scans, " UNION ALL ") + ")";
    } else {
      return common::InvalidArgument("unsupported partition format '" + format + "'");
    }
    return RawDuck(std::move(db), std::move(conn), std::move(source));
  }

  // `sql` with every kSqlTable replaced by the files.
  std::string Rewrite(const std::string& sql) const {
    std::string out = sql;
    for (size_t at = out.find(kSqlTable); at != std::string::npos;
         at = out.find(kSqlTable, at + source_.size())) {
      out.replace(at, kSqlTable.size(), source_);
    }
    return out;
  }

  common::Result<duck::QueryResult> Run(const std::string& rewritten_sql) {
    return conn_.Query(rewritten_sql);
  }

 private:
  RawDuck(duck::Database db, duck::Connection conn, std::string source)
      : db_(std::move(db)), conn_(std::move(conn)), source_(std::move(source)) {}

  duck::Database db_;
  duck::Connection conn_;
  std::string source_;
};

enum Way : size_t { kApi = 0, kSql = 1, kRaw = 2 };
constexpr const char* kWayNames[] = {"API", "SQL", "raw"};

struct TypeResult {
  const QueryType* type = nullptr;
  std::vector<double> ms[3];                   // timed runs per way
  std::vector<double> server_ms[2];            // statistics.elapsedMs of the API and SQL answers
  std::vector<double> scanned, pruned, total;  // the API's partition statistics
  std::vector<double> sql_scanned;             // /sql/read's, when it reports them
  std::vector<double> rows;                    // rows per answer
  int mismatches[2] = {0, 0};                  // API, SQL answers that differ from raw
  std::vector<std::string> errors;             // failed requests and first mismatches
};

std::string SqlBody(const std::string& sql) {
  common::JsonWriter w;
  w.BeginObject().Key("sql").String(sql).Key("params").BeginArray().EndArray().EndObject();
  return w.str();
}

// Runs one instance all three ways (in the order given), times each, and compares the answers
// with the raw one. `timed` false: a warm-up (compared, not recorded).
void RunInstance(const QueryType& type, const QueryInstance& q, size_t index, bool timed,
                 bool with_sql, HttpClient& http, RawDuck& raw, simdjson::dom::parser& parser,
                 TypeResult* out) {
  std::optional<std::string> bodies[2];
  const std::string raw_sql = raw.Rewrite(q.sql);
  const std::string sql_body = SqlBody(q.sql);
  std::optional<duck::QueryResult> raw_result;
  const std::string where = std::string(type.name) + " #" + std::to_string(index) +
                            (timed ? "" : " (warm-up)") + " (" + q.summary + ")";
  auto fail = [&](std::string message) {
    std::fprintf(stderr, "FAIL %s: %s\n", where.c_str(), message.c_str());
    out->errors.push_back(where + ": " + std::move(message));
  };
  for (size_t k = 0; k < 3; ++k) {
    const auto way = static_cast<Way>((index + k) % 3);  // interleaved: each way goes first
    if (way == kSql && !with_sql) continue;
    const Clock::time_point start = Clock::now();
    if (way == kRaw) {
      common::Result<duck::QueryResult> r = raw.Run(raw_sql);
      const double ms = Millis(Clock::now() - start);
      if (!r.ok()) {
        fail("raw DuckDB: " + r.status().ToString() + "\n    SQL: " + raw_sql.substr(0, 600));
        return;
      }
      if (timed) out->ms[kRaw].push_back(ms);
      raw_result.emplace(std::move(r).value());
      continue;
    }
    const std::string target =
        way == kApi ? "/datasets/" + std::string(kSlug) + "/query" : std::string("/sql/read");
    common::Result<HttpResponse> r =
        http.Request("POST", target, "application/json", way == kApi ? q.api_body : sql_body);
    const double ms = Millis(Clock::now() - start);
    if (!r.ok() || r->status != 200) {
      fail(std::string(kWayNames[way]) + ": " +
           (r.ok() ? "HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 500)
                   : r.status().ToString()) +
           "\n    request: " + (way == kApi ? q.api_body : sql_body));
      continue;
    }
    if (timed) out->ms[way].push_back(ms);
    bodies[way] = std::move(r->body);
  }
  if (!raw_result) return;
  Table expected = TableFromDuck(*raw_result);
  SortRows(&expected);
  if (timed) out->rows.push_back(static_cast<double>(expected.rows.size()));
  for (Way way : {kApi, kSql}) {
    if (!bodies[way]) continue;
    AnswerMeta meta;
    common::Result<Table> actual = TableFromJson(
        *bodies[way], expected,
        way == kApi ? ApiOnlyColumns(type) : std::vector<std::string_view>{}, parser, &meta);
    std::string problem;
    if (!actual.ok()) {
      problem = actual.status().message();
    } else if (meta.truncated) {
      problem = "\"truncated\":true";
    } else {
      SortRows(&*actual);
      problem = Compare(expected, *actual);
    }
    if (!problem.empty()) {
      ++out->mismatches[way];
      if (out->mismatches[way] <= 2) {
        fail(std::string(kWayNames[way]) + " answer differs from raw DuckDB: " + problem +
             "\n    request: " + (way == kApi ? q.api_body : sql_body) + "\n    raw SQL: " + q.sql);
      }
      continue;
    }
    if (!timed) continue;
    if (meta.elapsed_ms) out->server_ms[way].push_back(*meta.elapsed_ms);
    if (way == kApi) {
      if (meta.partitions_scanned)
        out->scanned.push_back(static_cast<double>(*meta.partitions_scanned));
      if (meta.partitions_pruned)
        out->pruned.push_back(static_cast<double>(*meta.partitions_pruned));
      if (meta.partitions_total) out->total.push_back(static_cast<double>(*meta.partitions_total));
    } else if (meta.partitions_scanned) {
      out->sql_scanned.push_back(static_cast<double>(*meta.partitions_scanned));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Report

double Median(const std::vector<double>& v) { return Percentile(v, 0.5); }

std::string Ms(const std::vector<double>& v, double p) {
  if (v.empty()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", Percentile(v, p));
  return buf;
}

std::string Ratio(const std::vector<double>& a, const std::vector<double>& raw) {
  if (a.empty() || raw.empty() || Median(raw) <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", Median(a) / Median(raw));
  return buf;
}

// "pass" when median(a) <= 1.3 x median(raw) + 2 ms.
std::string Target(const std::vector<double>& a, const std::vector<double>& raw) {
  if (a.empty() || raw.empty()) return "-";
  return Median(a) <= kTargetRatio * Median(raw) + kTargetSlackMs ? "pass" : "FAIL";
}

bool TypeOk(const TypeResult& r) { return r.errors.empty() && !r.ms[kRaw].empty(); }

void PrintTable(const std::vector<TypeResult>& results, bool with_sql) {
  std::printf("\n%-22s %4s %8s %8s %8s %8s %8s %8s %7s %7s %6s %6s %15s %8s %5s\n", "query type",
              "n", "API p50", "API p95", "SQL p50", "SQL p95", "raw p50", "raw p95", "API/raw",
              "SQL/raw", "API", "SQL", "scan/pruned/all", "rows", "check");
  for (const TypeResult& r : results) {
    char partitions[48] = "-";
    if (!r.scanned.empty()) {
      std::snprintf(partitions, sizeof partitions, "%.0f/%.0f/%.0f", Median(r.scanned),
                    Median(r.pruned), Median(r.total));
    }
    const std::string sql_target = with_sql ? Target(r.ms[kSql], r.ms[kRaw]) : "-";
    std::printf("%-22s %4zu %8s %8s %8s %8s %8s %8s %7s %7s %6s %6s %15s %8.0f %5s\n",
                std::string(r.type->name).c_str(), r.ms[kRaw].size(), Ms(r.ms[kApi], 0.5).c_str(),
                Ms(r.ms[kApi], 0.95).c_str(), Ms(r.ms[kSql], 0.5).c_str(),
                Ms(r.ms[kSql], 0.95).c_str(), Ms(r.ms[kRaw], 0.5).c_str(),
                Ms(r.ms[kRaw], 0.95).c_str(), Ratio(r.ms[kApi], r.ms[kRaw]).c_str(),
                Ratio(r.ms[kSql], r.ms[kRaw]).c_str(), Target(r.ms[kApi], r.ms[kRaw]).c_str(),
                sql_target.c_str(), partitions, r.rows.empty() ? 0.0 : Median(r.rows),
                TypeOk(r) ? "ok" : "FAIL");
  }
}

void WriteSeries(common::JsonWriter& w, std::string_view key, const std::vector<double>& v) {
  w.Key(key).BeginObject();
  w.Key("n").Uint(v.size());
  if (!v.empty()) w.Key("p50").Double(Median(v)).Key("p95").Double(Percentile(v, 0.95));
  w.EndObject();
}

std::string SummaryJson(const Options& o, const std::vector<TypeResult>& results,
                        int64_t partitions, const std::string& format, bool with_sql) {
  common::JsonWriter w;
  w.BeginObject().Key("bench").String("query").Key("rows").Uint(o.scale.rows());
  w.Key("scale").BeginObject().Key("hosts").Uint(o.scale.hosts).Key("hours").Uint(o.scale.hours);
  w.EndObject();
  w.Key("instances").Int(o.instances).Key("seed").Uint(o.seed);
  w.Key("format").String(format).Key("partitions").Int(partitions);
  w.Key("sql").Bool(with_sql);
  w.Key("server_env").BeginArray();
  for (const std::string& e : o.server_env) w.String(e);
  w.EndArray();
  w.Key("results").BeginArray();
  for (const TypeResult& r : results) {
    w.BeginObject().Key("type").String(r.type->name).Key("ok").Bool(TypeOk(r));
    WriteSeries(w, "api_ms", r.ms[kApi]);
    WriteSeries(w, "sql_ms", r.ms[kSql]);
    WriteSeries(w, "raw_ms", r.ms[kRaw]);
    WriteSeries(w, "api_server_ms", r.server_ms[kApi]);
    WriteSeries(w, "sql_server_ms", r.server_ms[kSql]);
    if (!r.ms[kApi].empty() && !r.ms[kRaw].empty()) {
      w.Key("api_vs_raw").Double(Median(r.ms[kApi]) / Median(r.ms[kRaw]));
      w.Key("api_target_met").Bool(Target(r.ms[kApi], r.ms[kRaw]) == "pass");
    }
    if (!r.ms[kSql].empty() && !r.ms[kRaw].empty()) {
      w.Key("sql_vs_raw").Double(Median(r.ms[kSql]) / Median(r.ms[kRaw]));
      w.Key("sql_target_met").Bool(Target(r.ms[kSql], r.ms[kRaw]) == "pass");
    }
    if (!r.scanned.empty()) {
      w.Key("partitions_scanned").Double(Median(r.scanned));
      w.Key("partitions_pruned").Double(Median(r.pruned));
    }
    w.Key("rows").Double(r.rows.empty() ? 0 : Median(r.rows));
    w.Key("api_mismatches").Int(r.mismatches[kApi]).Key("sql_mismatches").Int(r.mismatches[kSql]);
    w.Key("errors").Uint(r.errors.size());
    w.EndObject();
  }
  w.EndArray().EndObject();
  return w.str();
}

// ---------------------------------------------------------------------------------------------
// main

struct Manifest {
  int64_t version = 0;
  std::vector<std::string> files;  // <storage root>/<objectKey>
  std::string format;              // the partitions' fileFormat (one for all)
};

// GET /datasets/cpu/manifest: the live partitions' files under `storage_root`.
common::Result<Manifest> ReadManifest(HttpClient& http, const std::string& storage_root) {
  TS_ASSIGN_OR_RETURN(HttpResponse r,
                      http.Request("GET", "/datasets/" + std::string(kSlug) + "/manifest", "", ""));
  if (r.status != 200) {
    return common::Internal("GET manifest: HTTP " + std::to_string(r.status) + " " +
                            r.body.substr(0, 300));
  }
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  simdjson::dom::array partitions;
  if (parser.parse(r.body).get_object().get(root) != simdjson::SUCCESS ||
      root["partitions"].get_array().get(partitions) != simdjson::SUCCESS) {
    return common::Internal("the manifest has no partitions array: " + r.body.substr(0, 300));
  }
  Manifest m;
  m.version = FindInt(root, "currentVersion").value_or(0);
  for (simdjson::dom::element p : partitions) {
    std::string_view key, format;
    if (p["objectKey"].get_string().get(key) != simdjson::SUCCESS ||
        p["fileFormat"].get_string().get(format) != simdjson::SUCCESS) {
      return common::Internal("a partition lacks objectKey or fileFormat");
    }
    if (!m.format.empty() && m.format != format) {
      return common::Internal("partitions of more than one format (" + m.format + ", " +
                              std::string(format) + ")");
    }
    m.format = format;
    std::string path = storage_root + "/" + std::string(key);
    if (!std::filesystem::is_regular_file(path)) {
      return common::Internal("partition file " + path + " does not exist");
    }
    m.files.push_back(std::move(path));
  }
  if (m.files.empty()) return common::Internal("the manifest lists no partition");
  return m;
}

// Whether POST /sql/read exists on the server (404/405 while it does not).
common::Result<bool> SqlReadAvailable(HttpClient& http) {
  TS_ASSIGN_OR_RETURN(HttpResponse r, http.Request("POST", "/sql/read", "application/json",
                                                   SqlBody("SELECT 1 AS one")));
  if (r.status == 200) return true;
  if (r.status == 404 || r.status == 405) return false;
  return common::Internal("POST /sql/read with SELECT 1: HTTP " + std::to_string(r.status) + " " +
                          r.body.substr(0, 300));
}

int Main(int argc, char** argv) {
  common::Result<Options> parsed = ParseOptions(argc, argv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "query_bench: %s\n%s", parsed.status().message().c_str(), kUsage);
    return 2;
  }
  const Options o = std::move(parsed).value();
  CleanupRegistry cleanup;  // before any thread starts
  common::Result<WorkDir> work_dir = WorkDir::Create(o.keep, &cleanup);
  if (!work_dir.ok()) {
    std::fprintf(stderr, "query_bench: %s\n", work_dir.status().ToString().c_str());
    return 1;
  }
  const std::string dir = work_dir->path();
  const std::string storage_root = dir + "/storage";
  std::filesystem::create_directories(storage_root);
  std::printf(
      "query_bench: TSBS cpu-only, %u hosts x %u h = %llu rows, %d instances per type, seed %llu, "
      "format %s\nwork dir %s\n",
      o.scale.hosts, o.scale.hours, static_cast<unsigned long long>(o.scale.rows()), o.instances,
      static_cast<unsigned long long>(o.seed),
      o.format.empty() ? "(server default)" : o.format.c_str(), dir.c_str());

  // The dataset, rendered before the server starts.
  RenderedBodies rendered;
  {
    const GeneratedData data = GenerateTsbs(o.scale, o.data_seed);
    common::Result<RenderedBodies> r = RenderBodies(data, o.batch);
    if (!r.ok()) {
      std::fprintf(stderr, "query_bench: %s\n", r.status().ToString().c_str());
      return 1;
    }
    rendered = std::move(r).value();
  }
  std::fflush(stdout);

  common::Result<ThrowawayPostgres> pg = ThrowawayPostgres::Start(
      TIMESTORE_BENCH_PG_TMP_SCRIPT, dir + "/pg.state", dir + "/pg.log", &cleanup);
  if (!pg.ok()) {
    std::fprintf(stderr, "query_bench: PostgreSQL: %s\n", pg.status().ToString().c_str());
    return 1;
  }
  ServerProcessOptions server_options;
  server_options.binary = o.server_binary;
  server_options.database_url = pg->url();
  server_options.pg_schema = kPgSchema;
  server_options.storage_root = storage_root;
  server_options.log_path = dir + "/server.log";
  if (!o.format.empty()) server_options.extra_env.push_back("TIMESTORE_WRITE_FORMAT=" + o.format);
  // /sql/read caps answers at 10,000 rows by default; high-cpu-all needs more (--server-env may
  // override this, it comes later).
  server_options.extra_env.emplace_back("TIMESTORE_SQL_MAX_ROWS=1000000");
  server_options.extra_env.insert(server_options.extra_env.end(), o.server_env.begin(),
                                  o.server_env.end());
  common::Result<ServerProcess> server = ServerProcess::Start(server_options, &cleanup);
  if (!server.ok()) {
    std::fprintf(stderr, "query_bench: server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("timestore pid %d on port %u\n", static_cast<int>(server->pid()), server->port());
  std::fflush(stdout);

  int exit_code = 0;
  [&] {
    common::Result<CatalogProbe> probe = CatalogProbe::Connect(pg->url(), kPgSchema);
    if (!probe.ok()) {
      std::fprintf(stderr, "query_bench: %s\n", probe.status().ToString().c_str());
      exit_code = 1;
      return;
    }
    const auto nonce = static_cast<uint64_t>(
        std::chrono::system_clock::now().time_since_epoch().count() ^ ::getpid());
    const IngestRunResult ingest =
        RunIngest(o.clients, std::string(kSlug), &rendered.bodies, rendered.batch_rows, *server,
                  *probe, storage_root, nonce);
    rendered = {};
    if (!ingest.error.empty()) {
      std::fprintf(stderr, "query_bench: ingest: %s\n", ingest.error.c_str());
      exit_code = 1;
      return;
    }
    std::printf(
        "ingested %lld committed rows with %d clients in %.3f s (%.0f rows/s), version "
        "%lld, %lld partitions\n",
        static_cast<long long>(ingest.snapshot->total_rows), o.clients, ingest.seconds,
        ingest.rows_per_s(), static_cast<long long>(ingest.snapshot->version),
        static_cast<long long>(ingest.snapshot->live_partitions));

    HttpClient http("127.0.0.1", server->port());
    common::Result<Manifest> manifest = ReadManifest(http, storage_root);
    if (!manifest.ok()) {
      std::fprintf(stderr, "query_bench: %s\n", manifest.status().ToString().c_str());
      exit_code = 1;
      return;
    }
    if (static_cast<int64_t>(manifest->files.size()) != ingest.snapshot->live_partitions) {
      std::fprintf(stderr, "query_bench: the manifest lists %zu partitions, the catalog %lld\n",
                   manifest->files.size(),
                   static_cast<long long>(ingest.snapshot->live_partitions));
      exit_code = 1;
      return;
    }
    std::printf("manifest version %lld: %zu %s partition files\n",
                static_cast<long long>(manifest->version), manifest->files.size(),
                manifest->format.c_str());
    common::Result<RawDuck> raw = RawDuck::Open(manifest->files, manifest->format);
    if (!raw.ok()) {
      std::fprintf(stderr, "query_bench: raw DuckDB: %s\n", raw.status().ToString().c_str());
      exit_code = 1;
      return;
    }
    bool with_sql = o.sql;
    if (with_sql) {
      common::Result<bool> available = SqlReadAvailable(http);
      if (!available.ok()) {
        std::fprintf(stderr, "query_bench: %s\n", available.status().ToString().c_str());
        exit_code = 1;
        return;
      }
      if (!*available) {
        std::printf("SQL (POST /sql/read): not available on this server (404) - skipped\n");
        with_sql = false;
      }
    }
    if (!o.sql) std::printf("SQL (POST /sql/read): skipped (--no-sql)\n");
    std::fflush(stdout);

    std::vector<TypeResult> results;
    simdjson::dom::parser parser;
    for (const QueryType* type : o.types) {
      const auto type_index = static_cast<size_t>(type - std::begin(kQueryTypes));
      InstanceGenerator gen(o.scale, o.seed, type_index);
      std::vector<QueryInstance> instances;
      instances.reserve(static_cast<size_t>(o.instances));
      for (int i = 0; i < o.instances; ++i) instances.push_back(MakeInstance(*type, o.scale, gen));
      TypeResult result;
      result.type = type;
      // Warm-up: the first instance once each way (checked, not timed).
      RunInstance(*type, instances.front(), 0, false, with_sql, http, *raw, parser, &result);
      for (size_t i = 0; i < instances.size(); ++i) {
        RunInstance(*type, instances[i], i, true, with_sql, http, *raw, parser, &result);
      }
      std::printf("%-22s API %s ms, SQL %s ms, raw %s ms (medians)%s\n",
                  std::string(type->name).c_str(), Ms(result.ms[kApi], 0.5).c_str(),
                  Ms(result.ms[kSql], 0.5).c_str(), Ms(result.ms[kRaw], 0.5).c_str(),
                  TypeOk(result) ? "" : "  FAILED");
      std::fflush(stdout);
      if (!TypeOk(result)) exit_code = 1;
      results.push_back(std::move(result));
    }
    PrintTable(results, with_sql);
    std::printf(
        "target: median <= %.1f x raw median + %.0f ms. Times are wall-clock ms per query "
        "(API and SQL include HTTP and JSON; raw is the DuckDB call in this process).\n",
        kTargetRatio, kTargetSlackMs);
    for (const TypeResult& r : results) {
      for (const std::string& e : r.errors) std::printf("  FAIL %s\n", e.substr(0, 2000).c_str());
    }
    std::printf("\n%s\n", SummaryJson(o, results, static_cast<int64_t>(manifest->files.size()),
                                      manifest->format, with_sql)
                              .c_str());
  }();

  const int server_exit = server->Stop();
  if (server_exit != 0) {
    std::fprintf(stderr, "warning: timestore exited with %d on SIGTERM\n", server_exit);
    exit_code = exit_code == 0 ? 1 : exit_code;
  }
  if (exit_code != 0) PrintLogTail(server_options.log_path, 10);
  if (common::Status s = pg->Stop(); !s.ok()) {
    std::fprintf(stderr, "warning: %s\n", s.ToString().c_str());
  }
  return exit_code;
}

}  // namespace
}  // namespace timestore::bench

int main(int argc, char** argv) { return timestore::bench::Main(argc, argv); }
